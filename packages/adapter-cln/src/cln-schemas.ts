/**
 * The Core Lightning JSON-RPC shapes this package uses, written from CLN's documented request and
 * response schemas (`doc/schemas/<method>.json` in ElementsProject/lightning as of v26.06; field names,
 * types and error codes are facts taken from there, the code is ours). One set, used by the adapter
 * to validate what the node sends back and by the lightningd double to validate what it receives,
 * so the two cannot drift apart.
 *
 * Responses are `looseObject`s: a newer lightningd may add fields, which must not break us.
 */
import { z } from "zod";

/** Schema types from CLN's `rpc-schema-draft.json` vocabulary. */
const u64 = z.number().int().nonnegative().refine(Number.isSafeInteger, "integer too large for JSON number");
const u32 = z.number().int().nonnegative().max(0xffff_ffff);
/** `msat` on output: a JSON integer since v23.05; before that a string such as "1000msat". */
export const msatOutput = z.union([
  u64,
  z
    .string()
    .regex(/^\d{1,16}msat$/, "not an msat amount")
    .transform((text) => Number(text.slice(0, -4)))
    .pipe(u64),
]);
/** `msat` on input: an integer, or a string such as "1000msat", "10sat", "0.001btc". */
export const msatInput = z.union([
  u64,
  z.string().regex(/^(\d{1,20}(msat)?|\d{1,17}(\.\d{3})?sat|\d{1,8}\.\d{1,11}btc)$/, "not an msat amount"),
]);
const hash = z.string().regex(/^[0-9a-f]{64}$/, "expected 32 bytes of lowercase hex");
const secret = hash;
const pubkey = z.string().regex(/^0[23][0-9a-f]{64}$/, "expected a compressed public key in hex");
const hex = z.string().regex(/^([0-9a-f]{2})*$/, "expected hex");
const label = z.union([z.string(), z.number().int()]);

// --- JSON-RPC 2.0 envelope: CLN v26.06 doc/lightningd-rpc.7.md and lightningd/jsonrpc.c ---------

export const rpcIdSchema = z.union([z.string(), z.number()]);
/** A request as lightningd requires it: `jsonrpc` "2.0", an id, a method and params (v23.05+). */
export const rpcRequestSchema = z.object({
  jsonrpc: z.literal("2.0"),
  id: rpcIdSchema,
  method: z.string(),
  params: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]),
  filter: z.record(z.string(), z.unknown()).optional(),
});
export type RpcRequest = z.infer<typeof rpcRequestSchema>;

export const rpcErrorObjectSchema = z.looseObject({
  code: z.number().int(),
  message: z.string(),
  data: z.unknown().optional(),
});
export type RpcErrorObject = z.infer<typeof rpcErrorObjectSchema>;

/** A response or a notification (no id) on the socket. */
export const rpcResponseSchema = z.union([
  z.looseObject({ jsonrpc: z.literal("2.0"), id: rpcIdSchema, result: z.unknown() }),
  z.looseObject({
    jsonrpc: z.literal("2.0"),
    id: z.union([rpcIdSchema, z.null()]),
    error: rpcErrorObjectSchema,
  }),
  z.looseObject({ jsonrpc: z.literal("2.0"), method: z.string(), params: z.unknown() }),
]);

// --- getinfo: CLN v26.06 doc/schemas/getinfo.json ----------------------------------------------

export const getinfoRequestSchema = z.object({});
export const getinfoResponseSchema = z.looseObject({
  id: pubkey,
  alias: z.string(),
  color: z.string().regex(/^[0-9a-f]{6}$/),
  num_peers: u32,
  num_pending_channels: u32,
  num_active_channels: u32,
  num_inactive_channels: u32,
  address: z.array(z.looseObject({ type: z.string(), port: z.number().int() })),
  binding: z.array(z.looseObject({ type: z.string() })).optional(),
  version: z.string(),
  blockheight: u32,
  network: z.string(),
  fees_collected_msat: msatOutput,
  "lightning-dir": z.string(),
  our_features: z.looseObject({ init: hex, node: hex, channel: hex, invoice: hex }).optional(),
  warning_bitcoind_sync: z.string().optional(),
  warning_lightningd_sync: z.string().optional(),
});
export type GetinfoResponse = z.infer<typeof getinfoResponseSchema>;

// --- invoice: CLN v26.06 doc/schemas/invoice.json; errors -1, 900, 901, 902 --------------------

export const invoiceRequestSchema = z.strictObject({
  amount_msat: z.union([msatInput, z.literal("any")]),
  label,
  description: z.string(),
  expiry: u64.optional(),
  fallbacks: z.array(z.string()).optional(),
  preimage: hex.optional(),
  exposeprivatechannels: z.union([z.boolean(), z.array(z.string()), z.string()]).optional(),
  cltv: u32.optional(),
  deschashonly: z.boolean().optional(),
});
export type InvoiceRequest = z.infer<typeof invoiceRequestSchema>;
export const invoiceResponseSchema = z.looseObject({
  bolt11: z.string(),
  payment_hash: hash,
  payment_secret: secret,
  expires_at: u64,
  created_index: u64,
  warning_capacity: z.string().optional(),
  warning_offline: z.string().optional(),
  warning_deadends: z.string().optional(),
  warning_private_unused: z.string().optional(),
  warning_mpp: z.string().optional(),
});
export type InvoiceResponse = z.infer<typeof invoiceResponseSchema>;

