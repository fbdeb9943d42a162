/**
 * TEST DOUBLE of lightningd: the JSON-RPC methods the adapter uses, answered from a node of the
 * simulated Lightning network (`@peerpay/lightning-sim`), so payments between this node and other
 * simulated nodes really settle. Requests are validated with the same zod schemas the adapter
 * uses for answers (src/cln-schemas.ts); errors use CLN's documented codes and messages.
 */
import { createHash } from "node:crypto";
import type { SimNetwork, SimNode } from "@peerpay/lightning-sim";
import { parseClnVersion, versionAtLeast } from "../cln-client.js";
import { clnErrorCodes } from "../cln-errors.js";
import { type ClnMethod, requestSchemas } from "../cln-schemas.js";
import { decodeBolt11Fields, invoiceEntry, parseMsatInput, RpcFailure } from "./lightningd-double-entries.js";
import { definePayMethods } from "./lightningd-double-pay.js";

export interface LightningdDoubleContext {
  readonly network: SimNetwork;
  readonly node: SimNode;
  readonly version: string;
  /** getinfo's `network`; "simnet" unless told otherwise. */
  readonly networkName: string;
  readonly lightningDir: string;
  readonly socketPath: string;
  /** Injected pay/xpay failures (CLN codes), consumed one per call. */
  readonly payFailures: Array<{ code: number; message: string; data?: unknown }>;
}

/** Positional parameter order of each method (lightning-cli style `params: [...]`). */
const positional: Record<ClnMethod, readonly string[]> = {
  getinfo: [],
  invoice: [
    "amount_msat",
    "label",
    "description",
    "expiry",
    "fallbacks",
    "preimage",
    "exposeprivatechannels",
    "cltv",
    "deschashonly",
  ],
  listinvoices: ["label", "invstring", "payment_hash", "offer_id", "index", "start", "limit"],
  waitanyinvoice: ["lastpay_index", "timeout"],
  pay: [
    "bolt11",
    "amount_msat",
    "label",
    "riskfactor",
    "maxfeepercent",
    "retry_for",
    "maxdelay",
    "exemptfee",
    "localinvreqid",
    "exclude",
    "maxfee",
    "description",
    "partial_msat",
  ],
  xpay: ["invstring", "amount_msat", "maxfee", "layers", "retry_for", "partial_msat", "maxdelay"],
  listpays: ["bolt11", "payment_hash", "status", "index", "start", "limit"],
  decode: ["string"],
  decodepay: ["bolt11", "description"],
};

export type DoubleHandler = (params: unknown, signal: AbortSignal) => Promise<unknown>;

/** Registers a method (if the double's version has it) with request validation in front. */
export type DefineMethod = (
  method: ClnMethod,
  handler: (params: Record<string, unknown>, signal: AbortSignal) => Promise<unknown> | unknown,
) => void;

export function availableMethods(version: string): Set<ClnMethod> {
  const parsed = parseClnVersion(version);
  const methods = new Set<ClnMethod>([
    "getinfo",
    "invoice",
    "listinvoices",
    "waitanyinvoice",
    "pay",
    "listpays",
  ]);
  if (versionAtLeast(parsed, 23, 5)) methods.add("decode");
  if (!versionAtLeast(parsed, 26, 4)) methods.add("decodepay");
  if (versionAtLeast(parsed, 24, 11)) methods.add("xpay");
  return methods;
}

function named(method: ClnMethod, params: unknown): Record<string, unknown> {
  if (!Array.isArray(params)) return (params ?? {}) as Record<string, unknown>;
  const names = positional[method];
  if (params.length > names.length)
    throw new RpcFailure(-32602, `too many parameters: got ${params.length}, expected ${names.length}`);
  const result: Record<string, unknown> = {};
  params.forEach((value, index) => {
    if (value !== null) result[names[index] as string] = value;
  });
  return result;
}

function validate<M extends ClnMethod>(method: M, params: unknown) {
  const object = named(method, params);
  const parsed = requestSchemas[method].safeParse(object);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const issue = parsed.error.issues[0];
  if (issue?.code === "unrecognized_keys")
    throw new RpcFailure(-32602, `unknown parameter: ${issue.keys[0]}`);
  const field = issue?.path.join(".") || "params";
  throw new RpcFailure(-32602, `${field}: ${issue?.message ?? "invalid"}`);
}

const seconds = (milliseconds: number) => Math.floor(milliseconds / 1000);

