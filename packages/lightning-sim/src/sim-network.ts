/**
 * The simulated Lightning network: nodes with real secp256k1 keys, channels with balances and fee
 * policies, real signed BOLT11 invoices and real preimages, payments routed over the channels,
 * fault injection, and an optional JSON file that keeps the state across restarts.
 * Nothing here is real money; every node's alias says "(simulated)".
 */
import { randomBytes } from "node:crypto";
import type { CreateInvoiceRequest, PaymentResult } from "@peerpay/core";
import { createSimNodeKeys, encodeSimInvoice, sha256Hex } from "./sim-invoice.js";
import { readSnapshotFile, restoreSnapshot, snapshotOf, writeSnapshotFile } from "./sim-network-snapshot.js";
import {
  type ChannelState,
  createNodeState,
  type NodeState,
  SIMULATED_SUFFIX,
  type SimNetworkContext,
  simError,
  toSimChannel,
  toSimInvoice,
  toSimPayment,
} from "./sim-network-state.js";
import type {
  AddSimNodeOptions,
  OpenSimChannelOptions,
  SimChannel,
  SimChannelPolicy,
  SimInvoice,
  SimNetwork,
  SimNetworkOptions,
  SimNetworkSnapshot,
  SimNode,
  SimNodeBalance,
  SimNodeFaults,
  SimNodeRef,
  SimPayment,
  SimPaymentFault,
  SimPayRequest,
} from "./sim-network-types.js";
import { checkAmount, checkInvoiceRequest } from "./sim-network-validation.js";
import { completePayment, payFromNode } from "./sim-payment.js";

const DEFAULT_WALLET_MSAT = 10_000_000_000n;
const DEFAULT_POLICY: SimChannelPolicy = { feeBaseMsat: 1000n, feeRatePpm: 1n };

/** Creates a simulated network, empty or loaded from `options.file` when that file exists. */
export function createSimNetwork(options: SimNetworkOptions = {}): SimNetwork {
  return new SimNetworkImpl(options);
}

/** A network rebuilt from a snapshot (`network.toJSON()`); in-flight payments settle on load. */
export function loadSimNetwork(snapshot: unknown, options: Omit<SimNetworkOptions, "file"> = {}): SimNetwork {
  return new SimNetworkImpl(options, snapshot);
}

class SimNetworkImpl implements SimNetwork, SimNetworkContext {
  readonly simulated = true as const;
  readonly network = "simnet" as const;
  readonly nodes = new Map<string, NodeState>();
  readonly channels = new Map<string, ChannelState>();
  readonly paymentFaults = new Map<string, SimPaymentFault & { remaining?: number }>();
  private readonly clock: () => number;
  private readonly file: string | undefined;
  private nextChannelNumber = 1;
  private loading = false;

  constructor(options: SimNetworkOptions, snapshot?: unknown) {
    this.clock = options.now ?? Date.now;
    this.file = options.file;
    const source = snapshot ?? (this.file === undefined ? undefined : readSnapshotFile(this.file));
    if (source !== undefined) this.restore(source);
  }

  now(): number {
    return this.clock();
  }

  changed(): void {
    if (this.file !== undefined && !this.loading) this.save();
  }

  addNode(options: AddSimNodeOptions): SimNode {
    const name = options.alias?.trim();
    if (!name || name.length > 32 - SIMULATED_SUFFIX.length) {
      throw simError(
        "addNode",
        "INVALID_INPUT",
        `alias must be 1-${32 - SIMULATED_SUFFIX.length} characters`,
      );
    }
    if ([...this.nodes.values()].some((node) => node.name === name)) {
      throw simError("addNode", "CONFLICT", `a node called ${name} already exists`);
    }
    const wallet = options.balanceMsat ?? DEFAULT_WALLET_MSAT;
    checkAmount("addNode", wallet, "balanceMsat", true);
    const keys = createSimNodeKeys(options.privateKey);
    if (this.nodes.has(keys.publicKey)) throw simError("addNode", "CONFLICT", "that key is already a node");
    const node = createNodeState(name, keys, wallet);
    this.nodes.set(node.id, node);
    this.changed();
    return publicNode(node);
  }

