import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryLedgerStore, createSqliteLedgerStore, type SqliteLedgerStore } from "@peerpay/core";
import { afterAll, expect, it } from "vitest";
import { runLedgerStoreConformance } from "./ledger-store-conformance.js";

const directory = mkdtempSync(join(tmpdir(), "peerpay-ledger-conformance-"));
let files = 0;

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

runLedgerStoreConformance({
  name: "memory",
  createStore: async () => createMemoryLedgerStore(),
});

runLedgerStoreConformance({
  name: "sqlite (a real file, WAL)",
  createStore: async () => {
    files += 1;
    return createSqliteLedgerStore({ path: join(directory, `ledger-${files}.sqlite`) });
  },
  reopen: async (store) => {
    const { path } = store as SqliteLedgerStore;
    await store.close();
    return createSqliteLedgerStore({ path });
  },
  additionalTests: ({ store }) => {
    it("keeps its file in WAL mode", () => {
      const database = (store() as SqliteLedgerStore).getInstance();
      expect(database.pragma("journal_mode", { simple: true })).toBe("wal");
    });
  },
});
