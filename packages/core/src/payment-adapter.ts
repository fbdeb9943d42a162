/**
 * The payment adapter contract (specificationVersion "v1"). A rail adapter (LND, Core Lightning,
 * the simulated network, …) is a factory `create<Name>Adapter(options)` returning this object.
 * Every adapter runs the conformance suite in `@peerpay/testkit`.
 */
import type { Msat } from "./money.js";

/** Networks as they appear in BOLT11 prefixes; "simnet" is the simulated network, never real money. */
export type LightningNetwork = "mainnet" | "testnet" | "signet" | "regtest" | "simnet";

export interface PaymentAdapterCapabilities {
  /** Can issue invoices (seller role). */
  readonly createInvoice: boolean;
  /** Can pay invoices (buyer role). */
  readonly payInvoice: boolean;
  /** Has a durable settled-invoice stream resumable from a cursor. */
  readonly settledInvoiceStream: boolean;
  /** Accepts a description hash instead of a description. */
  readonly descriptionHash: boolean;
}

export interface NodeInfo {
  /** The node's public key (hex, 33 bytes compressed). */
  readonly nodeId: string;
  readonly alias: string;
  readonly network: LightningNetwork;
  /** True for the simulated network: nothing it moves is real money. */
  readonly simulated: boolean;
  readonly blockHeight?: number;
  readonly version?: string;
}

export interface CreateInvoiceRequest {
  readonly amountMsat: Msat;
  /** Shown to the payer; at most 639 bytes (BOLT11). */
  readonly description?: string;
  /** Hex SHA-256 of a longer description; used instead of `description` when set. */
  readonly descriptionHash?: string;
  /** Seconds until the invoice expires. */
  readonly expirySeconds: number;
  /** A unique label for backends that key invoices by label (CLN); generated when absent. */
  readonly label?: string;
}

export type InvoiceState = "open" | "settled" | "canceled" | "expired";

export interface Invoice {
  readonly paymentHash: string;
  readonly paymentRequest: string;
  readonly amountMsat: Msat;
  readonly state: InvoiceState;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly description?: string;
  readonly settledAt?: Date;
  /** What was actually received (may exceed `amountMsat`). */
  readonly receivedMsat?: Msat;
  /** The preimage, once settled (seller side); hex. */
  readonly preimage?: string;
  /** The backend's settle cursor for this invoice, when settled (LND settle_index, CLN pay_index). */
  readonly settleCursor?: string;
}

export interface PayInvoiceRequest {
  readonly paymentRequest: string;
  /** The amount the caller agreed to pay; the adapter refuses an invoice for any other amount. */
  readonly expectedAmountMsat: Msat;
  /** The most the caller will pay in routing fees. Required: no payment is ever made without one. */
  readonly maxFeeMsat: Msat;
  /** The network the caller expects; the adapter refuses an invoice for another network. */
  readonly expectedNetwork?: LightningNetwork;
  /** The payee the caller expects (node id), when known from the quote. */
  readonly expectedPayee?: string;
  /** Give up waiting after this long; the payment is then tracked as in flight, never retried blindly. */
  readonly timeoutMs?: number;
}

export interface PaymentResult {
  readonly paymentHash: string;
  /** Hex preimage: proof of payment. */
  readonly preimage: string;
  readonly amountMsat: Msat;
  readonly feeMsat: Msat;
  /** True when the invoice had already been paid by this node and the result was recovered. */
  readonly alreadyPaid?: boolean;
}

export interface DecodedInvoice {
  readonly paymentHash: string;
  readonly paymentRequest: string;
  readonly network: LightningNetwork;
  /** Payee node id (hex). */
  readonly payee: string;
  /** Undefined for an amountless invoice. */
  readonly amountMsat?: Msat;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly description?: string;
  readonly descriptionHash?: string;
}

export interface SettledInvoice {
  readonly paymentHash: string;
  /** What was received, in msat. */
  readonly amountMsat: Msat;
  readonly settledAt: Date;
  /**
   * The backend's cursor after this invoice (a decimal string for LND's settle index and CLN's
   * pay index). Store it in the same transaction as the credit and pass it back on resume.
   */
  readonly cursor: string;
}

export interface SettledInvoiceSubscriptionOptions {
  /** Resume after this cursor; undefined replays every settled invoice the backend knows. */
  readonly cursor: string | undefined;
  /**
   * Called once per settled invoice, in settle order. The stream waits for the promise before
   * delivering the next one; if it rejects, the stream stops and reports through `onError`.
   * Delivery is at least once: the consumer dedupes by payment hash.
   */
  readonly onSettled: (invoice: SettledInvoice) => Promise<void>;
  /** Connection faults; the stream keeps reconnecting (and catching up from the cursor) by itself. */
  readonly onError?: (error: unknown) => void;
}

export interface SettledInvoiceSubscription {
  close(): Promise<void>;
}

export interface PaymentAdapter {
  readonly specificationVersion: "v1";
  /** Short name, e.g. "lnd", "cln", "sim". */
  readonly name: string;
  readonly capabilities: PaymentAdapterCapabilities;
  getInfo(): Promise<NodeInfo>;
  createInvoice(request: CreateInvoiceRequest): Promise<Invoice>;
  /** Undefined when the node does not know the payment hash. */
  lookupInvoice(paymentHash: string): Promise<Invoice | undefined>;
  payInvoice(request: PayInvoiceRequest): Promise<PaymentResult>;
  decodeInvoice(paymentRequest: string): Promise<DecodedInvoice>;
  subscribeSettledInvoices(options: SettledInvoiceSubscriptionOptions): SettledInvoiceSubscription;
  close(): Promise<void>;
  /** Escape hatch to the underlying client. */
  getInstance?(): unknown;
}
