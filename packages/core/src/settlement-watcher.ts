/**
 * The settlement watcher: follows the payment adapter's settled-invoice stream from the cursor the
 * ledger stored, and credits each settled invoice exactly once.
 *
 * The stream delivers at least once and waits for each `onSettled` promise; the watcher resolves it
 * only after the store committed the credit together with the cursor. So a crash at any point
 * either loses the whole step (the stream re-delivers it from the stored cursor) or keeps the
 * whole step (the re-delivery finds the payment hash already credited and changes nothing).
 */
import { PeerpayError } from "./errors.js";
import type { LedgerStore, SettlementResult } from "./ledger-store.js";
import type { PaymentAdapter, SettledInvoice, SettledInvoiceSubscription } from "./payment-adapter.js";
import type { SellerLedger, SettlementOutcome } from "./seller-ledger.js";

export interface SettlementWatcherOptions {
  readonly adapter: PaymentAdapter;
  /** The seller ledger: credits and also unblocks peers that paid. Give this or `store`. */
  readonly ledger?: SellerLedger;
  /** A bare store: credits only. */
  readonly store?: LedgerStore;
  /** Where the cursor is kept. Default `<adapter name>:<node id>`, so two nodes never share one. */
  readonly cursorKey?: string;
  /** Called after a settled invoice was credited (not for duplicates or unknown invoices). */
  readonly onCredited?: (outcome: SettlementOutcome, invoice: SettledInvoice) => void | Promise<void>;
  /** Stream faults and failures of `onCredited`; the stream keeps going. */
  readonly onError?: (error: unknown) => void;
}

export interface SettlementWatcherStats {
  readonly delivered: number;
  readonly credited: number;
  readonly duplicates: number;
  readonly unknown: number;
}

export interface SettlementWatcher {
  readonly cursorKey: string;
  /** The cursor the stream resumed from (undefined: from the beginning). */
  readonly startCursor: string | undefined;
  stats(): SettlementWatcherStats;
  close(): Promise<void>;
}

export async function startSettlementWatcher(options: SettlementWatcherOptions): Promise<SettlementWatcher> {
  const { adapter, ledger } = options;
  const store = ledger?.store ?? options.store;
  if (!store) {
    throw new PeerpayError("INVALID_CONFIG", "settlement watcher: give a `ledger` or a `store`", {
      details: { field: "ledger" },
    });
  }
  if (!adapter.capabilities.settledInvoiceStream) {
    throw new PeerpayError(
      "UNSUPPORTED",
      `settlement watcher: the ${adapter.name} adapter has no durable settled-invoice stream`,
    );
  }
  const cursorKey = options.cursorKey ?? `${adapter.name}:${(await adapter.getInfo()).nodeId}`;
  const startCursor = await store.getCursor(cursorKey);
  let delivered = 0;
  let credited = 0;
  let duplicates = 0;
  let unknown = 0;

  const apply = async (invoice: SettledInvoice): Promise<SettlementOutcome> => {
    if (ledger) return ledger.applySettlement(invoice, cursorKey);
    const result: SettlementResult = await store.applySettlement({
      paymentHash: invoice.paymentHash,
      receivedMsat: invoice.amountMsat,
      settledAt: invoice.settledAt,
      cursorKey,
      cursor: invoice.cursor,
    });
    return result;
  };

  const subscription: SettledInvoiceSubscription = adapter.subscribeSettledInvoices({
    cursor: startCursor,
    onSettled: async (invoice) => {
      delivered++;
      // If this rejects, the stream stops and reports it; nothing was committed, so nothing is lost.
      const outcome = await apply(invoice);
      if (outcome.credited) credited++;
      else if (outcome.reason === "already-credited") duplicates++;
      else unknown++;
      if (outcome.credited && options.onCredited) {
        try {
          await options.onCredited(outcome, invoice);
        } catch (error) {
          options.onError?.(error);
        }
      }
    },
    ...(options.onError ? { onError: options.onError } : {}),
  });

  return {
    cursorKey,
    startCursor,
    stats: () => ({ delivered, credited, duplicates, unknown }),
    close: () => subscription.close(),
  };
}
