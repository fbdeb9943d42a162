import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_MSAT } from "./money.js";
import { LEDGER_APPLICATION_ID, LEDGER_SCHEMA_VERSION } from "./sqlite-ledger-schema.js";
import { createSqliteLedgerStore } from "./sqlite-ledger-store.js";

const directory = mkdtempSync(join(tmpdir(), "peerpay-sqlite-store-"));
let files = 0;
const freshPath = () => join(directory, `ledger-${++files}.sqlite`);

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe("sqlite ledger store: the file", () => {
  it("creates a WAL file marked as a peerpay ledger at the current schema version", async () => {
    const store = createSqliteLedgerStore({ path: freshPath() });
    const database = store.getInstance();
    expect(database.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(Number(database.pragma("user_version", { simple: true }))).toBe(LEDGER_SCHEMA_VERSION);
    expect(Number(database.pragma("application_id", { simple: true }))).toBe(LEDGER_APPLICATION_ID);
    expect(Number(database.pragma("synchronous", { simple: true }))).toBe(2); // FULL
    await store.close();
  });

  it("creates a new ledger file readable by its owner only, and leaves an existing file's mode alone", async () => {
    const path = freshPath();
    await createSqliteLedgerStore({ path }).close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    chmodSync(path, 0o640);
    await createSqliteLedgerStore({ path }).close();
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it("opens an existing file again without migrating it twice", async () => {
    const path = freshPath();
    await createSqliteLedgerStore({ path }).close();
    const again = createSqliteLedgerStore({ path, synchronous: "normal" });
    expect(Number(again.getInstance().pragma("user_version", { simple: true }))).toBe(LEDGER_SCHEMA_VERSION);
    expect(Number(again.getInstance().pragma("synchronous", { simple: true }))).toBe(1); // NORMAL
    await again.close();
  });

  it("refuses a file written by a newer schema, and leaves it alone", () => {
    const path = freshPath();
    const database = new Database(path);
    database.pragma(`application_id = ${LEDGER_APPLICATION_ID}`);
    database.pragma(`user_version = ${LEDGER_SCHEMA_VERSION + 1}`);
    database.close();
    expect(() => createSqliteLedgerStore({ path })).toThrow(/newer than this peerpay knows/);
    const check = new Database(path);
    expect(check.pragma("user_version", { simple: true })).toBe(LEDGER_SCHEMA_VERSION + 1);
    check.close();
  });

  it("refuses another program's database instead of writing tables into it", () => {
    const path = freshPath();
    const database = new Database(path);
    database.exec("CREATE TABLE photos (id INTEGER PRIMARY KEY)");
    database.close();
    expect(() => createSqliteLedgerStore({ path })).toThrow(/another program/);
    const stranger = freshPath();
    const other = new Database(stranger);
    other.pragma("application_id = 42");
    other.close();
    expect(() => createSqliteLedgerStore({ path: stranger })).toThrow(/not a peerpay ledger/);
  });

  it("reports a file that is not a database as STORAGE_FAILED", () => {
    const path = freshPath();
    writeFileSync(
      path,
      "this is not a database, just text that fills more than a header's worth ".repeat(20),
    );
    expect(() => createSqliteLedgerStore({ path })).toThrow(
      expect.objectContaining({ code: "STORAGE_FAILED", message: expect.stringContaining("cannot use") }),
    );
  });

  it("reports a file it cannot open as STORAGE_FAILED", () => {
    expect(() =>
      createSqliteLedgerStore({ path: join(directory, "missing-dir", "x", "ledger.sqlite") }),
    ).toThrow(expect.objectContaining({ code: "STORAGE_FAILED" }));
  });

  it("stores money as 64-bit integers, never as floats", async () => {
    const store = createSqliteLedgerStore({ path: freshPath() });
    await store.recordUsage([
      {
        peer: "192.0.2.1",
        infohash: "5".repeat(40),
        bytes: 9_007_199_254_740_993n, // 2^53 + 1: not representable as a double
        freeBytes: 0n,
        priceMsatPerGiB: MAX_MSAT,
        costMsat: MAX_MSAT - 7n,
        accuracy: "estimated",
        at: new Date(),
      },
    ]);
    const row = store
      .getInstance()
      .prepare("SELECT typeof(cost_msat) AS kind, cost_msat, bytes_served FROM peer_accounts")
      .get() as { kind: string; cost_msat: bigint; bytes_served: bigint };
    expect(row).toEqual({ kind: "integer", cost_msat: MAX_MSAT - 7n, bytes_served: 9_007_199_254_740_993n });
    expect((await store.getAccount("192.0.2.1"))?.bytesServed).toBe(9_007_199_254_740_993n);
    await store.close();
  });

  it("rejects calls after close with STORAGE_FAILED", async () => {
    const store = createSqliteLedgerStore({ path: freshPath() });
    await store.close();
    await store.close();
    await expect(store.getAccount("192.0.2.1")).rejects.toMatchObject({
      code: "STORAGE_FAILED",
      retryable: false,
    });
  });

  it("credits once when two connections to one file receive the same settlement", async () => {
    const path = freshPath();
    const one = createSqliteLedgerStore({ path });
    const two = createSqliteLedgerStore({ path });
    await one.recordInvoice({
      paymentHash: "d".repeat(64),
      paymentRequest: "lnsim1",
      peer: "192.0.2.8",
      requestedBy: "192.0.2.8",
      amountMsat: 1234n,
      creditMsat: 1234n,
      listenPorts: [],
      rail: "lightning",
      state: "open",
      createdAt: new Date(0),
      expiresAt: new Date(Date.UTC(2035, 0, 1)),
    });
    const settlement = {
      paymentHash: "d".repeat(64),
      receivedMsat: 1234n,
      settledAt: new Date(),
      cursorKey: "sim:a",
      cursor: "1",
    };
    const results = await Promise.all([one.applySettlement(settlement), two.applySettlement(settlement)]);
    expect(results.map((result) => result.credited).sort()).toEqual([false, true]);
    expect((await two.getAccount("192.0.2.8"))?.creditMsat).toBe(1234n);
    await one.close();
    await two.close();
  });
});
