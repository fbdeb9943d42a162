/**
 * The wire format of negotiation protocol v1 (docs/protocol.md), as zod schemas. The seller's
 * handler parses requests with them; the buyer's client parses the seller's answers with them,
 * because a seller is as untrusted as a buyer. Money and byte counts are decimal strings.
 */
import { z } from "zod";

export const NEGOTIATION_PROTOCOL_VERSION = "1";

/** Paths of protocol v1. The invoice status path is `${invoices}/<paymentHash>`. */
export const negotiationPaths = {
  wellKnown: "/.well-known/peerpay",
  invoices: "/peerpay/v1/invoices",
  balance: "/peerpay/v1/balance",
} as const;

/** A non-negative decimal integer (msat or bytes), at most 30 digits, no sign, no leading zeros. */
export const decimalStringSchema = z.string().regex(/^(0|[1-9][0-9]{0,29})$/, "must be a decimal string");
/** A signed decimal integer, for balances that may be negative (debt). */
export const signedDecimalStringSchema = z
  .string()
  .regex(/^(0|-?[1-9][0-9]{0,29})$/, "must be a signed decimal string");
/** A BitTorrent v1 (40 hex) or v2 (64 hex) infohash; normalised to lower case. */
export const infohashSchema = z
  .string()
  .regex(/^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/, "must be a 40 or 64 character hex infohash")
  .transform((value) => value.toLowerCase());
export const paymentHashSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters")
  .transform((value) => value.toLowerCase());
export const portSchema = z.int().min(1).max(65_535);
const timestampSchema = z.iso.datetime({ offset: true });

/** POST /peerpay/v1/invoices: credit for an amount, or for a number of bytes on one torrent. */
export const invoiceRequestSchema = z
  .object({
    amountMsat: decimalStringSchema.optional(),
    bytes: decimalStringSchema.optional(),
    infohash: infohashSchema.optional(),
    /** The buyer's BitTorrent listening ports, so the seller can re-dial it once it has paid. */
    listenPorts: z.array(portSchema).max(8).optional(),
  })
  .superRefine((value, context) => {
    if ((value.amountMsat === undefined) === (value.bytes === undefined)) {
      context.addIssue({ code: "custom", message: "give exactly one of amountMsat or bytes" });
    }
    if (value.bytes !== undefined && value.infohash === undefined) {
      context.addIssue({ code: "custom", path: ["infohash"], message: "is required with bytes" });
    }
  });
export type InvoiceRequestBody = z.input<typeof invoiceRequestSchema>;

/**
 * A payment rail the seller accepts. The envelope follows x402's `{scheme, network, asset, payTo}`
 * so other rails can be added later; v1 defines `lightning` / `bolt11` only.
 */
export const railSchema = z.object({
  rail: z.string().min(1).max(32),
  scheme: z.string().min(1).max(32),
  network: z.string().min(1).max(32),
  asset: z.string().min(1).max(16),
  unit: z.string().min(1).max(16),
  payee: z.string().min(1).max(256),
});
export type NegotiationRail = z.infer<typeof railSchema>;

export const errorBodySchema = z.object({
  code: z.string().max(64),
  message: z.string().max(2_000),
  retryable: z.boolean().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type NegotiationErrorBody = z.infer<typeof errorBodySchema>;

/** GET /.well-known/peerpay */
export const wellKnownSchema = z.object({
  protocol: z.literal("peerpay"),
  version: z.string().max(16),
  versions: z.array(z.string().max(16)).max(16),
  node: z.object({ id: z.string().max(256), alias: z.string().max(256) }),
  /** True when the rail is the simulated network: nothing it moves is real money. */
  simulated: z.boolean(),
  rails: z.array(railSchema).min(1).max(16),
  prices: z.object({
    unit: z.literal("msat/GiB"),
    default: decimalStringSchema,
    byInfohash: z.record(z.string().max(64), decimalStringSchema),
  }),
  terms: z.object({
    freeAllowanceBytes: decimalStringSchema,
    blockThresholdMsat: decimalStringSchema,
    unblockThresholdMsat: decimalStringSchema.optional(),
    creditRule: z.string().max(500).optional(),
  }),
  limits: z.object({
    maxBodyBytes: z.int().nonnegative(),
    maxOpenInvoicesPerPeer: z.int().nonnegative(),
    requestsPerSecond: z.number().nonnegative(),
    burst: z.int().nonnegative(),
    minInvoiceMsat: decimalStringSchema,
    maxInvoiceMsat: decimalStringSchema,
    invoiceExpirySeconds: z.int().positive(),
  }),
  identity: z.object({ binding: z.literal("remote-address"), address: z.string().max(64) }),
  endpoints: z.object({ invoices: z.string().max(200), balance: z.string().max(200) }),
});
export type WellKnownDocument = z.infer<typeof wellKnownSchema>;

/** 201 answer to POST /peerpay/v1/invoices. */
export const invoiceOfferSchema = z.object({
  rail: z.string().max(32),
  scheme: z.string().max(32),
  network: z.string().max(32),
  payee: z.string().max(256),
  paymentRequest: z.string().min(1).max(4_096),
  paymentHash: paymentHashSchema,
  amountMsat: decimalStringSchema,
  creditMsat: decimalStringSchema,
  peer: z.string().max(64),
  infohash: z.string().max(64).optional(),
  bytes: decimalStringSchema.optional(),
  priceMsatPerGiB: decimalStringSchema.optional(),
  listenPorts: z.array(portSchema).max(8),
  createdAt: timestampSchema,
  expiresAt: timestampSchema,
  statusPath: z.string().max(200),
});
export type InvoiceOffer = z.infer<typeof invoiceOfferSchema>;

export const invoiceStatusSchema = z.object({
  paymentHash: paymentHashSchema,
  state: z.enum(["open", "settled", "expired", "canceled"]),
  amountMsat: decimalStringSchema,
  creditMsat: decimalStringSchema,
  peer: z.string().max(64),
  infohash: z.string().max(64).optional(),
  createdAt: timestampSchema,
  expiresAt: timestampSchema,
  settledAt: timestampSchema.optional(),
});
export type InvoiceStatus = z.infer<typeof invoiceStatusSchema>;

/** GET /peerpay/v1/balance; status 402 when `paymentRequired`, with the offer to follow. */
export const balanceSchema = z.object({
  peer: z.string().max(64),
  balanceMsat: signedDecimalStringSchema,
  debtMsat: decimalStringSchema,
  blocked: z.boolean(),
  blockedReason: z.string().max(500).optional(),
  amountToUnblockMsat: decimalStringSchema,
  freeBytesRemaining: decimalStringSchema.optional(),
  paymentRequired: z.boolean(),
  offer: z
    .object({
      amountMsat: decimalStringSchema,
      method: z.literal("POST"),
      path: z.string().max(200),
      body: z.object({ amountMsat: decimalStringSchema }),
      rails: z.array(railSchema).max(16),
    })
    .optional(),
});
export type BalanceAnswer = z.infer<typeof balanceSchema>;
