/** Maps lightningd's invoice entries and decoded BOLT11 fields to core's types. */
import type { DecodedInvoice, Invoice, InvoiceState } from "@peerpay/core";
import type { ClnDecodedBolt11 } from "./cln-client.js";
import { adapterError } from "./cln-errors.js";
import { bolt11Timestamp, networkFromCurrency } from "./cln-network.js";
import type { InvoiceEntry } from "./cln-schemas.js";

const stateByStatus: Readonly<Record<InvoiceEntry["status"], InvoiceState>> = {
  unpaid: "open",
  paid: "settled",
  expired: "expired",
};

export function toInvoice(entry: InvoiceEntry): Invoice {
  const paymentRequest = entry.bolt11 ?? entry.bolt12 ?? "";
  const timestamp = entry.bolt11 ? bolt11Timestamp(entry.bolt11) : undefined;
  const base = {
    paymentHash: entry.payment_hash,
    paymentRequest,
    amountMsat: BigInt(entry.amount_msat ?? 0),
    // An unpaid invoice past its expiry is reported "expired" even before lightningd's timer runs.
    state:
      entry.status === "unpaid" && entry.expires_at * 1000 <= Date.now()
        ? "expired"
        : stateByStatus[entry.status],
    createdAt: new Date((timestamp ?? entry.expires_at) * 1000),
    expiresAt: new Date(entry.expires_at * 1000),
    ...(entry.description !== undefined ? { description: entry.description } : {}),
  } satisfies Invoice;
  if (entry.status !== "paid") return base;
  return {
    ...base,
    settledAt: new Date(entry.paid_at * 1000),
    receivedMsat: BigInt(entry.amount_received_msat),
    preimage: entry.payment_preimage,
    settleCursor: String(entry.pay_index),
  };
}

export function toDecodedInvoice(paymentRequest: string, decoded: ClnDecodedBolt11): DecodedInvoice {
  const network = networkFromCurrency(decoded.currency);
  if (!network) {
    throw adapterError(
      "decodeInvoice",
      "UNSUPPORTED",
      `invoice for an unknown currency "${decoded.currency.slice(0, 10)}"`,
    );
  }
  return {
    paymentHash: decoded.payment_hash,
    paymentRequest: paymentRequest.trim(),
    network,
    payee: decoded.payee,
    ...(decoded.amount_msat !== undefined ? { amountMsat: BigInt(decoded.amount_msat) } : {}),
    createdAt: new Date(decoded.created_at * 1000),
    expiresAt: new Date((decoded.created_at + decoded.expiry) * 1000),
    ...(decoded.description !== undefined ? { description: decoded.description } : {}),
    ...(decoded.description_hash !== undefined ? { descriptionHash: decoded.description_hash } : {}),
  };
}
