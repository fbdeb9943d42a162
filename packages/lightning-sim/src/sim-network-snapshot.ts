/**
 * The simulated network's state as JSON (bigint as decimal strings), checked with zod when read
 * back, and written atomically (temporary file + rename) so a crash never leaves half a file.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { createSimNodeKeys } from "./sim-invoice.js";
import {
  type ChannelState,
  createNodeState,
  type InvoiceRecord,
  type NodeState,
  type PaymentRecord,
  simError,
} from "./sim-network-state.js";
import type { SimNetworkSnapshot } from "./sim-network-types.js";

const amount = z.string().regex(/^-?(0|[1-9][0-9]*)$/);
const hex = z.string().regex(/^[0-9a-f]*$/);
const policy = z.object({ feeBaseMsat: amount, feeRatePpm: amount });
const failure = z.enum(["NO_ROUTE", "INSUFFICIENT_BALANCE", "INVOICE_EXPIRED", "PAYMENT_FAILED"]);

const invoiceSchema = z.object({
  paymentHash: hex,
  paymentRequest: z.string(),
  label: z.string(),
  amountMsat: amount,
  description: z.string().optional(),
  descriptionHash: hex.optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
  state: z.enum(["open", "settled", "canceled"]),
  preimage: hex,
  accepting: z.boolean(),
  settledAt: z.number().optional(),
  receivedMsat: amount.optional(),
  settleIndex: amount.optional(),
});

const hopSchema = z.object({
  channelId: z.string(),
  from: hex,
  to: hex,
  amountMsat: amount,
  feeMsat: amount,
});

const paymentSchema = z.object({
  paymentHash: hex,
  paymentRequest: z.string(),
  payee: hex,
  amountMsat: amount,
  feeMsat: amount,
  status: z.enum(["in-flight", "succeeded", "failed"]),
  preimage: hex.optional(),
  hops: z.array(hopSchema),
  createdAt: z.number(),
  settledAt: z.number().optional(),
  failureCode: z.string().optional(),
});

const nodeSchema = z.object({
  name: z.string(),
  privateKey: hex,
  walletMsat: amount,
  settleIndex: amount,
  faults: z
    .object({
      offline: z.boolean().optional(),
      settlementDelayMs: z.number().optional(),
      failPayments: failure.optional(),
    })
    .default({}),
  invoices: z.array(invoiceSchema),
  payments: z.array(paymentSchema),
});

const channelSchema = z.object({
  id: z.string(),
  nodeA: hex,
  nodeB: hex,
  capacityMsat: amount,
  balanceAMsat: amount,
  balanceBMsat: amount,
  policyA: policy,
  policyB: policy,
});

const snapshotSchema = z.object({
  format: z.literal("peerpay-lightning-sim"),
  version: z.literal(1),
  simulated: z.literal(true),
  nextChannelNumber: z.number().int().nonnegative(),
  nodes: z.array(nodeSchema),
  channels: z.array(channelSchema),
});

/** JSON.stringify replacer: bigint → decimal string. */
function bigintToString(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

export function snapshotOf(
  nodes: Iterable<NodeState>,
  channels: Iterable<ChannelState>,
  nextChannelNumber: number,
): SimNetworkSnapshot {
  const data = {
    format: "peerpay-lightning-sim",
    version: 1,
    simulated: true,
    nextChannelNumber,
    nodes: [...nodes].map((node) => ({
      name: node.name,
      privateKey: node.keys.privateKey,
      walletMsat: node.walletMsat,
      settleIndex: node.settleIndex,
      faults: node.faults,
      invoices: [...node.invoices.values()],
      payments: [...node.payments.values()],
    })),
    channels: [...channels],
  };
  return JSON.parse(JSON.stringify(data, bigintToString)) as SimNetworkSnapshot;
}

export interface RestoredState {
  nodes: NodeState[];
  channels: ChannelState[];
  nextChannelNumber: number;
}

/** Rebuilds the state from a snapshot; throws INVALID_INPUT (naming the first problem) otherwise. */
export function restoreSnapshot(snapshot: unknown): RestoredState {
  const parsed = snapshotSchema.safeParse(snapshot);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw simError(
      "loadSnapshot",
      "INVALID_INPUT",
      `not a lightning-sim snapshot (${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "invalid"})`,
    );
  }
  const nodes = parsed.data.nodes.map((entry) => {
    const node = createNodeState(entry.name, createSimNodeKeys(entry.privateKey), BigInt(entry.walletMsat));
    node.settleIndex = BigInt(entry.settleIndex);
    node.faults = { ...entry.faults };
    for (const raw of entry.invoices) {
      const { receivedMsat, settleIndex, ...rest } = raw;
      const invoice: InvoiceRecord = {
        ...rest,
        amountMsat: BigInt(raw.amountMsat),
        ...(receivedMsat !== undefined ? { receivedMsat: BigInt(receivedMsat) } : {}),
        ...(settleIndex !== undefined ? { settleIndex: BigInt(settleIndex) } : {}),
      };
      node.invoices.set(invoice.paymentHash, invoice);
      node.labels.set(invoice.label, invoice.paymentHash);
    }
    node.settled = [...node.invoices.values()]
      .filter((invoice) => invoice.settleIndex !== undefined)
      .sort((a, b) => (a.settleIndex! < b.settleIndex! ? -1 : 1));
    for (const raw of entry.payments) {
      const payment: PaymentRecord = {
        ...raw,
        amountMsat: BigInt(raw.amountMsat),
        feeMsat: BigInt(raw.feeMsat),
        hops: raw.hops.map((hop) => ({
          ...hop,
          amountMsat: BigInt(hop.amountMsat),
          feeMsat: BigInt(hop.feeMsat),
        })),
        failureCode: raw.failureCode as PaymentRecord["failureCode"],
      };
      if (payment.failureCode === undefined) delete payment.failureCode;
      node.payments.set(payment.paymentHash, payment);
    }
    return node;
  });
  const channels = parsed.data.channels.map(
    (raw): ChannelState => ({
      ...raw,
      capacityMsat: BigInt(raw.capacityMsat),
      balanceAMsat: BigInt(raw.balanceAMsat),
      balanceBMsat: BigInt(raw.balanceBMsat),
      policyA: { feeBaseMsat: BigInt(raw.policyA.feeBaseMsat), feeRatePpm: BigInt(raw.policyA.feeRatePpm) },
      policyB: { feeBaseMsat: BigInt(raw.policyB.feeBaseMsat), feeRatePpm: BigInt(raw.policyB.feeRatePpm) },
    }),
  );
  return { nodes, channels, nextChannelNumber: parsed.data.nextChannelNumber };
}

export function writeSnapshotFile(file: string, snapshot: SimNetworkSnapshot): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(snapshot, null, 1)}\n`);
  renameSync(temporary, file);
}

/** Reads a snapshot file; undefined when it does not exist. */
export function readSnapshotFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw simError("loadSnapshot", "STORAGE_FAILED", `cannot read ${file}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw simError("loadSnapshot", "INVALID_INPUT", `${file} is not JSON`, { cause: error });
  }
}