// --- listinvoices, waitanyinvoice: CLN v26.06 doc/schemas/listinvoices.json, waitanyinvoice.json

const invoiceEntryBase = {
  label: z.string(),
  description: z.string().optional(),
  payment_hash: hash,
  expires_at: u64,
  amount_msat: msatOutput.optional(),
  bolt11: z.string().optional(),
  bolt12: z.string().optional(),
  created_index: u64,
  updated_index: u64.optional(),
};
const paidFields = {
  pay_index: u64,
  amount_received_msat: msatOutput,
  paid_at: u64,
  payment_preimage: secret,
  paid_outpoint: z.looseObject({ txid: hash, outnum: u32 }).optional(),
};
/** A paid entry must carry pay_index, amount_received_msat, paid_at and payment_preimage. */
export const invoiceEntrySchema = z.discriminatedUnion("status", [
  z.looseObject({ ...invoiceEntryBase, status: z.literal("paid"), ...paidFields }),
  z.looseObject({ ...invoiceEntryBase, status: z.literal("unpaid") }),
  z.looseObject({ ...invoiceEntryBase, status: z.literal("expired") }),
]);
export type InvoiceEntry = z.infer<typeof invoiceEntrySchema>;

export const listinvoicesRequestSchema = z
  .strictObject({
    label: label.optional(),
    invstring: z.string().optional(),
    payment_hash: hex.optional(),
    offer_id: z.string().optional(),
    index: z.enum(["created", "updated"]).optional(),
    start: u64.optional(),
    limit: u32.optional(),
  })
  .refine(
    (request) =>
      [request.label, request.invstring, request.payment_hash, request.offer_id].filter(
        (v) => v !== undefined,
      ).length <= 1,
    "Can only specify one of {label}, {invstring}, {payment_hash} or {offer_id}",
  );
export type ListinvoicesRequest = z.infer<typeof listinvoicesRequestSchema>;
export const listinvoicesResponseSchema = z.looseObject({ invoices: z.array(invoiceEntrySchema) });

/** waitanyinvoice: error 904 when `timeout` passes with nothing paid. */
export const waitanyinvoiceRequestSchema = z.strictObject({
  lastpay_index: u64.optional(),
  timeout: u64.optional(),
});
export type WaitanyinvoiceRequest = z.infer<typeof waitanyinvoiceRequestSchema>;
export const waitanyinvoiceResponseSchema = z.discriminatedUnion("status", [
  z.looseObject({ ...invoiceEntryBase, status: z.literal("paid"), ...paidFields }),
  z.looseObject({ ...invoiceEntryBase, status: z.literal("expired") }),
]);
export type WaitanyinvoiceResponse = z.infer<typeof waitanyinvoiceResponseSchema>;

// --- pay: CLN v26.06 doc/schemas/pay.json; errors -1, 201, 203, 205, 206, 207, 210 ------------

export const payRequestSchema = z
  .strictObject({
    bolt11: z.string(),
    amount_msat: msatInput.optional(),
    label: z.string().optional(),
    riskfactor: z.number().optional(),
    maxfeepercent: z.number().optional(),
    retry_for: z.number().int().nonnegative().max(0xffff).optional(),
    maxdelay: z.number().int().nonnegative().max(0xffff).optional(),
    exemptfee: msatInput.optional(),
    localinvreqid: hex.optional(),
    exclude: z.array(z.string()).optional(),
    maxfee: msatInput.optional(),
    description: z.string().optional(),
    partial_msat: msatInput.optional(),
  })
  .refine(
    (request) =>
      request.maxfee === undefined ||
      (request.maxfeepercent === undefined && request.exemptfee === undefined),
    "maxfee cannot be combined with maxfeepercent or exemptfee",
  );
export type PayRequest = z.infer<typeof payRequestSchema>;
export const payResponseSchema = z.looseObject({
  payment_preimage: secret,
  destination: pubkey.optional(),
  payment_hash: hash,
  created_at: z.number(),
  parts: u32,
  amount_msat: msatOutput,
  amount_sent_msat: msatOutput,
  warning_partial_completion: z.string().optional(),
  status: z.enum(["complete", "pending", "failed"]),
});
export type PayResponse = z.infer<typeof payResponseSchema>;

// --- xpay (added v24.11): CLN v26.06 doc/schemas/xpay.json; errors -1, 203, 205, 207, 209, 219

