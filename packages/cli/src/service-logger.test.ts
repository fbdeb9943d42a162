/**
 * The daemon's logger (pino): secrets from the configuration never reach a log line, whether they
 * sit under a secret-looking key, inside a message, or inside an error's text.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadConfiguration } from "./config-loader.js";
import { configurationSecrets } from "./config-resolve.js";
import { createServiceLogger } from "./service-logger.js";

function capture() {
  const destination = new PassThrough();
  let text = "";
  destination.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { destination, text: () => text };
}

describe("createServiceLogger", () => {
  it("blanks the configuration's password, rune, inline macaroon and status token everywhere", async () => {
    const environment = {
      HOME: "/nonexistent-home",
      PEERPAY_CLIENT_PASSWORD: "client-pass-123",
      PEERPAY_STATUS_TOKEN: "status-token-0123456789",
    } as NodeJS.ProcessEnv;
    const withRune = loadConfiguration({
      roles: ["seller"],
      environment: { ...environment, CLN_RUNE: "rune-secret-abcdef" },
      overrides: { client: "qbittorrent://admin@127.0.0.1:8080", lightning: "cln+https://127.0.0.1:3010" },
    });
    const withMacaroon = loadConfiguration({
      roles: ["buyer"],
      environment,
      overrides: {
        client: "transmission://me:url-pass-456@127.0.0.1:9091",
        lightning: "lnd://127.0.0.1:10009?macaroon=0201036c6e6402f801abcdef",
      },
    });
    const secrets = [...configurationSecrets(withRune), ...configurationSecrets(withMacaroon)];
    expect(secrets).toEqual(
      expect.arrayContaining([
        "client-pass-123",
        "rune-secret-abcdef",
        "url-pass-456",
        "0201036c6e6402f801abcdef",
        "status-token-0123456789",
      ]),
    );
    const out = capture();
    const logger = createServiceLogger({ destination: out.destination, secrets });
    logger.info({ client: { password: "client-pass-123" }, macaroon: "0201036c6e6402f801abcdef" }, "start");
    logger.warn({ url: "transmission://me:url-pass-456@127.0.0.1:9091" }, "connecting with url-pass-456");
    logger.error(
      { err: new Error("rejected rune rune-secret-abcdef") },
      "token status-token-0123456789 refused",
    );
    await new Promise((resolve) => setImmediate(resolve));
    const text = out.text();
    expect(text.split("\n").filter(Boolean)).toHaveLength(3);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).toContain("[redacted]");
  });
});
