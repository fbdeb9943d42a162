/**
 * Public types of the simulated Lightning network. Everything it moves is simulated: no real
 * bitcoin, no real channels. Amounts are millisatoshi as bigint.
 */
import type { CreateInvoiceRequest, ErrorCode, InvoiceState, Msat, PaymentResult } from "@peerpay/core";
import type { SimChannelPolicy, SimRouteHop } from "./sim-routing.js";

export type { SimChannelPolicy, SimRouteHop };

/** A node, named by its object, its node id (public key hex) or its alias (without the suffix). */
export type SimNodeRef = SimNode | string;

export interface SimNode {
  /** The node id: a 33-byte compressed secp256k1 public key, hex. */
  readonly id: string;
  /** The alias as shown everywhere, always ending in " (simulated)". */
  readonly alias: string;
}

export interface AddSimNodeOptions {
  /** A short name; " (simulated)" is appended. Unique within the network. */
  readonly alias: string;
  /** On-chain (wallet) funds the node can open channels with. Default 10 000 000 sat. */
  readonly balanceMsat?: Msat;
  /** Hex secp256k1 private key, for a reproducible node id; a random one otherwise. */
  readonly privateKey?: string;
}

export interface OpenSimChannelOptions {
  /** Base fee both ends charge for forwarding over this channel. Default 1000 msat (LND's default). */
  readonly feeBaseMsat?: Msat;
  /** Proportional fee both ends charge, parts per million. Default 1 (LND's default). */
  readonly feeRatePpm?: bigint;
  /** Part of the capacity given to the other end at opening. Default 0. */
  readonly pushMsat?: Msat;
}

export interface SimChannel {
  readonly id: string;
  /** The node that opened (funded) the channel. */
  readonly nodeA: string;
  readonly nodeB: string;
  readonly capacityMsat: Msat;
  /** What `nodeA` can send now. */
  readonly balanceAMsat: Msat;
  /** What `nodeB` can send now. */
  readonly balanceBMsat: Msat;
  readonly policyA: SimChannelPolicy;
  readonly policyB: SimChannelPolicy;
}

export interface SimNodeBalance {
  /** On-chain funds not in channels. */
  readonly walletMsat: Msat;
  /** Sum of what the node can send over its channels. */
  readonly localMsat: Msat;
  /** Sum of what the node can receive over its channels. */
  readonly remoteMsat: Msat;
  /** Outgoing amounts locked in payments still settling. */
  readonly inFlightMsat: Msat;
}

/** An invoice as the issuing node stores it. */
export interface SimInvoice {
  readonly paymentHash: string;
  readonly paymentRequest: string;
  readonly label: string;
  readonly amountMsat: Msat;
  readonly description?: string;
  readonly descriptionHash?: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** "expired" is reported for an open invoice past its expiry. */
  readonly state: InvoiceState;
  /** Hex; the issuing node always knows it. */
  readonly preimage: string;
  readonly settledAt?: Date;
  readonly receivedMsat?: Msat;
  /** Position in the node's settle order (1, 2, …), like LND's settle_index. */
  readonly settleIndex?: bigint;
}

export type SimPaymentStatus = "in-flight" | "succeeded" | "failed";

/** A payment as the paying node stores it. */
export interface SimPayment {
  readonly paymentHash: string;
  readonly paymentRequest: string;
  readonly payee: string;
  readonly amountMsat: Msat;
  readonly feeMsat: Msat;
  readonly status: SimPaymentStatus;
  readonly preimage?: string;
  readonly hops: readonly SimRouteHop[];
  readonly createdAt: Date;
  readonly settledAt?: Date;
  readonly failureCode?: ErrorCode;
}

/** Failures the network can be told to produce, named by the error code they raise. */
export type SimPaymentFailure = "NO_ROUTE" | "INSUFFICIENT_BALANCE" | "INVOICE_EXPIRED" | "PAYMENT_FAILED";

export interface SimNodeFaults {
  /** The node is down: adapter calls fail with retryable BACKEND_UNAVAILABLE, routes avoid it. */
  readonly offline?: boolean;
  /** Payments this node sends, forwards or receives take this long to settle. */
  readonly settlementDelayMs?: number;
  /** Payments this node sends fail with this code (nothing moves). */
  readonly failPayments?: SimPaymentFailure;
}

export interface SimPaymentFault {
  /** Attempts to pay this hash fail with this code (nothing moves). */
  readonly failure?: SimPaymentFailure;
  /** Attempts to pay this hash take this long to settle. */
  readonly settlementDelayMs?: number;
  /** Applies to this many attempts, then clears itself. Default: until cleared. */
  readonly times?: number;
}

