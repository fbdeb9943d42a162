/**
 * Checks every ledger store applies before it writes anything, and the few rules the stores share
 * (the settlement credit formula, cursor ordering, history filters), so the memory and SQLite
 * stores behave the same and a bad record changes nothing.
 */
import { PeerpayError } from "./errors.js";
import type {
  HistoryFilter,
  IssuedInvoiceRecord,
  LedgerEntry,
  OutgoingPaymentRecord,
  ReceivedRecord,
  SettlementInput,
  UsageRecord,
} from "./ledger-store.js";
import { MAX_MSAT, type Msat } from "./money.js";

/** Largest value a total may reach: SQLite's INTEGER (signed 64-bit). */
export const MAX_TOTAL = (1n << 63n) - 1n;

export function checkUsageBatch(batch: readonly UsageRecord[]): void {
  if (!Array.isArray(batch)) throw invalid("batch", "a usage batch must be an array");
  batch.forEach((record, index) => {
    const at = `usage[${index}]`;
    checkText(record.peer, `${at}.peer`);
    checkText(record.infohash, `${at}.infohash`);
    checkCount(record.bytes, `${at}.bytes`);
    checkCount(record.freeBytes, `${at}.freeBytes`);
    if (record.freeBytes > record.bytes) throw invalid(`${at}.freeBytes`, "must not exceed bytes");
    checkAmount(record.priceMsatPerGiB, `${at}.priceMsatPerGiB`);
    checkAmount(record.costMsat, `${at}.costMsat`);
    if (record.accuracy !== "exact" && record.accuracy !== "estimated") {
      throw invalid(`${at}.accuracy`, 'must be "exact" or "estimated"');
    }
    checkDate(record.at, `${at}.at`);
  });
}

export function checkReceivedBatch(batch: readonly ReceivedRecord[]): void {
  if (!Array.isArray(batch)) throw invalid("batch", "a received batch must be an array");
  batch.forEach((record, index) => {
    const at = `received[${index}]`;
    checkText(record.seller, `${at}.seller`);
    checkText(record.infohash, `${at}.infohash`);
    checkCount(record.bytes, `${at}.bytes`);
    checkAmount(record.priceMsatPerGiB, `${at}.priceMsatPerGiB`);
    checkAmount(record.costMsat, `${at}.costMsat`);
    checkDate(record.at, `${at}.at`);
  });
}

export function checkInvoice(invoice: IssuedInvoiceRecord): void {
  checkText(invoice.paymentHash, "paymentHash");
  checkText(invoice.paymentRequest, "paymentRequest", 8192);
  checkText(invoice.peer, "peer");
  checkText(invoice.requestedBy, "requestedBy");
  checkText(invoice.rail, "rail");
  checkAmount(invoice.amountMsat, "amountMsat");
  checkAmount(invoice.creditMsat, "creditMsat");
  if (invoice.infohash !== undefined) checkText(invoice.infohash, "infohash");
  if (!Array.isArray(invoice.listenPorts) || invoice.listenPorts.length > 16) {
    throw invalid("listenPorts", "must be an array of at most 16 ports");
  }
  for (const port of invoice.listenPorts) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid("listenPorts", "holds a bad port");
  }
  if (!["open", "settled", "expired", "canceled"].includes(invoice.state)) {
    throw invalid("state", "is not an invoice state");
  }
  checkDate(invoice.createdAt, "createdAt");
  checkDate(invoice.expiresAt, "expiresAt");
  if (invoice.settledAt !== undefined) checkDate(invoice.settledAt, "settledAt");
}

export function checkSettlement(settlement: SettlementInput): void {
  checkText(settlement.paymentHash, "paymentHash");
  checkAmount(settlement.receivedMsat, "receivedMsat");
  checkDate(settlement.settledAt, "settledAt");
  checkText(settlement.cursorKey, "cursorKey");
  checkText(settlement.cursor, "cursor");
}

