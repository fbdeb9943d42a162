/**
 * The built `peerpay` binary refusing wrong configurations: one line on stderr naming the key,
 * exit code 1, and nothing started or written (no ledger file appears).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runPeerpay } from "./daemon-process.test.fixture.js";

const directory = mkdtempSync(join(tmpdir(), "peerpay-commands-test-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const ledger = join(directory, "ledger.sqlite");
const environment = {
  HOME: directory,
  LND_MACAROON_PATH: "",
  LND_MACAROON: "",
  CLN_RUNE: "",
  PEERPAY_CONFIG: "",
  PEERPAY_CLIENT_PASSWORD: "do-not-print-this-password",
};

describe.each([
  {
    name: "a misspelt key in the file",
    file: "seller:\n  listen: { prot: 9736 }\n",
    args: [],
    message: "seller.listen.prot: unknown key",
  },
  {
    name: "a flag with a bad value",
    file: "",
    args: ["--listen-port", "ninety"],
    message: "seller.listen.port: expected number, got string",
  },
  {
    name: "lnd:// without a macaroon",
    file: "",
    args: ["--lightning", "lnd://127.0.0.1:1"],
    message: "lightning: lnd:// needs a macaroon",
  },
  {
    name: "cln+https:// without a rune",
    file: "",
    args: ["--lightning", "cln+https://127.0.0.1:1"],
    message: "lightning: cln+https:// needs a rune: set CLN_RUNE",
  },
])("peerpay seed with $name", ({ file, args, message }) => {
  it("exits 1 with one message naming the problem, before anything starts", async () => {
    const path = join(directory, "config.yaml");
    writeFileSync(path, `client: transmission://me@127.0.0.1:1\nledger: { path: ${ledger} }\n${file}`);
    const result = await runPeerpay(["seed", "--config", path, ...args], environment);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^peerpay: INVALID_CONFIG: /);
    expect(lines[0]).toContain(message);
    expect(result.stderr).not.toContain("do-not-print-this-password");
    expect(result.stdout).toBe("");
    expect(existsSync(ledger)).toBe(false);
  });
});