  getNode(node: SimNodeRef): SimNode {
    return publicNode(this.node(node));
  }

  listNodes(): SimNode[] {
    return [...this.nodes.values()].map(publicNode);
  }

  fundNode(node: SimNodeRef, amountMsat: bigint): void {
    checkAmount("fundNode", amountMsat, "amountMsat");
    this.node(node).walletMsat += amountMsat;
    this.changed();
  }

  openChannel(
    from: SimNodeRef,
    to: SimNodeRef,
    capacityMsat: bigint,
    options: OpenSimChannelOptions = {},
  ): SimChannel {
    const a = this.node(from);
    const b = this.node(to);
    if (a === b) throw simError("openChannel", "INVALID_INPUT", "a node cannot open a channel to itself");
    checkAmount("openChannel", capacityMsat, "capacityMsat");
    const push = options.pushMsat ?? 0n;
    checkAmount("openChannel", push, "pushMsat", true);
    if (push > capacityMsat) throw simError("openChannel", "INVALID_INPUT", "pushMsat exceeds the capacity");
    if (a.walletMsat < capacityMsat) {
      throw simError("openChannel", "INSUFFICIENT_BALANCE", `${a.name} has ${a.walletMsat} msat on chain`);
    }
    const policy = {
      feeBaseMsat: options.feeBaseMsat ?? DEFAULT_POLICY.feeBaseMsat,
      feeRatePpm: options.feeRatePpm ?? DEFAULT_POLICY.feeRatePpm,
    };
    checkAmount("openChannel", policy.feeBaseMsat, "feeBaseMsat", true);
    checkAmount("openChannel", policy.feeRatePpm, "feeRatePpm", true);
    a.walletMsat -= capacityMsat;
    // A short channel id in the usual block x transaction x output form.
    const channel: ChannelState = {
      id: `${100 + this.nextChannelNumber}x1x0`,
      nodeA: a.id,
      nodeB: b.id,
      capacityMsat,
      balanceAMsat: capacityMsat - push,
      balanceBMsat: push,
      policyA: { ...policy },
      policyB: { ...policy },
    };
    this.nextChannelNumber += 1;
    this.channels.set(channel.id, channel);
    this.changed();
    return toSimChannel(channel);
  }

  closeChannel(channelId: string): void {
    const channel = this.channel(channelId, "closeChannel");
    for (const node of this.nodes.values()) {
      for (const payment of node.payments.values()) {
        if (payment.status === "in-flight" && payment.hops.some((hop) => hop.channelId === channelId)) {
          throw simError("closeChannel", "CONFLICT", `a payment is still settling over ${channelId}`);
        }
      }
    }
    this.nodes.get(channel.nodeA)!.walletMsat += channel.balanceAMsat;
    this.nodes.get(channel.nodeB)!.walletMsat += channel.balanceBMsat;
    this.channels.delete(channelId);
    this.changed();
  }

  setChannelPolicy(channelId: string, node: SimNodeRef, policy: Partial<SimChannelPolicy>): void {
    const channel = this.channel(channelId, "setChannelPolicy");
    const owner = this.node(node);
    const side = owner.id === channel.nodeA ? "policyA" : owner.id === channel.nodeB ? "policyB" : undefined;
    if (!side)
      throw simError("setChannelPolicy", "INVALID_INPUT", `${owner.name} is not an end of ${channelId}`);
    if (policy.feeBaseMsat !== undefined)
      checkAmount("setChannelPolicy", policy.feeBaseMsat, "feeBaseMsat", true);
    if (policy.feeRatePpm !== undefined)
      checkAmount("setChannelPolicy", policy.feeRatePpm, "feeRatePpm", true);
    channel[side] = { ...channel[side], ...policy };
    this.changed();
  }

  listChannels(node?: SimNodeRef): SimChannel[] {
    const id = node === undefined ? undefined : this.node(node).id;
    return [...this.channels.values()]
      .filter((channel) => id === undefined || channel.nodeA === id || channel.nodeB === id)
      .map(toSimChannel);
  }

