/**
 * The itemised history lines every ledger store writes, built in one place so the memory and
 * SQLite stores (and any later store) export the same history for the same events.
 * Amounts are signed from the ledger owner's view: + earned or credited, − spent.
 */
import type {
  IssuedInvoiceRecord,
  LedgerEntry,
  OutgoingPaymentRecord,
  ReceivedRecord,
  SettlementInput,
  UsageRecord,
} from "./ledger-store.js";
import type { Msat } from "./money.js";
import type { PaymentOutcome } from "./seller-ledger-checks.js";

export type HistoryEntry = Omit<LedgerEntry, "id">;

type PaymentFacts = Pick<OutgoingPaymentRecord, "paymentHash" | "seller" | "amountMsat" | "maxFeeMsat"> & {
  readonly infohash?: string | undefined;
};

const withInfohash = (infohash: string | null | undefined) =>
  infohash === undefined || infohash === null ? {} : { infohash };

export function usageEntry(record: UsageRecord): HistoryEntry {
  return {
    at: record.at,
    kind: "usage",
    counterparty: record.peer,
    infohash: record.infohash,
    bytes: record.bytes,
    amountMsat: record.costMsat,
    note: `price ${record.priceMsatPerGiB} msat/GiB; free ${record.freeBytes} bytes; ${record.accuracy}`,
  };
}

export function invoiceEntry(invoice: IssuedInvoiceRecord): HistoryEntry {
  return {
    at: invoice.createdAt,
    kind: "invoice",
    counterparty: invoice.peer,
    ...withInfohash(invoice.infohash),
    amountMsat: invoice.amountMsat,
    paymentHash: invoice.paymentHash,
    note: `credit ${invoice.creditMsat} msat`,
  };
}

export function settlementEntry(
  invoice: IssuedInvoiceRecord,
  settlement: SettlementInput,
  credit: Msat,
  balance: Msat,
): HistoryEntry {
  return {
    at: settlement.settledAt,
    kind: "settlement",
    counterparty: invoice.peer,
    ...withInfohash(invoice.infohash),
    amountMsat: credit,
    paymentHash: invoice.paymentHash,
    note: `received ${settlement.receivedMsat} msat; balance ${balance} msat`,
  };
}

export function paymentStartEntry(payment: PaymentFacts & { readonly createdAt: Date }): HistoryEntry {
  return {
    at: payment.createdAt,
    kind: "payment",
    counterparty: payment.seller,
    ...withInfohash(payment.infohash),
    paymentHash: payment.paymentHash,
    note: `pending: ${payment.amountMsat} msat, fee limit ${payment.maxFeeMsat} msat`,
  };
}

export function paymentOutcomeEntry(payment: PaymentFacts, outcome: PaymentOutcome, at: Date): HistoryEntry {
  return {
    at,
    kind: "payment",
    counterparty: payment.seller,
    ...withInfohash(payment.infohash),
    paymentHash: payment.paymentHash,
    ...(outcome.state === "succeeded" ? { amountMsat: -(payment.amountMsat + outcome.feeMsat) } : {}),
    note:
      outcome.state === "succeeded"
        ? `succeeded, fee ${outcome.feeMsat} msat`
        : `failed: ${outcome.failureCode}`,
  };
}

export function receivedEntry(record: ReceivedRecord): HistoryEntry {
  return {
    at: record.at,
    kind: "received",
    counterparty: record.seller,
    infohash: record.infohash,
    bytes: record.bytes,
    amountMsat: -record.costMsat,
    note: `price ${record.priceMsatPerGiB} msat/GiB`,
  };
}
