/**
 * The BEP-10 payment extension of docs/protocol.md section 10: names, message types and the typed
 * form of each message. Money is `bigint` msat, byte counts are `bigint`, hashes are lower-case hex
 * in code and raw 32-byte strings on the wire.
 */

/** The name under which the extension is advertised in the BEP-10 handshake's `m` dictionary. */
export const PEERPAY_EXTENSION_NAME = "peerpay";
/** The version of the in-protocol message family this codec implements (handshake `peerpay.v`). */
export const PEERPAY_EXTENSION_VERSION = 1;
/** The BitTorrent message id of every BEP-10 message. */
export const BEP10_MESSAGE_ID = 20;
/** The extended message id of the BEP-10 handshake. */
export const BEP10_HANDSHAKE_ID = 0;
/** The largest bencoded payment message accepted or produced (section 10.6). */
export const PEERPAY_MAX_MESSAGE_BYTES = 4096;
/** The largest bencoded extended handshake accepted (it also carries other extensions' keys). */
export const BEP10_MAX_HANDSHAKE_BYTES = 16_384;

/** `msg_type` values, as in ut_metadata (BEP 9). */
export const peerpayMessageTypes = {
  payment_required: 0,
  paid: 1,
  credit: 2,
  reject: 3,
  tip: 4,
} as const;
export type PeerpayMessageType = keyof typeof peerpayMessageTypes;

/** Reason codes of a `reject` message. A receiver treats a code it does not know as `other`. */
export const peerpayRejectReasons = {
  other: 0,
  unsupported_rail: 1,
  price_too_high: 2,
  invoice_mismatch: 3,
  invoice_expired: 4,
  payment_failed: 5,
  not_paid: 6,
  too_many_open_invoices: 7,
  budget_exceeded: 8,
  unavailable: 9,
  not_selling: 10,
} as const;
export type PeerpayRejectReason = keyof typeof peerpayRejectReasons;

/** What an invoice pays for: one block request, an amount of credit, or nothing (a tip). */
export type PeerpayBinding =
  | { kind: "block"; piece: number; offset: number; length: number }
  | { kind: "credit" }
  | { kind: "tip" };

/** Sent instead of a `piece` when the requester has no credit, or in answer to `tip`. */
export interface PaymentRequiredMessage {
  type: "payment_required";
  /** v1 defines `lightning` only; the invoice is in `bolt11`. */
  rail: "lightning";
  bolt11: string;
  /** 64 hex characters, lower case. */
  paymentHash: string;
  /** The invoice amount; absent only for an amountless tip invoice. */
  amountMsat?: bigint;
  /** Bytes the payment adds to the payer's credit (0 for a tip). */
  creditBytes: bigint;
  /** When the invoice expires, in Unix seconds. */
  expiresAt: number;
  binding: PeerpayBinding;
}

/** The payer reports a payment. A hint only: the payee credits when its own node reports settlement. */
export interface PaidMessage {
  type: "paid";
  paymentHash: string;
  /** 64 hex characters whose SHA-256 is the payment hash, when the payer has it. */
  preimage?: string;
}

/** The payee's view of the payer's unused credit, sent when it changes. */
export interface CreditMessage {
  type: "credit";
  creditMsat: bigint;
  creditBytes: bigint;
  /** The payment that caused this update, if one did. */
  paymentHash?: string;
}

/** Either side refuses something: an offer, a payment claim, a tip or a request. */
export interface RejectMessage {
  type: "reject";
  reason: PeerpayRejectReason;
  /**
   * The code on the wire. Decoding always sets it; it differs from `peerpayRejectReasons[reason]`
   * only for a code this version does not know (then `reason` is `other`).
   */
  reasonCode?: number;
  paymentHash?: string;
  /** Human-readable detail, at most 256 bytes of UTF-8. */
  message?: string;
}

/** The payer asks for a tip invoice (as in the Kerry draft); absent amount asks for an amountless one. */
export interface TipMessage {
  type: "tip";
  amountMsat?: bigint;
  /** A note for the payee, at most 256 bytes of UTF-8. */
  message?: string;
}

export type PeerpayMessage =
  | PaymentRequiredMessage
  | PaidMessage
  | CreditMessage
  | RejectMessage
  | TipMessage;

/** A rail a peer accepts, in the envelope of the HTTP well-known document (section 6.1). */
export interface PeerpayHandshakeRail {
  rail: string;
  scheme: string;
  network: string;
  /** The payee's node id (66 hex) when the peer sells. */
  payee?: string;
}

/** The `peerpay` dictionary a peer adds to its BEP-10 handshake. */
export interface PeerpayHandshakeTerms {
  /** Message family version; this codec speaks 1. */
  version: number;
  /** The out-of-band HTTP negotiation endpoint (the origin of docs/protocol.md section 4). */
  endpoint?: string;
  rails: PeerpayHandshakeRail[];
  /** msat per GiB for this torrent; present when the peer sells. */
  priceMsatPerGiB?: bigint;
  /** Bytes each peer gets free before payment is required; present when the peer sells. */
  freeAllowanceBytes?: bigint;
}

/** The parts of a BEP-10 extended handshake this codec reads and writes. */
export interface Bep10Handshake {
  /** Extension name → the extended message id the sender wants to receive it on (0 = disabled). */
  extensions: Record<string, number>;
  /** The sender's client name and version (BEP-10 `v`). */
  client?: string;
  /** The sender's listening port (BEP-10 `p`). */
  listenPort?: number;
  peerpay?: PeerpayHandshakeTerms;
}
