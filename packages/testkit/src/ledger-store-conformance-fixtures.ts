/**
 * Records the ledger store conformance suite writes, and small helpers to check what a store
 * threw. Each call gives fresh, unique payment hashes so tests never collide.
 */
import {
  type IssuedInvoiceRecord,
  isPeerpayError,
  type Msat,
  type OutgoingPaymentRecord,
  type SettlementInput,
  type UsageRecord,
} from "@peerpay/core";

let counter = 0;

/** A unique 64-hex payment hash. */
export function paymentHash(): string {
  counter += 1;
  return `${counter.toString(16).padStart(8, "0")}${Date.now().toString(16).padStart(16, "0")}`.padEnd(
    64,
    "e",
  );
}

export const T0 = new Date("2026-01-01T00:00:00.000Z");

export function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

export const INFOHASH = "0123456789abcdef0123456789abcdef01234567";

export function usage(
  peer: string,
  bytes: bigint,
  costMsat: Msat,
  overrides: Partial<UsageRecord> = {},
): UsageRecord {
  return {
    peer,
    infohash: INFOHASH,
    bytes,
    freeBytes: 0n,
    priceMsatPerGiB: 100_000n,
    costMsat,
    accuracy: "exact",
    at: at(1),
    ...overrides,
  };
}

export function invoice(
  peer: string,
  amountMsat: Msat,
  overrides: Partial<IssuedInvoiceRecord> = {},
): IssuedInvoiceRecord {
  return {
    paymentHash: paymentHash(),
    paymentRequest: `lnsim${amountMsat}n1conformance${counter}`,
    peer,
    requestedBy: peer,
    amountMsat,
    creditMsat: amountMsat,
    infohash: INFOHASH,
    listenPorts: [51413],
    rail: "lightning",
    state: "open",
    createdAt: at(0),
    expiresAt: at(3600),
    ...overrides,
  };
}

export function settlement(
  record: Pick<IssuedInvoiceRecord, "paymentHash" | "amountMsat">,
  cursor: string,
  overrides: Partial<SettlementInput> = {},
): SettlementInput {
  return {
    paymentHash: record.paymentHash,
    receivedMsat: record.amountMsat,
    settledAt: at(10),
    cursorKey: "sim:conformance",
    cursor,
    ...overrides,
  };
}

export function outgoing(
  seller: string,
  amountMsat: Msat,
  overrides: Partial<Omit<OutgoingPaymentRecord, "state" | "completedAt">> = {},
): Omit<OutgoingPaymentRecord, "state" | "completedAt"> {
  return {
    paymentHash: paymentHash(),
    paymentRequest: `lnsim${amountMsat}n1outgoing${counter}`,
    seller,
    infohash: INFOHASH,
    amountMsat,
    maxFeeMsat: 100n,
    createdAt: at(5),
    ...overrides,
  };
}

/** The code of a PeerpayError a promise rejected with ("resolved" if it did not reject). */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "resolved";
  } catch (error) {
    return isPeerpayError(error) ? error.code : `not a PeerpayError: ${String(error)}`;
  }
}