  getBalance(node: SimNodeRef): SimNodeBalance {
    const state = this.node(node);
    let localMsat = 0n;
    let remoteMsat = 0n;
    for (const channel of this.channels.values()) {
      if (channel.nodeA === state.id) {
        localMsat += channel.balanceAMsat;
        remoteMsat += channel.balanceBMsat;
      } else if (channel.nodeB === state.id) {
        localMsat += channel.balanceBMsat;
        remoteMsat += channel.balanceAMsat;
      }
    }
    let inFlightMsat = 0n;
    for (const payment of state.payments.values()) {
      if (payment.status === "in-flight") inFlightMsat += payment.amountMsat + payment.feeMsat;
    }
    return { walletMsat: state.walletMsat, localMsat, remoteMsat, inFlightMsat };
  }

  createInvoice(node: SimNodeRef, request: CreateInvoiceRequest): SimInvoice {
    const state = this.node(node);
    this.requireOnline(state, "createInvoice");
    checkInvoiceRequest(request);
    const label = request.label ?? `sim-${randomBytes(8).toString("hex")}`;
    if (state.labels.has(label))
      throw simError("createInvoice", "CONFLICT", "an invoice with that label exists");
    const preimage = randomBytes(32).toString("hex");
    const paymentHash = sha256Hex(preimage);
    const timestamp = Math.floor(this.now() / 1000);
    const paymentRequest = encodeSimInvoice({
      keys: state.keys,
      paymentHash,
      amountMsat: request.amountMsat,
      timestamp,
      expirySeconds: request.expirySeconds,
      ...(request.description !== undefined ? { description: request.description } : {}),
      ...(request.descriptionHash !== undefined ? { descriptionHash: request.descriptionHash } : {}),
    });
    const record = {
      paymentHash,
      paymentRequest,
      label,
      amountMsat: request.amountMsat,
      ...(request.descriptionHash === undefined ? { description: request.description ?? "" } : {}),
      ...(request.descriptionHash !== undefined ? { descriptionHash: request.descriptionHash } : {}),
      createdAt: timestamp * 1000,
      expiresAt: (timestamp + request.expirySeconds) * 1000,
      state: "open" as const,
      preimage,
      accepting: false,
    };
    state.invoices.set(paymentHash, record);
    state.labels.set(label, paymentHash);
    this.changed();
    return toSimInvoice(record, this.now());
  }

  lookupInvoice(node: SimNodeRef, paymentHash: string): SimInvoice | undefined {
    const record = this.node(node).invoices.get(paymentHash);
    return record && toSimInvoice(record, this.now());
  }

  listInvoices(node: SimNodeRef): SimInvoice[] {
    const now = this.now();
    return [...this.node(node).invoices.values()].map((record) => toSimInvoice(record, now));
  }

