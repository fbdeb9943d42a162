/**
 * The conformance suite every ledger store runs (the rules are in @peerpay/core's ledger-store.ts).
 * Call it inside a vitest file:
 *
 *   runLedgerStoreConformance({
 *     name: "sqlite",
 *     createStore: async () => createSqliteLedgerStore({ path: freshFile() }),
 *     reopen: async (store) => { await store.close(); return createSqliteLedgerStore({ path }); },
 *   });
 *
 * A capability a store lacks (e.g. `reopen` for a store that keeps nothing) is skipped with the
 * reason printed in the test name, never silently.
 */
import type { LedgerStore } from "@peerpay/core";
import { afterEach, beforeEach, describe } from "vitest";
import { defineBuyerConformance } from "./ledger-store-conformance-buyer.js";
import { defineSellerConformance } from "./ledger-store-conformance-seller.js";

export interface LedgerStoreConformanceOptions {
  readonly name: string;
  /** A fresh, empty store. */
  createStore(): Promise<LedgerStore>;
  /**
   * Closes `store` and opens the same data again (a process restart). Leave it out for a store
   * that keeps nothing (the in-memory store); the persistence tests are then skipped.
   */
  reopen?(store: LedgerStore): Promise<LedgerStore>;
  /** More store-specific tests, run with the same fresh store per test. */
  additionalTests?(context: LedgerStoreConformanceContext): void;
}

export interface LedgerStoreConformanceContext {
  /** The store of the running test. */
  store(): LedgerStore;
  /** Replaces the running test's store (after a reopen), so it is the one closed afterwards. */
  replaceStore(store: LedgerStore): void;
  readonly options: LedgerStoreConformanceOptions;
}

export function runLedgerStoreConformance(options: LedgerStoreConformanceOptions): void {
  describe(`ledger store conformance: ${options.name}`, () => {
    let current: LedgerStore | undefined;

    beforeEach(async () => {
      current = await options.createStore();
    });

    afterEach(async () => {
      await current?.close();
      current = undefined;
    });

    const context: LedgerStoreConformanceContext = {
      store: () => {
        if (!current) throw new Error("ledger store conformance: no store for this test");
        return current;
      },
      replaceStore: (store) => {
        current = store;
      },
      options,
    };

    defineSellerConformance(context);
    defineBuyerConformance(context);
    options.additionalTests?.(context);
  });
}