export const xpayRequestSchema = z.strictObject({
  invstring: z.string(),
  amount_msat: msatInput.optional(),
  maxfee: msatInput.optional(),
  layers: z.array(z.string()).optional(),
  retry_for: u32.optional(),
  partial_msat: msatInput.optional(),
  maxdelay: u32.optional(),
});
export type XpayRequest = z.infer<typeof xpayRequestSchema>;
export const xpayResponseSchema = z.looseObject({
  payment_preimage: secret,
  failed_parts: u64,
  successful_parts: u64,
  amount_msat: msatOutput,
  amount_sent_msat: msatOutput,
});
export type XpayResponse = z.infer<typeof xpayResponseSchema>;

// --- listpays: CLN v26.06 doc/schemas/listpays.json ---------------------------------------------

export const listpaysRequestSchema = z.strictObject({
  bolt11: z.string().optional(),
  payment_hash: hash.optional(),
  status: z.enum(["pending", "complete", "failed"]).optional(),
  index: z.enum(["created", "updated"]).optional(),
  start: u64.optional(),
  limit: u32.optional(),
});
export type ListpaysRequest = z.infer<typeof listpaysRequestSchema>;
const payEntryBase = {
  payment_hash: hash,
  destination: pubkey.optional(),
  created_at: u64,
  completed_at: u64.optional(),
  label: z.string().optional(),
  bolt11: z.string().optional(),
  description: z.string().optional(),
  bolt12: z.string().optional(),
  created_index: u64,
  updated_index: u64.optional(),
};
export const payEntrySchema = z.discriminatedUnion("status", [
  z.looseObject({
    ...payEntryBase,
    status: z.literal("complete"),
    amount_msat: msatOutput.optional(),
    amount_sent_msat: msatOutput,
    preimage: secret,
    number_of_parts: u64.optional(),
  }),
  z.looseObject({ ...payEntryBase, status: z.literal("failed"), amount_sent_msat: msatOutput }),
  z.looseObject({ ...payEntryBase, status: z.literal("pending") }),
]);
export type PayEntry = z.infer<typeof payEntrySchema>;
export const listpaysResponseSchema = z.looseObject({ pays: z.array(payEntrySchema) });

// --- decode (v23.05+): CLN v26.06 doc/schemas/decode.json; decodepay (removed in v26.04):
// CLN v25.12 doc/schemas/decodepay.json ----------------------------------------------------------

const bolt11Fields = {
  currency: z.string(),
  created_at: u64,
  expiry: u64,
  payee: pubkey,
  amount_msat: msatOutput.optional(),
  payment_hash: hash,
  signature: z.string(),
  description: z.string().optional(),
  description_hash: hash.optional(),
  min_final_cltv_expiry: u32,
  payment_secret: secret.optional(),
  features: hex.optional(),
  payment_metadata: hex.optional(),
  fallbacks: z.array(z.looseObject({})).optional(),
  routes: z.array(z.array(z.looseObject({}))).optional(),
  extra: z.array(z.looseObject({ tag: z.string(), data: z.string() })).optional(),
};

export const decodeRequestSchema = z.strictObject({ string: z.string() });
/** Only the valid-bolt11 branch is detailed; anything else is rejected by the adapter. */
export const decodeResponseSchema = z.union([
  z.looseObject({ type: z.literal("bolt11 invoice"), valid: z.literal(true), ...bolt11Fields }),
  z.looseObject({ type: z.string(), valid: z.boolean() }),
]);
export type DecodeResponse = z.infer<typeof decodeResponseSchema>;
export const decodeBolt11Schema = z.looseObject({
  type: z.literal("bolt11 invoice"),
  valid: z.literal(true),
  ...bolt11Fields,
});
export type DecodedBolt11 = z.infer<typeof decodeBolt11Schema>;

export const decodepayRequestSchema = z.strictObject({
  bolt11: z.string(),
  description: z.string().optional(),
});
export const decodepayResponseSchema = z.looseObject(bolt11Fields);
export type DecodepayResponse = z.infer<typeof decodepayResponseSchema>;

/** Request schemas by method, for the double's dispatcher. */
export const requestSchemas = {
  getinfo: getinfoRequestSchema,
  invoice: invoiceRequestSchema,
  listinvoices: listinvoicesRequestSchema,
  waitanyinvoice: waitanyinvoiceRequestSchema,
  pay: payRequestSchema,
  xpay: xpayRequestSchema,
  listpays: listpaysRequestSchema,
  decode: decodeRequestSchema,
  decodepay: decodepayRequestSchema,
} as const;

/** Response schemas by method, for the adapter (and the double's self-checks). */
export const responseSchemas = {
  getinfo: getinfoResponseSchema,
  invoice: invoiceResponseSchema,
  listinvoices: listinvoicesResponseSchema,
  waitanyinvoice: waitanyinvoiceResponseSchema,
  pay: payResponseSchema,
  xpay: xpayResponseSchema,
  listpays: listpaysResponseSchema,
  decode: decodeResponseSchema,
  decodepay: decodepayResponseSchema,
} as const;

export type ClnMethod = keyof typeof requestSchemas;
export type ClnResponse<M extends ClnMethod> = z.infer<(typeof responseSchemas)[M]>;
