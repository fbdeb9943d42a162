import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PeerpayError } from "./errors.js";
import { createLedgerPolicy } from "./ledger-policy.js";
import type { LedgerStore } from "./ledger-store.js";
import { createMemoryLedgerStore } from "./memory-ledger-store.js";
import type { PaymentAdapter, SettledInvoice, SettledInvoiceSubscriptionOptions } from "./payment-adapter.js";
import { createPriceBook } from "./price-book.js";
import { createSellerLedger } from "./seller-ledger.js";
import { startSettlementWatcher } from "./settlement-watcher.js";
import { createSqliteLedgerStore } from "./sqlite-ledger-store.js";

const directory = mkdtempSync(join(tmpdir(), "peerpay-watcher-"));
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

/**
 * A protocol-level double of a node's durable settled-invoice stream (a double, not a node): the
 * settled invoices in settle order, cursor = position; resumes after a cursor, and can deliver
 * every invoice twice (at-least-once delivery, as the contract allows).
 */
function createStreamDouble(options: { duplicate?: boolean; stream?: boolean } = {}) {
  const settled: SettledInvoice[] = [];
  const listeners = new Set<() => void>();
  const unsupported = () => Promise.reject(new PeerpayError("UNSUPPORTED", "stream double"));
  const adapter: PaymentAdapter = {
    specificationVersion: "v1",
    name: "double",
    capabilities: {
      createInvoice: false,
      payInvoice: false,
      settledInvoiceStream: options.stream ?? true,
      descriptionHash: false,
    },
    getInfo: async () => ({
      nodeId: "02".padEnd(66, "a"),
      alias: "double",
      network: "simnet",
      simulated: true,
    }),
    createInvoice: unsupported,
    lookupInvoice: unsupported,
    payInvoice: unsupported,
    decodeInvoice: unsupported,
    close: async () => {},
    subscribeSettledInvoices(subscription: SettledInvoiceSubscriptionOptions) {
      let position = subscription.cursor === undefined ? 0 : Number(subscription.cursor);
      let closed = false;
      let running = false;
      const pump = async () => {
        if (running) return;
        running = true;
        try {
          while (!closed && position < settled.length) {
            const invoice = settled[position] as SettledInvoice;
            await subscription.onSettled(invoice);
            if (options.duplicate) await subscription.onSettled(invoice);
            position++;
          }
        } catch (error) {
          closed = true;
          subscription.onError?.(error);
        } finally {
          running = false;
        }
      };
      listeners.add(pump);
      void pump();
      return {
        close: async () => {
          closed = true;
          listeners.delete(pump);
        },
      };
    },
  };
  return {
    adapter,
    settle(paymentHash: string, amountMsat: bigint) {
      settled.push({ paymentHash, amountMsat, settledAt: new Date(), cursor: String(settled.length + 1) });
      for (const listener of listeners) void listener();
    },
  };
}

async function issue(store: LedgerStore, paymentHash: string, peer: string, amountMsat: bigint) {
  await store.recordInvoice({
    paymentHash,
    paymentRequest: `lnsim${paymentHash.slice(0, 6)}`,
    peer,
    requestedBy: peer,
    amountMsat,
    creditMsat: amountMsat,
    listenPorts: [],
    rail: "lightning",
    state: "open",
    createdAt: new Date(0),
    expiresAt: new Date(Date.UTC(2035, 0, 1)),
  });
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("settlement watcher", () => {
  it("credits each settled invoice once under duplicate delivery and unblocks the payer", async () => {
    const store = createMemoryLedgerStore();
    const ledger = createSellerLedger({ store, priceBook: createPriceBook(), policy: createLedgerPolicy() });
    await store.setBlocked("192.0.2.5", true, "debt", new Date());
    await issue(store, "1".repeat(64), "192.0.2.5", 2000n);
    await issue(store, "2".repeat(64), "192.0.2.5", 3000n);
    const double = createStreamDouble({ duplicate: true });
    const credited: string[] = [];
    const watcher = await startSettlementWatcher({
      adapter: double.adapter,
      ledger,
      onCredited: (outcome, invoice) => {
        credited.push(`${invoice.paymentHash.slice(0, 1)}:${outcome.decision?.kind}`);
      },
    });
    expect(watcher.cursorKey).toBe(`double:${"02".padEnd(66, "a")}`);
    expect(watcher.startCursor).toBeUndefined();
    double.settle("1".repeat(64), 2000n);
    double.settle("f".repeat(64), 999n); // an invoice this seller never issued
    double.settle("2".repeat(64), 3000n);
    await until(() => watcher.stats().delivered === 6);
    expect(watcher.stats()).toEqual({ delivered: 6, credited: 2, duplicates: 2, unknown: 2 });
    expect(credited).toEqual(["1:allow", "2:allow"]);
    expect(await store.getAccount("192.0.2.5")).toMatchObject({ creditMsat: 5000n, blocked: false });
    expect(await store.getCursor(watcher.cursorKey)).toBe("3");
    await watcher.close();
  });

  it("resumes from the stored cursor after a restart and never skips an invoice settled while down", async () => {
    const path = join(directory, "resume.sqlite");
    const double = createStreamDouble();
    let store = createSqliteLedgerStore({ path });
    for (const digit of ["3", "4", "5"]) await issue(store, digit.repeat(64), "192.0.2.6", 1000n);
    let watcher = await startSettlementWatcher({ adapter: double.adapter, store, cursorKey: "double:node" });
    double.settle("3".repeat(64), 1000n);
    await until(async () => (await store.getCursor("double:node")) === "1");
    await watcher.close();
    await store.close();

    // settled while the seller was down
    double.settle("4".repeat(64), 1000n);
    double.settle("5".repeat(64), 1000n);

    store = createSqliteLedgerStore({ path });
    watcher = await startSettlementWatcher({ adapter: double.adapter, store, cursorKey: "double:node" });
    expect(watcher.startCursor).toBe("1");
    await until(() => watcher.stats().delivered === 2);
    expect(watcher.stats()).toMatchObject({ credited: 2, duplicates: 0 });
    expect(await store.getAccount("192.0.2.6")).toMatchObject({ creditMsat: 3000n, paymentsSettled: 3 });
    await watcher.close();
    await store.close();
  });

  it("keeps going when onCredited throws, and reports it", async () => {
    const store = createMemoryLedgerStore();
    await issue(store, "6".repeat(64), "192.0.2.7", 10n);
    await issue(store, "7".repeat(64), "192.0.2.7", 20n);
    const double = createStreamDouble();
    const errors: unknown[] = [];
    const watcher = await startSettlementWatcher({
      adapter: double.adapter,
      store,
      onCredited: () => {
        throw new Error("listener failed");
      },
      onError: (error) => errors.push(error),
    });
    double.settle("6".repeat(64), 10n);
    double.settle("7".repeat(64), 20n);
    await until(() => watcher.stats().credited === 2);
    expect(errors).toHaveLength(2);
    expect((await store.getAccount("192.0.2.7"))?.creditMsat).toBe(30n);
    await watcher.close();
  });

  it("refuses an adapter without a durable stream, and a call without a ledger or store", async () => {
    const double = createStreamDouble({ stream: false });
    await expect(
      startSettlementWatcher({ adapter: double.adapter, store: createMemoryLedgerStore() }),
    ).rejects.toMatchObject({ code: "UNSUPPORTED" });
    await expect(startSettlementWatcher({ adapter: createStreamDouble().adapter })).rejects.toMatchObject({
      code: "INVALID_CONFIG",
    });
  });
});