export function createDoubleHandlers(context: LightningdDoubleContext): Map<string, DoubleHandler> {
  const { network, node } = context;
  const methods = availableMethods(context.version);
  const handlers = new Map<string, DoubleHandler>();
  const createdIndex = (paymentHash: string) =>
    network.listInvoices(node).findIndex((invoice) => invoice.paymentHash === paymentHash) + 1;
  const entryFor = (paymentHash: string) => {
    const invoice = network.lookupInvoice(node, paymentHash);
    return invoice ? invoiceEntry(invoice, createdIndex(paymentHash)) : undefined;
  };
  const define = (
    method: ClnMethod,
    handler: (params: Record<string, unknown>, signal: AbortSignal) => Promise<unknown> | unknown,
  ) => {
    if (!methods.has(method)) return;
    handlers.set(method, async (params, signal) => handler(validate(method, params), signal));
  };

  define("getinfo", () => ({
    id: node.id,
    alias: node.alias.slice(0, 32),
    color: node.id.slice(2, 8),
    num_peers: 0,
    num_pending_channels: 0,
    num_active_channels: network.listChannels(node).length,
    num_inactive_channels: 0,
    address: [],
    binding: [{ type: "local socket", socket: context.socketPath }],
    version: context.version,
    blockheight: 800,
    network: context.networkName,
    fees_collected_msat: 0,
    "lightning-dir": context.lightningDir,
    our_features: { init: "08a0880a8a59a1", node: "88a0880a8a59a1", channel: "", invoice: "02000002024100" },
  }));

  define("invoice", (params) => {
    const label = String(params.label);
    if (network.listInvoices(node).some((invoice) => invoice.label === label)) {
      throw new RpcFailure(clnErrorCodes.INVOICE_LABEL_ALREADY_EXISTS, `Duplicate label '${label}'`);
    }
    if (params.preimage !== undefined)
      throw new RpcFailure(-1, "preimage: not supported by this lightningd double");
    const amount =
      params.amount_msat === "any"
        ? 0n
        : parseMsatInput(params.amount_msat as number | string, "amount_msat");
    const description = params.description as string;
    const invoice = network.createInvoice(node, {
      amountMsat: amount,
      expirySeconds: (params.expiry as number | undefined) ?? 604_800,
      label,
      ...(params.deschashonly === true
        ? { descriptionHash: createHash("sha256").update(description).digest("hex") }
        : { description }),
    });
    const fields = decodeBolt11Fields(invoice.paymentRequest);
    return {
      payment_hash: invoice.paymentHash,
      expires_at: seconds(invoice.expiresAt.getTime()),
      bolt11: invoice.paymentRequest,
      payment_secret: fields.payment_secret,
      created_index: createdIndex(invoice.paymentHash),
      ...(network.listChannels(node).length === 0
        ? { warning_capacity: "Insufficient incoming channel capacity to pay invoice" }
        : {}),
    };
  });

  define("listinvoices", (params) => {
    let invoices = network.listInvoices(node).map((invoice, index) => invoiceEntry(invoice, index + 1));
    if (params.label !== undefined)
      invoices = invoices.filter((entry) => entry.label === String(params.label));
    if (params.payment_hash !== undefined)
      invoices = invoices.filter((entry) => entry.payment_hash === params.payment_hash);
    if (params.invstring !== undefined)
      invoices = invoices.filter((entry) => entry.bolt11 === params.invstring);
    if (params.offer_id !== undefined) invoices = [];
    if (params.index !== undefined) {
      const key = params.index === "updated" ? "updated_index" : "created_index";
      const start = (params.start as number | undefined) ?? 0;
      invoices = invoices
        .filter((entry) => typeof entry[key] === "number" && (entry[key] as number) >= start)
        .sort((a, b) => (a[key] as number) - (b[key] as number))
        .slice(0, (params.limit as number | undefined) ?? Number.MAX_SAFE_INTEGER);
    }
    return { invoices };
  });

  define("waitanyinvoice", (params, signal) => {
    const after = BigInt((params.lastpay_index as number | undefined) ?? 0);
    const timeout = params.timeout as number | undefined;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = (): boolean => {
        const next = network.listSettledInvoices(node, after)[0];
        if (!next) return false;
        finish();
        resolve(entryFor(next.paymentHash));
        return true;
      };
      const unsubscribe = network.onInvoiceSettled(node, () => void check());
      const onAbort = () => {
        finish();
        reject(new RpcFailure(-1, "connection closed"));
      };
      function finish() {
        unsubscribe();
        if (timer) clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      }
      signal.addEventListener("abort", onAbort);
      if (check()) return;
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          finish();
          reject(new RpcFailure(clnErrorCodes.INVOICE_WAIT_TIMED_OUT, "Timed out"));
        }, timeout * 1000);
      }
    });
  });

  definePayMethods(context, define);

  define("decode", (params) => {
    const text = params.string as string;
    if (!/^(lightning:)?ln/i.test(text))
      throw new RpcFailure(-32602, "string: Unparsable invoice: unknown prefix");
    return { type: "bolt11 invoice", valid: true, ...decodeBolt11Fields(text) };
  });

  define("decodepay", (params) => decodeBolt11Fields(params.bolt11 as string));

  return handlers;
}
