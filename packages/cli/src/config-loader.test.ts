/**
 * The configuration: real files (YAML and JSON) in a temp dir, the env vars for secrets, flags
 * over the file, and one clear message per wrong configuration naming the key path.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPeerpayError } from "@peerpay/core";
import { afterAll, describe, expect, it } from "vitest";
import { configurationJsonSchemaText } from "./config-json-schema.js";
import { loadConfiguration } from "./config-loader.js";

const directory = mkdtempSync(join(tmpdir(), "peerpay-config-test-"));
const environment = { HOME: directory } as NodeJS.ProcessEnv;
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isPeerpayError(error) && error.code).toBe("INVALID_CONFIG");
    return (error as Error).message;
  }
  throw new Error("expected the configuration to be refused");
}

const goodYaml = `
client: transmission://seeder@127.0.0.1:9091
lightning: sim://
ledger: { path: ${directory}/ledger.sqlite }
seller:
  listen: { port: 9800 }
  prices:
    default: 100 sat/GiB
    byLabel: { movies: 2.5 sat/MiB }
    byInfohash: { ${"ab".repeat(20)}: free }
  policy: { freeAllowance: 8 MiB, creditLine: 5 sat, prepay: 20000 }
buyer:
  maxPrice: 200 sat/GiB
  budgets: { total: 1000 sat, perDay: 100 sat, perSeller: 50000, perTorrent: 40 sat }
  listenPorts: [51413]
`;

describe("loadConfiguration", () => {
  it("reads a YAML file into typed values (msat as bigint, bytes, prices)", () => {
    const file = write("good.yaml", goodYaml);
    const configuration = loadConfiguration({
      file,
      roles: ["seller", "buyer"],
      environment: { ...environment, PEERPAY_CLIENT_PASSWORD: "s3cret-from-env" },
    });
    expect(configuration.seller?.client).toEqual({
      kind: "transmission",
      url: "http://127.0.0.1:9091/transmission/rpc",
      username: "seeder",
      password: "s3cret-from-env",
    });
    expect(configuration.seller?.listen).toEqual({ host: "0.0.0.0", port: 9800 });
    expect(configuration.seller?.prices.defaultPrice).toBe(100_000n);
    expect(configuration.seller?.prices.labels?.movies).toBe(2_560_000n);
    expect(configuration.seller?.policy.freeAllowanceBytes).toBe(8n * 1024n * 1024n);
    expect(configuration.seller?.policy.baseCreditLineMsat).toBe(5000n);
    expect(configuration.buyer?.policy).toMatchObject({
      maxPriceMsatPerGiB: 200_000n,
      totalBudgetMsat: 1_000_000n,
      dailyBudgetMsat: 100_000n,
      perSellerBudgetMsat: 50_000n,
      perTorrentBudgetMsat: 40_000n,
    });
    expect(configuration.ledgerPath).toBe(join(directory, "ledger.sqlite"));
    expect(configuration.status).toEqual({ enabled: true, host: "127.0.0.1", port: 9737 });
  });

  it("reads JSON, defaults the ledger under ~/.local/share/peerpay, and lets flags win over the file", () => {
    const file = write("good.json", JSON.stringify({ client: "qbittorrent://admin@127.0.0.1:8080" }));
    const configuration = loadConfiguration({
      file,
      roles: ["seller"],
      environment,
      overrides: { "seller.listen.port": 9999, lightning: "sim://", "status.port": 9001 },
    });
    expect(configuration.ledgerPath).toBe(join(directory, ".local/share/peerpay/ledger.sqlite"));
    expect(configuration.seller?.listen.port).toBe(9999);
    expect(configuration.status.port).toBe(9001);
    expect(configuration.seller?.client.kind).toBe("qbittorrent");
  });

  it.each([
    ["a misspelt key", "seller:\n  polcy: {}\n", "seller.polcy: unknown key"],
    ["a price that is not one", "seller:\n  prices: { default: cheap }\n", "seller.prices.default:"],
    ["an amount with a fraction", "seller:\n  policy: { creditLine: 1.5 }\n", "seller.policy.creditLine:"],
    [
      "an amount in the wrong unit",
      "seller:\n  policy: { prepay: 3 btc }\n",
      "seller.policy.prepay: must be msat such as 5000",
    ],
    [
      "a port as text",
      "seller:\n  listen: { port: high }\n",
      "seller.listen.port: expected number, got string",
    ],
    ["a port out of range", "status: { port: 70000 }\n", "status.port:"],
    ["an unknown client", "client: deluge://127.0.0.1:58846\n", 'client: unknown client "deluge"'],
    [
      "an unknown Lightning backend",
      "lightning: eclair://x\n",
      'lightning: unknown Lightning backend "eclair"',
    ],
    [
      "a bad infohash key",
      "seller:\n  prices:\n    byInfohash: { abc: free }\n",
      "seller.prices.byInfohash.abc",
    ],
    ["a log level", "log: { level: loud }\n", "log.level:"],
    ["YAML that does not parse", "seller: [unclosed\n", "is not valid YAML"],
    ["a list at the top", "- a\n- b\n", "must hold an object of keys"],
  ])("refuses %s with one message naming the key", (_name, text, expected) => {
    const whole = text.startsWith("client:") || text.startsWith("- ");
    const file = write("bad.yaml", whole ? text : `client: transmission://127.0.0.1:9091\n${text}`);
    const message = failure(() => loadConfiguration({ file, roles: ["seller"], environment }));
    expect(message).toContain(expected);
    expect(message.startsWith(`config ${file}: `)).toBe(true);
    expect(message.split("\n")).toHaveLength(1);
  });

  it("never repeats a password from a bad connection string", () => {
    const file = write("secret.yaml", "client: transmission://user:hunter2-secret@/nohost\n");
    const message = failure(() => loadConfiguration({ file, roles: ["seller"], environment }));
    expect(message).toContain("client:");
    expect(message).not.toContain("hunter2-secret");
  });

  it("needs a client for a role, and a token for a status page off loopback", () => {
    expect(failure(() => loadConfiguration({ roles: ["seller"], environment }))).toContain(
      "client: is required for the seller role",
    );
    const file = write("public.yaml", "client: qbittorrent://127.0.0.1:8080\nstatus: { host: 0.0.0.0 }\n");
    expect(failure(() => loadConfiguration({ file, roles: ["buyer"], environment }))).toContain(
      "status.host: 0.0.0.0 is not a loopback address, so the status page needs a token",
    );
    const withToken = loadConfiguration({
      file,
      roles: ["buyer"],
      environment: { ...environment, PEERPAY_STATUS_TOKEN: "a-long-enough-token-123" },
    });
    expect(withToken.status.token).toBe("a-long-enough-token-123");
  });

  it("names a missing --config file", () => {
    expect(
      failure(() => loadConfiguration({ file: join(directory, "nope.yaml"), roles: [], environment })),
    ).toContain("nope.yaml does not exist");
  });
});

describe("config.schema.json", () => {
  it("is what the zod schema generates (run `npm run config-schema -w @peerpay/cli` after changing it)", () => {
    const published = readFileSync(new URL("../config.schema.json", import.meta.url), "utf8");
    // Compared as data: Biome may re-wrap the checked-in file.
    expect(JSON.parse(published)).toEqual(JSON.parse(configurationJsonSchemaText()));
    const schema = JSON.parse(published) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["client", "lightning", "ledger", "seller", "buyer", "status"]),
    );
  });
});
