/**
 * The simulated network's internal, mutable state and the conversions to the read-only public
 * shapes. Only the network, its payment engine and its snapshot code touch these records.
 */
import { EventEmitter } from "node:events";
import { AdapterError, type ErrorCode, type PaymentResult, type PeerpayErrorOptions } from "@peerpay/core";
import type { SimNodeKeys } from "./sim-invoice.js";
import type {
  SimChannel,
  SimChannelPolicy,
  SimInvoice,
  SimNodeFaults,
  SimPayment,
  SimPaymentFault,
  SimPaymentStatus,
  SimRouteHop,
} from "./sim-network-types.js";

export const SIMULATED_SUFFIX = " (simulated)";

export interface InvoiceRecord {
  paymentHash: string;
  paymentRequest: string;
  label: string;
  amountMsat: bigint;
  description?: string;
  descriptionHash?: string;
  createdAt: number;
  expiresAt: number;
  state: "open" | "settled" | "canceled";
  preimage: string;
  /** A payment is settling towards this invoice (HTLCs held); a second one is refused. */
  accepting: boolean;
  settledAt?: number;
  receivedMsat?: bigint;
  settleIndex?: bigint;
}

export interface PaymentRecord {
  paymentHash: string;
  paymentRequest: string;
  payee: string;
  amountMsat: bigint;
  feeMsat: bigint;
  status: SimPaymentStatus;
  preimage?: string;
  hops: SimRouteHop[];
  createdAt: number;
  settledAt?: number;
  failureCode?: ErrorCode;
}

export interface NodeState {
  id: string;
  /** The alias as given, without the suffix. */
  name: string;
  keys: SimNodeKeys;
  walletMsat: bigint;
  invoices: Map<string, InvoiceRecord>;
  labels: Map<string, string>;
  /** The last settle index handed out; the first settled invoice gets 1. */
  settleIndex: bigint;
  /** Settled invoices in settle order. */
  settled: InvoiceRecord[];
  payments: Map<string, PaymentRecord>;
  /** Payments of this node still settling, by hash. */
  inFlight: Map<string, Promise<PaymentResult>>;
  faults: SimNodeFaults;
  /** "settled" (InvoiceRecord) and "connection" ("drop" | "offline" | "online"). */
  events: EventEmitter;
}

export interface ChannelState {
  id: string;
  nodeA: string;
  nodeB: string;
  capacityMsat: bigint;
  balanceAMsat: bigint;
  balanceBMsat: bigint;
  policyA: SimChannelPolicy;
  policyB: SimChannelPolicy;
}

/** What the payment engine needs from the network. */
export interface SimNetworkContext {
  readonly nodes: Map<string, NodeState>;
  readonly channels: Map<string, ChannelState>;
  readonly paymentFaults: Map<string, SimPaymentFault & { remaining?: number }>;
  now(): number;
  /** Persists the state (when a file is configured). */
  changed(): void;
}

export function createNodeState(name: string, keys: SimNodeKeys, walletMsat: bigint): NodeState {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  return {
    id: keys.publicKey,
    name,
    keys,
    walletMsat,
    invoices: new Map(),
    labels: new Map(),
    settleIndex: 0n,
    settled: [],
    payments: new Map(),
    inFlight: new Map(),
    faults: {},
    events,
  };
}

export function simError(
  operation: string,
  code: ErrorCode,
  message: string,
  options?: PeerpayErrorOptions,
): AdapterError {
  return new AdapterError("sim", operation, code, message, options);
}

export function toSimInvoice(record: InvoiceRecord, now: number): SimInvoice {
  const state = record.state === "open" && now >= record.expiresAt ? "expired" : record.state;
  return {
    paymentHash: record.paymentHash,
    paymentRequest: record.paymentRequest,
    label: record.label,
    amountMsat: record.amountMsat,
    ...(record.description !== undefined ? { description: record.description } : {}),
    ...(record.descriptionHash !== undefined ? { descriptionHash: record.descriptionHash } : {}),
    createdAt: new Date(record.createdAt),
    expiresAt: new Date(record.expiresAt),
    state,
    preimage: record.preimage,
    ...(record.settledAt !== undefined ? { settledAt: new Date(record.settledAt) } : {}),
    ...(record.receivedMsat !== undefined ? { receivedMsat: record.receivedMsat } : {}),
    ...(record.settleIndex !== undefined ? { settleIndex: record.settleIndex } : {}),
  };
}

export function toSimPayment(record: PaymentRecord): SimPayment {
  return {
    paymentHash: record.paymentHash,
    paymentRequest: record.paymentRequest,
    payee: record.payee,
    amountMsat: record.amountMsat,
    feeMsat: record.feeMsat,
    status: record.status,
    ...(record.preimage !== undefined ? { preimage: record.preimage } : {}),
    hops: record.hops.map((hop) => ({ ...hop })),
    createdAt: new Date(record.createdAt),
    ...(record.settledAt !== undefined ? { settledAt: new Date(record.settledAt) } : {}),
    ...(record.failureCode !== undefined ? { failureCode: record.failureCode } : {}),
  };
}

export function toSimChannel(channel: ChannelState): SimChannel {
  return { ...channel, policyA: { ...channel.policyA }, policyB: { ...channel.policyB } };
}
