/**
 * Crash tests: a real seller process (the built package, a real SQLite file) is killed with
 * SIGKILL at chosen points of crediting a settled invoice; a restarted process replays the stream
 * from the stored cursor. The balance must be credited exactly once, whatever the point.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteLedgerStore } from "./sqlite-ledger-store.js";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const childScript = join(packageRoot, "test-fixtures", "ledger-crash-child.mjs");
const PEER = "192.0.2.33";
const CURSOR_KEY = "sim:crash-test";
const AMOUNTS = [4000n, 7000n, 9000n];
const TOTAL = AMOUNTS.reduce((sum, amount) => sum + amount, 0n);

let directory: string;
let streamPath: string;
const children = new Set<ChildProcess>();
let files = 0;

beforeAll(() => {
  if (!existsSync(join(packageRoot, "dist", "index.js"))) {
    throw new Error("the crash tests run the built package: run `npx tsc -b packages/core` first");
  }
  directory = mkdtempSync(join(tmpdir(), "peerpay-ledger-crash-"));
  streamPath = join(directory, "stream.json");
});

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
});

function hashOf(index: number): string {
  return index.toString(16).padStart(2, "0").repeat(32);
}

/** A ledger file with three open invoices for PEER, which is blocked for a debt of 15 000 msat. */
async function prepareLedger(invoiceCount = AMOUNTS.length): Promise<string> {
  files += 1;
  const path = join(directory, `ledger-${files}.sqlite`);
  const store = createSqliteLedgerStore({ path });
  const amounts = Array.from({ length: invoiceCount }, (_, index) => AMOUNTS[index % AMOUNTS.length] ?? 1n);
  for (const [index, amount] of amounts.entries()) {
    await store.recordInvoice({
      paymentHash: hashOf(index + 1),
      paymentRequest: `lnsim${index}`,
      peer: PEER,
      requestedBy: PEER,
      amountMsat: amount,
      creditMsat: amount,
      listenPorts: [],
      rail: "lightning",
      state: "open",
      createdAt: new Date(1000),
      expiresAt: new Date(Date.UTC(2035, 0, 1)),
    });
  }
  await store.recordUsage([
    {
      peer: PEER,
      infohash: "4".repeat(40),
      bytes: 1n << 30n,
      freeBytes: 0n,
      priceMsatPerGiB: 15_000n,
      costMsat: 15_000n,
      accuracy: "exact",
      at: new Date(2000),
    },
  ]);
  await store.setBlocked(PEER, true, "debt over credit line", new Date(2000));
  await store.close();
  writeFileSync(
    streamPath,
    JSON.stringify(
      amounts.map((amount, index) => ({
        paymentHash: hashOf(index + 1),
        amountMsat: amount.toString(),
        settledAt: new Date(3000 + index).toISOString(),
      })),
    ),
  );
  return path;
}

interface ChildRun {
  readonly messages: Record<string, unknown>[];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first message that has this key. */
  waitFor(key: string): Promise<Record<string, unknown>>;
  readonly child: ChildProcess;
}

