/**
 * Row shapes of the SQLite ledger file and their mapping to the store's records. Every integer
 * column comes back as bigint (safe-integer mode), so nothing passes through a float.
 */
import type {
  IssuedInvoiceRecord,
  LedgerEntry,
  OutgoingPaymentRecord,
  PeerAccount,
  SellerAccount,
} from "./ledger-store.js";

export interface PeerAccountRow {
  peer: string;
  credit_msat: bigint;
  cost_msat: bigint;
  bytes_served: bigint;
  free_bytes_used: bigint;
  payments_settled: bigint;
  blocked: bigint;
  blocked_reason: string | null;
  blocked_since: bigint | null;
  updated_at: bigint;
}

export interface IssuedInvoiceRow {
  payment_hash: string;
  payment_request: string;
  peer: string;
  requested_by: string;
  amount_msat: bigint;
  credit_msat: bigint;
  infohash: string | null;
  listen_ports: string;
  rail: string;
  state: string;
  created_at: bigint;
  expires_at: bigint;
  settled_at: bigint | null;
}

export interface OutgoingPaymentRow {
  payment_hash: string;
  payment_request: string;
  seller: string;
  infohash: string | null;
  amount_msat: bigint;
  max_fee_msat: bigint;
  state: string;
  fee_msat: bigint | null;
  preimage: string | null;
  failure_code: string | null;
  created_at: bigint;
  completed_at: bigint | null;
}

export interface SellerAccountRow {
  seller: string;
  paid_msat: bigint;
  fees_msat: bigint;
  bytes_received: bigint;
  cost_msat: bigint;
  payments_made: bigint;
  updated_at: bigint;
}

export interface LedgerEntryRow {
  id: bigint;
  at: bigint;
  kind: string;
  counterparty: string;
  infohash: string | null;
  bytes: bigint | null;
  amount_msat: bigint | null;
  payment_hash: string | null;
  note: string | null;
}

export function toPeerAccount(row: PeerAccountRow): PeerAccount {
  return {
    peer: row.peer,
    creditMsat: row.credit_msat,
    costMsat: row.cost_msat,
    bytesServed: row.bytes_served,
    freeBytesUsed: row.free_bytes_used,
    paymentsSettled: Number(row.payments_settled),
    blocked: row.blocked !== 0n,
    ...(row.blocked_reason === null ? {} : { blockedReason: row.blocked_reason }),
    ...(row.blocked_since === null ? {} : { blockedSince: toDate(row.blocked_since) }),
    updatedAt: toDate(row.updated_at),
  };
}

export function toInvoice(row: IssuedInvoiceRow): IssuedInvoiceRecord {
  return {
    paymentHash: row.payment_hash,
    paymentRequest: row.payment_request,
    peer: row.peer,
    requestedBy: row.requested_by,
    amountMsat: row.amount_msat,
    creditMsat: row.credit_msat,
    ...(row.infohash === null ? {} : { infohash: row.infohash }),
    listenPorts: JSON.parse(row.listen_ports) as number[],
    rail: row.rail,
    state: row.state as IssuedInvoiceRecord["state"],
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    ...(row.settled_at === null ? {} : { settledAt: toDate(row.settled_at) }),
  };
}

export function toPayment(row: OutgoingPaymentRow): OutgoingPaymentRecord {
  return {
    paymentHash: row.payment_hash,
    paymentRequest: row.payment_request,
    seller: row.seller,
    ...(row.infohash === null ? {} : { infohash: row.infohash }),
    amountMsat: row.amount_msat,
    maxFeeMsat: row.max_fee_msat,
    state: row.state as OutgoingPaymentRecord["state"],
    ...(row.fee_msat === null ? {} : { feeMsat: row.fee_msat }),
    ...(row.preimage === null ? {} : { preimage: row.preimage }),
    ...(row.failure_code === null ? {} : { failureCode: row.failure_code }),
    createdAt: toDate(row.created_at),
    ...(row.completed_at === null ? {} : { completedAt: toDate(row.completed_at) }),
  };
}

export function toSellerAccount(row: SellerAccountRow): SellerAccount {
  return {
    seller: row.seller,
    paidMsat: row.paid_msat,
    feesMsat: row.fees_msat,
    bytesReceived: row.bytes_received,
    costMsat: row.cost_msat,
    paymentsMade: Number(row.payments_made),
    updatedAt: toDate(row.updated_at),
  };
}

export function toLedgerEntry(row: LedgerEntryRow): LedgerEntry {
  return {
    id: Number(row.id),
    at: toDate(row.at),
    kind: row.kind as LedgerEntry["kind"],
    counterparty: row.counterparty,
    ...(row.infohash === null ? {} : { infohash: row.infohash }),
    ...(row.bytes === null ? {} : { bytes: row.bytes }),
    ...(row.amount_msat === null ? {} : { amountMsat: row.amount_msat }),
    ...(row.payment_hash === null ? {} : { paymentHash: row.payment_hash }),
    ...(row.note === null ? {} : { note: row.note }),
  };
}

export function toDate(value: bigint): Date {
  return new Date(Number(value));
}

/** A Date as stored: integer milliseconds since the epoch. */
export function fromDate(value: Date): number {
  return value.getTime();
}