export interface SimPayRequest {
  readonly paymentRequest: string;
  /** Required for an amountless invoice; must equal the invoice amount otherwise. */
  readonly amountMsat?: Msat;
  /** Routes charging more than this are not taken. */
  readonly maxFeeMsat: Msat;
  /** Stop waiting after this long; the payment keeps settling (PAYMENT_IN_FLIGHT). */
  readonly timeoutMs?: number;
}

export interface SimNetworkOptions {
  /** The clock invoices and expiry use, in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * A JSON file holding the network's state: loaded when it exists, and rewritten (atomically)
   * after every change, so a process that restarts finds its nodes, channels, invoices, payments
   * and settle indexes as they were.
   */
  readonly file?: string;
}

export interface SimNetwork {
  /** Always true: nothing here is real money. */
  readonly simulated: true;
  /** The BOLT11 network of every invoice: "simnet" (prefix `lnsb`). */
  readonly network: "simnet";
  addNode(options: AddSimNodeOptions): SimNode;
  getNode(node: SimNodeRef): SimNode;
  listNodes(): SimNode[];
  /** Adds on-chain funds to a node's wallet. */
  fundNode(node: SimNodeRef, amountMsat: Msat): void;
  /** Opens a channel funded by `from`; `capacityMsat` leaves its wallet. */
  openChannel(
    from: SimNodeRef,
    to: SimNodeRef,
    capacityMsat: Msat,
    options?: OpenSimChannelOptions,
  ): SimChannel;
  /** Closes a channel; each side's balance returns to its wallet. */
  closeChannel(channelId: string): void;
  /** Sets what `node` charges for forwarding over one of its channels. */
  setChannelPolicy(channelId: string, node: SimNodeRef, policy: Partial<SimChannelPolicy>): void;
  listChannels(node?: SimNodeRef): SimChannel[];
  getBalance(node: SimNodeRef): SimNodeBalance;

  createInvoice(node: SimNodeRef, request: CreateInvoiceRequest): SimInvoice;
  lookupInvoice(node: SimNodeRef, paymentHash: string): SimInvoice | undefined;
  listInvoices(node: SimNodeRef): SimInvoice[];
  /**
   * Settled invoices with a settle index above `afterIndex` (default 0: all), in settle order,
   * at most `limit` of them (default: all).
   */
  listSettledInvoices(node: SimNodeRef, afterIndex?: bigint, limit?: number): SimInvoice[];
  /** Pays an invoice from `node`. Paying a hash already paid returns the recorded result. */
  payInvoice(node: SimNodeRef, request: SimPayRequest): Promise<PaymentResult>;
  lookupPayment(node: SimNodeRef, paymentHash: string): SimPayment | undefined;
  listPayments(node: SimNodeRef): SimPayment[];
  /** Called after each invoice the node settles. Returns an unsubscribe function. */
  onInvoiceSettled(node: SimNodeRef, listener: (invoice: SimInvoice) => void): () => void;

  /** Merges faults into a node's fault set. */
  setNodeFaults(node: SimNodeRef, faults: SimNodeFaults): void;
  clearNodeFaults(node: SimNodeRef): void;
  getNodeFaults(node: SimNodeRef): SimNodeFaults;
  isOnline(node: SimNodeRef): boolean;
  setPaymentFault(paymentHash: string, fault: SimPaymentFault): void;
  clearPaymentFault(paymentHash: string): void;
  /** Breaks every open settled-invoice stream of the node; each reconnects and resumes from its cursor. */
  dropSettledStreams(node: SimNodeRef): void;
  /** Listens for stream drops and online/offline changes of a node (used by adapters' streams). */
  onConnectionEvent(node: SimNodeRef, listener: (event: "drop" | "offline" | "online") => void): () => void;

  /** The whole state as JSON-safe data (bigint as decimal strings). Includes the simulated keys. */
  toJSON(): SimNetworkSnapshot;
  /** Writes the state to a JSON file atomically (the `file` option's path by default). */
  save(file?: string): void;
  /** The current time of the network's clock, ms. */
  now(): number;
}

export interface SimNetworkSnapshot {
  readonly format: "peerpay-lightning-sim";
  readonly version: 1;
  readonly simulated: true;
  readonly nextChannelNumber: number;
  readonly nodes: readonly unknown[];
  readonly channels: readonly unknown[];
}