function runChild(args: string[]): ChildRun {
  const child = spawn(process.execPath, [childScript, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const messages: Record<string, unknown>[] = [];
  const waiters: { key: string; resolve: (message: Record<string, unknown>) => void }[] = [];
  let buffer = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
      const message = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
      buffer = buffer.slice(newline + 1);
      messages.push(message);
      for (const waiter of waiters.filter((entry) => entry.key in message)) waiter.resolve(message);
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  return {
    messages,
    exit,
    child,
    waitFor: (key) =>
      new Promise((resolve, reject) => {
        const found = messages.find((message) => key in message);
        if (found) return resolve(found);
        waiters.push({ key, resolve });
        void exit.then(({ code, signal }) =>
          reject(new Error(`child exited (${code ?? signal}) before "${key}": ${stderr.slice(0, 2000)}`)),
        );
      }),
  };
}

async function killAt(path: string, point: string, index: number): Promise<void> {
  const run = runChild(["follow", path, streamPath, point, String(index)]);
  expect(await run.waitFor("point")).toEqual({ point });
  run.child.kill("SIGKILL");
  expect((await run.exit).signal).toBe("SIGKILL");
}

async function follow(path: string, mode = "follow"): Promise<Record<string, unknown>> {
  const run = runChild([mode, path, streamPath]);
  await run.waitFor("done");
  expect((await run.exit).code).toBe(0);
  return run.messages[0] ?? {};
}

async function inspect(path: string) {
  const store = createSqliteLedgerStore({ path });
  try {
    const database = store.getInstance();
    const settlements = database.prepare("SELECT count(*) AS n FROM settlements").get() as { n: bigint };
    return {
      account: await store.getAccount(PEER),
      cursor: await store.getCursor(CURSOR_KEY),
      settlements: Number(settlements.n),
      credits: (await store.history({ kinds: ["settlement"] })).length,
    };
  } finally {
    await store.close();
  }
}

describe("sqlite ledger: crash while crediting a settled invoice", () => {
  it("killed after delivery, before any write: the restart credits the invoice once", async () => {
    const path = await prepareLedger();
    await killAt(path, "delivered", 2);
    const crashed = await inspect(path);
    expect(crashed).toMatchObject({ cursor: "1", settlements: 1 });
    expect(crashed.account?.creditMsat).toBe(4000n);
    expect(await follow(path)).toEqual({ resumedFrom: "1" });
    const after = await inspect(path);
    expect(after).toMatchObject({ cursor: "3", settlements: 3, credits: 3 });
    expect(after.account).toMatchObject({ creditMsat: TOTAL, paymentsSettled: 3, blocked: false });
  }, 30_000);

  it("killed inside the transaction before commit: nothing of the step survives, the replay credits once", async () => {
    const path = await prepareLedger();
    await killAt(path, "before-commit", 2);
    const crashed = await inspect(path);
    // the credit of invoice 2 was written but never committed
    expect(crashed).toMatchObject({ cursor: "1", settlements: 1 });
    expect(crashed.account?.creditMsat).toBe(4000n);
    expect(crashed.account?.paymentsSettled).toBe(1);
    expect(await follow(path)).toEqual({ resumedFrom: "1" });
    const after = await inspect(path);
    expect(after).toMatchObject({ cursor: "3", settlements: 3, credits: 3 });
    expect(after.account).toMatchObject({ creditMsat: TOTAL, paymentsSettled: 3, blocked: false });
  }, 30_000);

  it("killed after commit, before the stream is acknowledged: the re-delivery credits nothing more", async () => {
    const path = await prepareLedger();
    await killAt(path, "after-commit", 2);
    const crashed = await inspect(path);
    expect(crashed).toMatchObject({ cursor: "2", settlements: 2 });
    expect(crashed.account?.creditMsat).toBe(11_000n);
    expect(await follow(path)).toEqual({ resumedFrom: "2" });
    // a backend that replays its whole history (no cursor) changes nothing either
    expect(await follow(path, "replay-all")).toEqual({ resumedFrom: "3" });
    const after = await inspect(path);
    expect(after).toMatchObject({ cursor: "3", settlements: 3, credits: 3 });
    expect(after.account).toMatchObject({ creditMsat: TOTAL, paymentsSettled: 3, blocked: false });
  }, 30_000);

  it("killed at the last invoice after commit: the ledger is complete and the unblock stands", async () => {
    const path = await prepareLedger();
    await killAt(path, "after-commit", 3);
    expect(await follow(path)).toEqual({ resumedFrom: "3" });
    const after = await inspect(path);
    expect(after.account).toMatchObject({ creditMsat: TOTAL, paymentsSettled: 3, blocked: false });
  }, 30_000);

  it("killed in the middle of a usage batch: none of the batch is kept", async () => {
    const path = await prepareLedger();
    const run = runChild(["usage", path, streamPath, "mid-usage"]);
    expect(await run.waitFor("point")).toEqual({ point: "mid-usage" });
    run.child.kill("SIGKILL");
    await run.exit;
    const store = createSqliteLedgerStore({ path });
    expect(await store.getAccount("192.0.2.44")).toBeUndefined();
    expect(await store.history({ counterparty: "192.0.2.44" })).toEqual([]);
    await store.close();
    const again = runChild(["usage", path, streamPath]);
    await again.waitFor("done");
    const reopened = createSqliteLedgerStore({ path });
    expect(await reopened.getAccount("192.0.2.44")).toMatchObject({ costMsat: 10_000n, bytesServed: 55n });
    await reopened.close();
  }, 30_000);
});

describe("sqlite ledger: two processes on one file", () => {
  it("credit each of 30 settled invoices once when both replay the whole stream at the same time", async () => {
    const path = await prepareLedger(30);
    const first = runChild(["replay-all", path, streamPath]);
    const second = runChild(["replay-all", path, streamPath]);
    await Promise.all([first.waitFor("done"), second.waitFor("done")]);
    expect((await first.exit).code).toBe(0);
    expect((await second.exit).code).toBe(0);
    const after = await inspect(path);
    const expected = Array.from({ length: 30 }, (_, index) => AMOUNTS[index % 3] ?? 0n).reduce(
      (a, b) => a + b,
      0n,
    );
    expect(after).toMatchObject({ cursor: "30", settlements: 30, credits: 30 });
    expect(after.account).toMatchObject({ creditMsat: expected, paymentsSettled: 30 });
  }, 60_000);
});
