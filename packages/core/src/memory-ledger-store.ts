/**
 * An in-memory ledger store, for unit tests only: it forgets everything when the process ends.
 * It keeps every rule of the `LedgerStore` contract (exactly-once settlement, all-or-nothing
 * batches, CONFLICT on a second `beginPayment`) and runs the same conformance suite as SQLite.
 */
import {
  invoiceEntry,
  paymentOutcomeEntry,
  paymentStartEntry,
  receivedEntry,
  settlementEntry,
  usageEntry,
} from "./ledger-history-entries.js";
import {
  accountBalance,
  type HistoryFilter,
  type IssuedInvoiceRecord,
  type LedgerEntry,
  type LedgerStore,
  type OutgoingPaymentRecord,
  type PeerAccount,
  type SellerAccount,
  type SettlementResult,
} from "./ledger-store.js";
import type { Msat } from "./money.js";
import {
  addTotal,
  checkHistoryLimit,
  checkInvoice,
  checkOutcome,
  checkPaymentStart,
  checkReceivedBatch,
  checkSettlement,
  checkUsageBatch,
  conflict,
  cursorAdvances,
  matchesHistory,
  notFound,
  settlementCredit,
} from "./seller-ledger-checks.js";

export interface MemoryLedgerStoreOptions {
  /** Clock for `updatedAt` stamps. Default: `() => new Date()`. */
  readonly clock?: () => Date;
}

export type MemoryLedgerStore = LedgerStore & { readonly kind: "memory" };