  listSettledInvoices(node: SimNodeRef, afterIndex = 0n, limit = Number.POSITIVE_INFINITY): SimInvoice[] {
    const settled = this.node(node).settled;
    // Binary search: the list is in settle-index order.
    let low = 0;
    let high = settled.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (settled[middle]!.settleIndex! > afterIndex) high = middle;
      else low = middle + 1;
    }
    const now = this.now();
    const end = Math.min(settled.length, low + limit);
    return settled.slice(low, end).map((record) => toSimInvoice(record, now));
  }

  payInvoice(node: SimNodeRef, request: SimPayRequest): Promise<PaymentResult> {
    return payFromNode(this, this.node(node), request);
  }

  lookupPayment(node: SimNodeRef, paymentHash: string): SimPayment | undefined {
    const record = this.node(node).payments.get(paymentHash);
    return record && toSimPayment(record);
  }

  listPayments(node: SimNodeRef): SimPayment[] {
    return [...this.node(node).payments.values()].map(toSimPayment);
  }

  onInvoiceSettled(node: SimNodeRef, listener: (invoice: SimInvoice) => void): () => void {
    const state = this.node(node);
    const handler = (record: Parameters<typeof toSimInvoice>[0]) =>
      listener(toSimInvoice(record, this.now()));
    state.events.on("settled", handler);
    return () => state.events.off("settled", handler);
  }

  setNodeFaults(node: SimNodeRef, faults: SimNodeFaults): void {
    const state = this.node(node);
    const wasOnline = !state.faults.offline;
    state.faults = { ...state.faults, ...faults };
    this.changed();
    this.announceOnline(state, wasOnline);
  }

  clearNodeFaults(node: SimNodeRef): void {
    const state = this.node(node);
    const wasOnline = !state.faults.offline;
    state.faults = {};
    this.changed();
    this.announceOnline(state, wasOnline);
  }

  getNodeFaults(node: SimNodeRef): SimNodeFaults {
    return { ...this.node(node).faults };
  }

  isOnline(node: SimNodeRef): boolean {
    return !this.node(node).faults.offline;
  }

  setPaymentFault(paymentHash: string, fault: SimPaymentFault): void {
    this.paymentFaults.set(paymentHash, {
      ...fault,
      ...(fault.times !== undefined ? { remaining: fault.times } : {}),
    });
  }

  clearPaymentFault(paymentHash: string): void {
    this.paymentFaults.delete(paymentHash);
  }

  dropSettledStreams(node: SimNodeRef): void {
    this.node(node).events.emit("connection", "drop");
  }

  onConnectionEvent(node: SimNodeRef, listener: (event: "drop" | "offline" | "online") => void): () => void {
    const state = this.node(node);
    state.events.on("connection", listener);
    return () => state.events.off("connection", listener);
  }

  toJSON(): SimNetworkSnapshot {
    return snapshotOf(this.nodes.values(), this.channels.values(), this.nextChannelNumber);
  }

  save(file = this.file): void {
    if (file === undefined)
      throw simError("save", "INVALID_CONFIG", "no file given and no `file` option set");
    try {
      writeSnapshotFile(file, this.toJSON());
    } catch (error) {
      throw simError("save", "STORAGE_FAILED", `cannot write ${file}`, { cause: error });
    }
  }

  private restore(snapshot: unknown): void {
    const restored = restoreSnapshot(snapshot);
    this.loading = true;
    for (const node of restored.nodes) this.nodes.set(node.id, node);
    for (const channel of restored.channels) this.channels.set(channel.id, channel);
    this.nextChannelNumber = restored.nextChannelNumber;
    // A payment that was settling when the state was saved settles now: its HTLCs were locked.
    for (const node of restored.nodes) {
      for (const payment of node.payments.values()) {
        if (payment.status === "in-flight") completePayment(this, payment);
      }
    }
    this.loading = false;
    this.changed();
  }

  private announceOnline(state: NodeState, wasOnline: boolean): void {
    const online = !state.faults.offline;
    if (online !== wasOnline) state.events.emit("connection", online ? "online" : "offline");
  }

  private requireOnline(state: NodeState, operation: string): void {
    if (state.faults.offline)
      throw simError(operation, "BACKEND_UNAVAILABLE", `node ${state.name} is offline`);
  }

  private channel(channelId: string, operation: string): ChannelState {
    const channel = this.channels.get(channelId);
    if (!channel) throw simError(operation, "NOT_FOUND", `no channel ${channelId}`);
    return channel;
  }

  /** Finds a node by object, id or alias (with or without the suffix). */
  node(reference: SimNodeRef): NodeState {
    const key = typeof reference === "string" ? reference : reference.id;
    const byId = this.nodes.get(key);
    if (byId) return byId;
    const name = key.endsWith(SIMULATED_SUFFIX) ? key.slice(0, -SIMULATED_SUFFIX.length) : key;
    for (const node of this.nodes.values()) if (node.name === name) return node;
    throw simError("getNode", "NOT_FOUND", `no simulated node ${key.slice(0, 70)}`);
  }
}

function publicNode(node: NodeState): SimNode {
  return { id: node.id, alias: `${node.name}${SIMULATED_SUFFIX}` };
}
