/**
 * The conformance suite is only worth something if it fails broken adapters. This runs it, in a
 * child vitest, against five adapters broken on purpose (src/testing/broken-*.check.ts) and checks
 * that exactly the tests that should catch each breakage fail, and all the others pass.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

interface JsonReport {
  testResults: Array<{ name: string; assertionResults: Array<{ title: string; status: string }> }>;
}

const expectedFailures: Record<string, string[]> = {
  "skips-invoice-checks": [
    "an invoice for another amount is refused before anything is paid",
    "an invoice for another network or payee is refused before anything is paid",
  ],
  "wrong-preimage": [
    "payInvoice returns the preimage of the hash, within the fee limit, and settles the invoice",
    "paying the same invoice again (also concurrently) never pays twice",
  ],
  "stream-ignores-cursor": [
    "resuming from a stored cursor delivers only what settled after it, including while unsubscribed",
    "without a cursor replays every settled invoice from the start",
  ],
  "stream-duplicates": [
    "delivers each settled invoice once, in settle order, with increasing cursors",
    "resuming from a stored cursor delivers only what settled after it, including while unsubscribed",
    "without a cursor replays every settled invoice from the start",
  ],
  "raw-errors": [
    "lookupInvoice of an unknown hash is undefined; bad input is INVALID_INPUT",
    "an unreachable backend fails calls with a retryable BACKEND_UNAVAILABLE, and recovers",
  ],
};

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), "..");
const directory = mkdtempSync(join(tmpdir(), "peerpay-conformance-negative-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function runBrokenSuites(): JsonReport {
  const vitestCli = join(
    dirname(createRequire(import.meta.url).resolve("vitest/package.json")),
    "vitest.mjs",
  );
  const outputFile = join(directory, "report.json");
  const environment = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("VITEST") && key !== "NODE_OPTIONS"),
  );
  const child = spawnSync(
    process.execPath,
    [
      vitestCli,
      "run",
      "--config",
      "vitest.broken-adapters.config.ts",
      "--reporter=json",
      `--outputFile=${outputFile}`,
      "--maxWorkers=5",
      "--minWorkers=1",
    ],
    { cwd: packageDirectory, env: environment, encoding: "utf8", timeout: 150_000 },
  );
  expect(child.error).toBeUndefined();
  expect(child.status, "the suite must fail against broken adapters").not.toBe(0);
  return JSON.parse(readFileSync(outputFile, "utf8")) as JsonReport;
}

describe("the conformance suite catches broken adapters", () => {
  it("fails exactly the tests that guard each broken behaviour", () => {
    const report = runBrokenSuites();
    const seen = new Set<string>();
    for (const file of report.testResults) {
      const kind = /broken-(.+)\.check\.ts$/.exec(file.name)?.[1];
      expect(kind && kind in expectedFailures, `unexpected file ${file.name}`).toBe(true);
      seen.add(kind!);
      const failed = file.assertionResults
        .filter((test) => test.status === "failed")
        .map((test) => test.title);
      expect(failed.sort(), kind).toEqual([...expectedFailures[kind!]!].sort());
      const passed = file.assertionResults.filter((test) => test.status === "passed");
      expect(passed.length, `${kind}: the other tests still pass`).toBeGreaterThanOrEqual(10);
    }
    expect([...seen].sort()).toEqual(Object.keys(expectedFailures).sort());
  }, 180_000);
});