export function createMemoryLedgerStore(options: MemoryLedgerStoreOptions = {}): MemoryLedgerStore {
  const clock = options.clock ?? (() => new Date());
  const accounts = new Map<string, PeerAccount>();
  const invoices = new Map<string, IssuedInvoiceRecord>();
  const settled = new Set<string>();
  const cursors = new Map<string, string>();
  const payments = new Map<string, OutgoingPaymentRecord>();
  const sellers = new Map<string, SellerAccount>();
  const entries: LedgerEntry[] = [];

  const emptyAccount = (peer: string): PeerAccount => ({
    peer,
    creditMsat: 0n,
    costMsat: 0n,
    bytesServed: 0n,
    freeBytesUsed: 0n,
    paymentsSettled: 0,
    blocked: false,
    updatedAt: clock(),
  });
  const emptySeller = (seller: string): SellerAccount => ({
    seller,
    paidMsat: 0n,
    feesMsat: 0n,
    bytesReceived: 0n,
    costMsat: 0n,
    paymentsMade: 0,
    updatedAt: clock(),
  });
  const append = (entry: Omit<LedgerEntry, "id">): void => {
    entries.push({ id: entries.length + 1, ...entry });
  };

  const store: MemoryLedgerStore = {
    kind: "memory",

    async recordUsage(batch) {
      checkUsageBatch(batch);
      // Compute every new total first, so a failure leaves the store untouched.
      const next = new Map<string, PeerAccount>();
      for (const record of batch) {
        const account = next.get(record.peer) ?? accounts.get(record.peer) ?? emptyAccount(record.peer);
        next.set(record.peer, {
          ...account,
          costMsat: addTotal(account.costMsat, record.costMsat, "costMsat"),
          bytesServed: addTotal(account.bytesServed, record.bytes, "bytesServed"),
          freeBytesUsed: addTotal(account.freeBytesUsed, record.freeBytes, "freeBytesUsed"),
          updatedAt: clock(),
        });
      }
      for (const [peer, account] of next) accounts.set(peer, account);
      for (const record of batch) {
        append(usageEntry(record));
      }
    },

    async getAccount(peer) {
      return accounts.get(peer);
    },

    async listAccounts() {
      return [...accounts.values()].sort((a, b) => byText(a.peer, b.peer));
    },

    async setBlocked(peer, blocked, reason, at) {
      const account = accounts.get(peer) ?? emptyAccount(peer);
      if (account.blocked === blocked && accounts.has(peer)) {
        if (blocked && account.blockedReason !== reason)
          accounts.set(peer, { ...account, blockedReason: reason });
        return;
      }
      const { blockedReason: _reason, blockedSince: _since, ...rest } = account;
      accounts.set(
        peer,
        blocked
          ? { ...rest, blocked, blockedReason: reason, blockedSince: at, updatedAt: clock() }
          : { ...rest, blocked, updatedAt: clock() },
      );
      if (account.blocked !== blocked) {
        append({ at, kind: blocked ? "block" : "unblock", counterparty: peer, note: reason });
      }
    },

    async recordInvoice(invoice) {
      checkInvoice(invoice);
      if (invoices.has(invoice.paymentHash)) {
        throw conflict("ledger store: an invoice with this payment hash was already recorded", {
          paymentHash: invoice.paymentHash,
        });
      }
      invoices.set(invoice.paymentHash, { ...invoice, listenPorts: [...invoice.listenPorts] });
      append(invoiceEntry(invoice));
    },

    async getInvoice(paymentHash) {
      return invoices.get(paymentHash);
    },

    async countOpenInvoices(peer, now) {
      let count = 0;
      for (const invoice of invoices.values()) {
        if (
          invoice.peer === peer &&
          invoice.state === "open" &&
          invoice.expiresAt.getTime() > now.getTime()
        ) {
          count++;
        }
      }
      return count;
    },

    async applySettlement(settlement): Promise<SettlementResult> {
      checkSettlement(settlement);
      const invoice = invoices.get(settlement.paymentHash);
      const moveCursor = () => {
        if (cursorAdvances(cursors.get(settlement.cursorKey), settlement.cursor)) {
          cursors.set(settlement.cursorKey, settlement.cursor);
        }
      };
      if (!invoice) {
        moveCursor();
        return { credited: false, reason: "unknown-invoice" };
      }
      if (settled.has(invoice.paymentHash) || invoice.state === "settled") {
        moveCursor();
        return { credited: false, reason: "already-credited", invoice, account: accounts.get(invoice.peer) };
      }
      const credit = settlementCredit(invoice, settlement.receivedMsat);
      const account = accounts.get(invoice.peer) ?? emptyAccount(invoice.peer);
      const updated: PeerAccount = {
        ...account,
        creditMsat: addTotal(account.creditMsat, credit, "creditMsat"),
        paymentsSettled: account.paymentsSettled + 1,
        updatedAt: clock(),
      };
      const settledInvoice: IssuedInvoiceRecord = {
        ...invoice,
        state: "settled",
        settledAt: settlement.settledAt,
      };
      accounts.set(invoice.peer, updated);
      invoices.set(invoice.paymentHash, settledInvoice);
      settled.add(invoice.paymentHash);
      moveCursor();
      append(settlementEntry(invoice, settlement, credit, accountBalance(updated)));
      return { credited: true, account: updated, invoice: settledInvoice };
    },

    async getCursor(cursorKey) {
      return cursors.get(cursorKey);
    },

    async beginPayment(payment) {
      checkPaymentStart(payment);
      if (payments.has(payment.paymentHash)) {
        throw conflict("ledger store: a payment for this payment hash was already begun", {
          paymentHash: payment.paymentHash,
        });
      }
      payments.set(payment.paymentHash, { ...payment, state: "pending" });
      append(paymentStartEntry(payment));
    },

    async completePayment(paymentHash, outcome, at) {
      checkOutcome(outcome, at);
      const payment = payments.get(paymentHash);
      if (!payment)
        throw notFound("ledger store: no payment was begun for this payment hash", { paymentHash });
      if (payment.state !== "pending") {
        if (payment.state === outcome.state) return;
        throw conflict(`ledger store: the payment already ${payment.state}`, { paymentHash });
      }
      if (outcome.state === "succeeded") {
        const seller = sellers.get(payment.seller) ?? emptySeller(payment.seller);
        const updated: SellerAccount = {
          ...seller,
          paidMsat: addTotal(seller.paidMsat, payment.amountMsat, "paidMsat"),
          feesMsat: addTotal(seller.feesMsat, outcome.feeMsat, "feesMsat"),
          paymentsMade: seller.paymentsMade + 1,
          updatedAt: clock(),
        };
        sellers.set(payment.seller, updated);
        payments.set(paymentHash, {
          ...payment,
          state: "succeeded",
          feeMsat: outcome.feeMsat,
          preimage: outcome.preimage,
          completedAt: at,
        });
      } else {
        payments.set(paymentHash, {
          ...payment,
          state: "failed",
          failureCode: outcome.failureCode,
          completedAt: at,
        });
      }
      append(paymentOutcomeEntry(payment, outcome, at));
    },

    async getPayment(paymentHash) {
      return payments.get(paymentHash);
    },

    async listPayments(filter) {
      return [...payments.values()]
        .filter((payment) => filter?.state === undefined || payment.state === filter.state)
        .filter((payment) => filter?.seller === undefined || payment.seller === filter.seller)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    },

    async recordReceived(batch) {
      checkReceivedBatch(batch);
      const next = new Map<string, SellerAccount>();
      for (const record of batch) {
        const seller = next.get(record.seller) ?? sellers.get(record.seller) ?? emptySeller(record.seller);
        next.set(record.seller, {
          ...seller,
          bytesReceived: addTotal(seller.bytesReceived, record.bytes, "bytesReceived"),
          costMsat: addTotal(seller.costMsat, record.costMsat, "costMsat"),
          updatedAt: clock(),
        });
      }
      for (const [seller, account] of next) sellers.set(seller, account);
      for (const record of batch) {
        append(receivedEntry(record));
      }
    },

    async getSellerAccount(seller) {
      return sellers.get(seller);
    },

    async listSellerAccounts() {
      return [...sellers.values()].sort((a, b) => byText(a.seller, b.seller));
    },

    async spentSince(since) {
      let total: Msat = 0n;
      for (const payment of payments.values()) {
        if (payment.createdAt.getTime() < since.getTime()) continue;
        if (payment.state === "succeeded") total += payment.amountMsat + (payment.feeMsat ?? 0n);
        else if (payment.state === "pending") total += payment.amountMsat + payment.maxFeeMsat;
      }
      return total;
    },

    async history(filter?: HistoryFilter) {
      const limit = checkHistoryLimit(filter?.limit);
      const matching = entries.filter((entry) => matchesHistory(entry, filter));
      return limit === undefined ? matching : matching.slice(0, limit);
    },

    async close() {},
  };
  return store;
}

/** Binary order, as SQLite's default collation sorts. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