export function checkPaymentStart(payment: Omit<OutgoingPaymentRecord, "state" | "completedAt">): void {
  checkText(payment.paymentHash, "paymentHash");
  checkText(payment.paymentRequest, "paymentRequest", 8192);
  checkText(payment.seller, "seller");
  if (payment.infohash !== undefined) checkText(payment.infohash, "infohash");
  checkAmount(payment.amountMsat, "amountMsat");
  checkAmount(payment.maxFeeMsat, "maxFeeMsat");
  checkDate(payment.createdAt, "createdAt");
}

export type PaymentOutcome =
  | { state: "succeeded"; feeMsat: Msat; preimage: string }
  | { state: "failed"; failureCode: string };

export function checkOutcome(outcome: PaymentOutcome, at: Date): void {
  if (outcome.state === "succeeded") {
    checkAmount(outcome.feeMsat, "feeMsat");
    checkText(outcome.preimage, "preimage");
  } else if (outcome.state === "failed") {
    checkText(outcome.failureCode, "failureCode");
  } else {
    throw invalid("state", 'must be "succeeded" or "failed"');
  }
  checkDate(at, "at");
}

/**
 * The credit a settled invoice buys: the invoice's credit, plus any overpayment one to one; an
 * any-amount invoice credits what was received; an underpaid one (which a Lightning node does not
 * settle) credits its share, rounded down.
 */
export function settlementCredit(invoice: IssuedInvoiceRecord, receivedMsat: Msat): Msat {
  if (invoice.amountMsat === 0n) return receivedMsat;
  if (receivedMsat >= invoice.amountMsat) return invoice.creditMsat + (receivedMsat - invoice.amountMsat);
  return (receivedMsat * invoice.creditMsat) / invoice.amountMsat;
}

/**
 * Whether `next` should replace the stored cursor. Decimal cursors (LND settle index, CLN pay
 * index) only move forward, so a replayed or reordered invoice never moves the cursor back.
 */
export function cursorAdvances(stored: string | undefined, next: string): boolean {
  if (stored === undefined) return true;
  const decimal = /^[0-9]{1,30}$/;
  if (decimal.test(stored) && decimal.test(next)) return BigInt(next) > BigInt(stored);
  return next !== stored;
}

/** Adds to a stored total, refusing to pass what SQLite's INTEGER holds. */
export function addTotal(total: bigint, amount: bigint, field: string): bigint {
  const sum = total + amount;
  if (sum > MAX_TOTAL) throw invalid(field, "would exceed the largest total a ledger can hold");
  return sum;
}

export function matchesHistory(entry: LedgerEntry, filter: HistoryFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.since && entry.at.getTime() < filter.since.getTime()) return false;
  if (filter.until && entry.at.getTime() >= filter.until.getTime()) return false;
  if (filter.counterparty !== undefined && entry.counterparty !== filter.counterparty) return false;
  if (filter.kinds && !filter.kinds.includes(entry.kind)) return false;
  return true;
}

export function checkHistoryLimit(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isSafeInteger(limit) || limit < 0) throw invalid("limit", "must be a non-negative integer");
  return limit;
}

export function conflict(message: string, details: Record<string, unknown>): PeerpayError {
  return new PeerpayError("CONFLICT", message, { details });
}

export function notFound(message: string, details: Record<string, unknown>): PeerpayError {
  return new PeerpayError("NOT_FOUND", message, { details });
}

function checkText(value: unknown, field: string, maxLength = 256): void {
  if (typeof value !== "string" || value.length === 0 || value.length > maxLength) {
    throw invalid(field, `must be a non-empty string of at most ${maxLength} characters`);
  }
}

function checkCount(value: unknown, field: string): void {
  if (typeof value !== "bigint" || value < 0n || value > MAX_TOTAL) {
    throw invalid(field, "must be a non-negative bigint");
  }
}

function checkAmount(value: unknown, field: string): void {
  if (typeof value !== "bigint" || value < 0n || value > MAX_MSAT) {
    throw invalid(field, "must be a bigint amount of msat from 0 to MAX_MSAT");
  }
}

function checkDate(value: unknown, field: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw invalid(field, "must be a valid Date");
}

function invalid(field: string, message: string): PeerpayError {
  return new PeerpayError("INVALID_INPUT", `ledger store: ${field} ${message}`, { details: { field } });
}
