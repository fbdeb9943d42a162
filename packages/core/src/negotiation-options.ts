/**
 * What the seller's negotiation handler needs, as small interfaces so that it can be tested and
 * hosted anywhere: the node (a PaymentAdapter), the ledger store, a read-only view of accounts,
 * the prices, and the terms it publishes.
 */
import type { LedgerStore } from "./ledger-store.js";
import type { Msat, MsatPerGiB } from "./money.js";
import type { PaymentAdapter } from "./payment-adapter.js";

/** Where a request came from. The Fetch `Request` has no remote address, so the host passes it. */
export interface NegotiationRequestContext {
  /** The TCP peer address of the connection (e.g. Node's `socket.remoteAddress`). */
  readonly remoteAddress: string;
}

/** A Fetch-standard handler plus the connection context the host knows. */
export type NegotiationHandler = (request: Request, context: NegotiationRequestContext) => Promise<Response>;

/** The seller ledger's view of one peer, as the balance endpoint reports it. */
export interface NegotiationAccountView {
  /** credit − cost; negative is debt. */
  readonly balanceMsat: Msat;
  /** max(0, −balance). */
  readonly debtMsat: Msat;
  readonly blocked: boolean;
  readonly blockedReason?: string;
  /** What the peer must pay now to be (or stay) unblocked; 0 when nothing is due. */
  readonly amountToUnblockMsat: Msat;
  /** Free-allowance bytes the peer still has, when the ledger tracks it. */
  readonly freeBytesRemaining?: bigint;
  /** What a 402 offer asks for (debt + prepay, per the ledger policy); default `amountToUnblockMsat`. */
  readonly offerMsat?: Msat;
}

export interface NegotiationAccounts {
  /** The view of a peer (a normalised address); a peer with no account yet is a fresh account. */
  getView(peer: string): Promise<NegotiationAccountView>;
}

export interface NegotiationPricing {
  /** The price when a torrent has none of its own. */
  defaultPrice(): MsatPerGiB;
  /** Torrents with a price of their own (published in the well-known document). */
  listPrices(): ReadonlyMap<string, MsatPerGiB>;
  /** The price of one torrent (lower-case hex infohash). */
  priceOf(infohash: string): MsatPerGiB;
}

/** The ledger terms a seller publishes (from its ledger policy). */
export interface NegotiationTerms {
  readonly freeAllowanceBytes: bigint;
  /** How far into debt a peer may go before it is blocked. */
  readonly blockThresholdMsat: Msat;
  /** The balance a blocked peer must reach to be unblocked (hysteresis), when different. */
  readonly unblockThresholdMsat?: Msat;
  /** A one-line human description of how the credit line grows. */
  readonly creditRule?: string;
}

export interface NegotiationLimits {
  /** Largest request body accepted (bytes). Default 4096. */
  readonly maxBodyBytes: number;
  /** Unpaid, unexpired invoices one peer may hold. Default 5. */
  readonly maxOpenInvoicesPerPeer: number;
  /** Sustained requests per second per address (IPv6: per /64). Default 5. */
  readonly requestsPerSecond: number;
  /** Burst size per address. Default 20. */
  readonly burst: number;
  /** Addresses the rate limiter remembers at most. Default 10 000. */
  readonly maxTrackedAddresses: number;
  /** Smallest invoice (msat). Default 1000 (1 sat). */
  readonly minInvoiceMsat: Msat;
  /** Largest invoice (msat). Default 100 000 000 (100 000 sat). */
  readonly maxInvoiceMsat: Msat;
  /** Invoice lifetime in seconds. Default 600. */
  readonly invoiceExpirySeconds: number;
}

export const defaultNegotiationLimits: NegotiationLimits = {
  maxBodyBytes: 4_096,
  maxOpenInvoicesPerPeer: 5,
  requestsPerSecond: 5,
  burst: 20,
  maxTrackedAddresses: 10_000,
  minInvoiceMsat: 1_000n,
  maxInvoiceMsat: 100_000_000n,
  invoiceExpirySeconds: 600,
};

export interface NegotiationHandlerOptions {
  /** The seller's node: `getInfo` and `createInvoice` are used. */
  readonly adapter: PaymentAdapter;
  /** `recordInvoice`, `getInvoice` and `countOpenInvoices` are used. */
  readonly store: Pick<LedgerStore, "recordInvoice" | "getInvoice" | "countOpenInvoices">;
  readonly accounts: NegotiationAccounts;
  readonly pricing: NegotiationPricing;
  readonly terms: NegotiationTerms;
  readonly limits?: Partial<NegotiationLimits>;
  /**
   * The identity a request is for. Default: the normalised remote address. Override only behind
   * a trusted reverse proxy (e.g. to read X-Forwarded-For that the proxy sets); return a normalised
   * IP address.
   */
  readonly identify?: (request: Request, context: NegotiationRequestContext) => string;
  /** Invoice description shown to the payer. */
  readonly describeInvoice?: (details: { peer: string; amountMsat: Msat; infohash?: string }) => string;
  /** Called with unexpected failures (5xx); never given request bodies. */
  readonly onError?: (error: unknown) => void;
  readonly now?: () => Date;
}
