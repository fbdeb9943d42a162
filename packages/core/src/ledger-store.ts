/**
 * The ledger store contract: where both roles keep their money and byte records. Implementations:
 * SQLite (embedded default), in-memory (unit tests only), PostgreSQL (fleets, later). Every
 * implementation runs the store conformance suite in `@peerpay/testkit`.
 *
 * Rules every implementation keeps:
 * - Money is bigint msat, bytes are bigint; nothing is stored as a float.
 * - `applySettlement` is atomic: the credit, the invoice's state and the rail cursor change in one
 *   transaction, and a payment hash is credited at most once, whatever the number of calls.
 * - `beginPayment` is the buyer's guard against paying twice: one row per payment hash.
 * - Methods that take a batch apply all of it or none of it.
 */
import type { Msat, MsatPerGiB } from "./money.js";

/** Seller side: one account per peer identity (a normalised IP address). */
export interface PeerAccount {
  readonly peer: string;
  /** Sum of settled payments credited to this peer. */
  readonly creditMsat: Msat;
  /** Sum of the cost of bytes served to this peer. */
  readonly costMsat: Msat;
  /** All bytes served to this peer on priced torrents (including free-allowance bytes). */
  readonly bytesServed: bigint;
  /** Bytes served under the free allowance (not charged). */
  readonly freeBytesUsed: bigint;
  /** How many settled payments were credited. */
  readonly paymentsSettled: number;
  readonly blocked: boolean;
  readonly blockedReason?: string;
  readonly blockedSince?: Date;
  readonly updatedAt: Date;
}

/** balance = credit − cost (negative is debt). */
export function accountBalance(account: Pick<PeerAccount, "creditMsat" | "costMsat">): Msat {
  return account.creditMsat - account.costMsat;
}

/** Bytes served to a peer on a torrent, priced when recorded. */
export interface UsageRecord {
  readonly peer: string;
  readonly infohash: string;
  readonly bytes: bigint;
  /** Of `bytes`, how many were covered by the free allowance. */
  readonly freeBytes: bigint;
  readonly priceMsatPerGiB: MsatPerGiB;
  readonly costMsat: Msat;
  readonly accuracy: "exact" | "estimated";
  readonly at: Date;
}

export type IssuedInvoiceState = "open" | "settled" | "expired" | "canceled";

/** An invoice the seller issued through the negotiation endpoint. */
export interface IssuedInvoiceRecord {
  readonly paymentHash: string;
  readonly paymentRequest: string;
  /** The identity the payment will credit. */
  readonly peer: string;
  /** The address the request came from (may differ from `peer` only where policy allows). */
  readonly requestedBy: string;
  readonly amountMsat: Msat;
  /** Credit the payment buys (normally equal to the amount). */
  readonly creditMsat: Msat;
  readonly infohash?: string;
  /** The buyer's BitTorrent listening ports, for the re-dial after payment. */
  readonly listenPorts: readonly number[];
  readonly rail: string;
  readonly state: IssuedInvoiceState;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly settledAt?: Date;
}

export interface SettlementInput {
  readonly paymentHash: string;
  /** What the node reports as received. */
  readonly receivedMsat: Msat;
  readonly settledAt: Date;
  /** The rail's cursor key (e.g. "lnd:<nodeId>") and the cursor after this invoice. */
  readonly cursorKey: string;
  readonly cursor: string;
}

export interface SettlementResult {
  /** False when this payment hash had already been credited (or is not an invoice we issued). */
  readonly credited: boolean;
  readonly reason?: "already-credited" | "unknown-invoice";
  readonly account?: PeerAccount;
  readonly invoice?: IssuedInvoiceRecord;
}

/** Buyer side: what it has paid and received, per seller. */
export interface SellerAccount {
  /** The seller's identity: its negotiation endpoint origin, e.g. "http://203.0.113.5:9735". */
  readonly seller: string;
  readonly paidMsat: Msat;
  readonly feesMsat: Msat;
  /** Bytes received from this seller on priced torrents. */
  readonly bytesReceived: bigint;
  /** What the received bytes cost at the agreed prices. */
  readonly costMsat: Msat;
  readonly paymentsMade: number;
  readonly updatedAt: Date;
}

