import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPeerpayError, type PeerpayError } from "@peerpay/core";
import { afterAll, describe, expect, it } from "vitest";
import { resolveLndOptions } from "./lnd-options.js";

const macaroon = Buffer.from(`0201036c6e64${"ab".repeat(120)}`, "hex");
const pem =
  "-----BEGIN CERTIFICATE-----\nMIIB9zCCAZ2gAwIBAgIQTest0nlyNotARealCertificateAAAAAAAA\n-----END CERTIFICATE-----";
const directory = mkdtempSync(join(tmpdir(), "peerpay-lnd-options-"));
const macaroonPath = join(directory, "admin.macaroon");
const certPath = join(directory, "tls.cert");
writeFileSync(macaroonPath, macaroon);
writeFileSync(certPath, pem);
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function configError(run: () => unknown): PeerpayError {
  try {
    run();
  } catch (error) {
    expect(isPeerpayError(error)).toBe(true);
    return error as PeerpayError;
  }
  throw new Error("expected an error");
}

describe("resolving LND adapter options", () => {
  it("reads cert and macaroon from paths, base64, hex or PEM text alike", () => {
    const forms = [
      { cert: certPath, macaroon: macaroonPath },
      { cert: Buffer.from(pem).toString("base64"), macaroon: macaroon.toString("base64") },
      { cert: Buffer.from(pem).toString("hex"), macaroon: macaroon.toString("hex") },
      { cert: pem, macaroon: macaroon.toString("base64url") },
    ];
    const resolved = forms.map((form) => resolveLndOptions({ ...form, env: {} }));
    for (const options of resolved) {
      expect(options.macaroonHex).toBe(macaroon.toString("hex"));
      expect(
        Buffer.from(options.cert as string, "base64")
          .toString("utf8")
          .trim(),
      ).toBe(pem);
      expect(options.socket).toBe("127.0.0.1:10009");
      expect(options.role).toBe("both");
    }
  });

  it("falls back to LND_SOCKET, LND_CERT_PATH and LND_MACAROON_PATH; options win over env", () => {
    const env = { LND_SOCKET: "127.0.0.5:10019", LND_CERT_PATH: certPath, LND_MACAROON_PATH: macaroonPath };
    const fromEnv = resolveLndOptions({ env });
    expect(fromEnv.socket).toBe("127.0.0.5:10019");
    expect(fromEnv.macaroonHex).toBe(macaroon.toString("hex"));
    expect(resolveLndOptions({ env, socket: "127.0.0.6:1" }).socket).toBe("127.0.0.6:1");
    const inline = resolveLndOptions({ env: { LND_MACAROON: macaroon.toString("hex") } });
    expect(inline.cert).toBeUndefined();
    expect(inline.macaroonHex).toBe(macaroon.toString("hex"));
  });

  it("says what is missing or wrong, without echoing a secret", () => {
    expect(configError(() => resolveLndOptions({ env: {} })).message).toMatch(
      /no macaroon.*LND_MACAROON_PATH/,
    );
    const missingFile = configError(() =>
      resolveLndOptions({ macaroon: "/nonexistent/admin.macaroon", env: {} }),
    );
    expect(missingFile.code).toBe("INVALID_CONFIG");
    expect(missingFile.message).toContain("/nonexistent/admin.macaroon");
    const secretLooking = `${macaroon.toString("base64").slice(0, 40)}!!`;
    const bad = configError(() => resolveLndOptions({ macaroon: secretLooking, env: {} }));
    expect(bad.message).not.toContain(secretLooking.slice(0, 20));
    expect(
      configError(() => resolveLndOptions({ macaroon: macaroonPath, socket: "nope", env: {} })).code,
    ).toBe("INVALID_CONFIG");
    expect(
      configError(() => resolveLndOptions({ macaroon: macaroonPath, paymentTimeoutMs: 0, env: {} })).message,
    ).toContain("paymentTimeoutMs");
  });

  it("collects every string form of the secrets for redaction", () => {
    const options = resolveLndOptions({ cert: certPath, macaroon: macaroonPath, env: {} });
    expect(options.secrets).toContain(macaroon.toString("hex"));
    expect(options.secrets).toContain(macaroon.toString("base64"));
    expect(options.secrets).toContain(options.cert);
  });
});