export type OutgoingPaymentState = "pending" | "succeeded" | "failed";

export interface OutgoingPaymentRecord {
  readonly paymentHash: string;
  readonly paymentRequest: string;
  readonly seller: string;
  readonly infohash?: string;
  readonly amountMsat: Msat;
  readonly maxFeeMsat: Msat;
  readonly state: OutgoingPaymentState;
  readonly feeMsat?: Msat;
  readonly preimage?: string;
  readonly failureCode?: string;
  readonly createdAt: Date;
  readonly completedAt?: Date;
}

export interface ReceivedRecord {
  readonly seller: string;
  readonly infohash: string;
  readonly bytes: bigint;
  readonly priceMsatPerGiB: MsatPerGiB;
  readonly costMsat: Msat;
  readonly at: Date;
}

/** One line of the itemised history (ledger export). */
export interface LedgerEntry {
  readonly id: number;
  readonly at: Date;
  readonly kind: "usage" | "invoice" | "settlement" | "block" | "unblock" | "payment" | "received";
  /** The peer (seller side) or seller (buyer side). */
  readonly counterparty: string;
  readonly infohash?: string;
  readonly bytes?: bigint;
  /** Signed from this ledger's owner's view: + earned/credited, − spent. */
  readonly amountMsat?: Msat;
  readonly paymentHash?: string;
  readonly note?: string;
}

export interface HistoryFilter {
  readonly since?: Date;
  readonly until?: Date;
  readonly counterparty?: string;
  readonly kinds?: readonly LedgerEntry["kind"][];
  readonly limit?: number;
}

export interface LedgerStore {
  readonly kind: "memory" | "sqlite" | "postgres";

  // seller side
  recordUsage(batch: readonly UsageRecord[]): Promise<void>;
  getAccount(peer: string): Promise<PeerAccount | undefined>;
  listAccounts(): Promise<PeerAccount[]>;
  setBlocked(peer: string, blocked: boolean, reason: string, at: Date): Promise<void>;
  recordInvoice(invoice: IssuedInvoiceRecord): Promise<void>;
  getInvoice(paymentHash: string): Promise<IssuedInvoiceRecord | undefined>;
  /** Open (unsettled, unexpired at `now`) invoices issued for a peer: the spam limit. */
  countOpenInvoices(peer: string, now: Date): Promise<number>;
  /** Credits a settled invoice exactly once and stores the cursor, in one transaction. */
  applySettlement(settlement: SettlementInput): Promise<SettlementResult>;
  getCursor(cursorKey: string): Promise<string | undefined>;

  // buyer side
  /** Records the intent to pay; throws CONFLICT if this payment hash was already begun. */
  beginPayment(payment: Omit<OutgoingPaymentRecord, "state" | "completedAt">): Promise<void>;
  completePayment(
    paymentHash: string,
    outcome:
      | { state: "succeeded"; feeMsat: Msat; preimage: string }
      | { state: "failed"; failureCode: string },
    at: Date,
  ): Promise<void>;
  getPayment(paymentHash: string): Promise<OutgoingPaymentRecord | undefined>;
  listPayments(filter?: { state?: OutgoingPaymentState; seller?: string }): Promise<OutgoingPaymentRecord[]>;
  recordReceived(batch: readonly ReceivedRecord[]): Promise<void>;
  getSellerAccount(seller: string): Promise<SellerAccount | undefined>;
  listSellerAccounts(): Promise<SellerAccount[]>;
  /** Total spent (succeeded + pending amounts and fees) since a time: budgets count in-flight money. */
  spentSince(since: Date): Promise<Msat>;

  history(filter?: HistoryFilter): Promise<LedgerEntry[]>;
  close(): Promise<void>;
}
