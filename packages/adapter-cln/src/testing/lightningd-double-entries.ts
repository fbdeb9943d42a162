/**
 * TEST DOUBLE support: converts the simulated network's records into the JSON shapes lightningd
 * answers with (field names and types per CLN's doc/schemas, v26.x), and parses CLN's msat input
 * forms. Not used by the adapter.
 */
import type { SimInvoice } from "@peerpay/lightning-sim";
import bolt11 from "bolt11";

/** A failure answered as a JSON-RPC error object. */
export class RpcFailure extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

/** CLN's msat input: 1000, "1000", "1000msat", "10sat", "10.000sat", "0.0001btc". */
export function parseMsatInput(value: number | string, field: string): bigint {
  if (typeof value === "number") return BigInt(value);
  let match = /^(\d+)(msat)?$/.exec(value);
  if (match) return BigInt(match[1] as string);
  match = /^(\d+)(?:\.(\d{3}))?sat$/.exec(value);
  if (match) return BigInt(match[1] as string) * 1000n + BigInt(match[2] ?? "0");
  match = /^(\d+)\.(\d{1,11})btc$/.exec(value);
  if (match)
    return BigInt(match[1] as string) * 100_000_000_000n + BigInt((match[2] as string).padEnd(11, "0"));
  throw new RpcFailure(
    -32602,
    `${field}: should be a millisatoshi amount: invalid token '"${value.slice(0, 40)}"'`,
  );
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** A listinvoices / waitanyinvoice entry for a simulated invoice. */
export function invoiceEntry(invoice: SimInvoice, createdIndex: number): Record<string, unknown> {
  const status = invoice.state === "settled" ? "paid" : invoice.state === "open" ? "unpaid" : "expired";
  const entry: Record<string, unknown> = {
    label: invoice.label,
    bolt11: invoice.paymentRequest,
    payment_hash: invoice.paymentHash,
    ...(invoice.amountMsat > 0n ? { amount_msat: Number(invoice.amountMsat) } : {}),
    status,
  };
  if (status === "paid") {
    entry.pay_index = Number(invoice.settleIndex ?? 0n);
    entry.amount_received_msat = Number(invoice.receivedMsat ?? invoice.amountMsat);
    entry.paid_at = seconds(invoice.settledAt ?? new Date());
    entry.payment_preimage = invoice.preimage;
  }
  if (invoice.description !== undefined) entry.description = invoice.description;
  entry.expires_at = seconds(invoice.expiresAt);
  entry.created_index = createdIndex;
  // The double bumps updated_index only on payment (real lightningd also bumps it on expiry).
  if (status === "paid") entry.updated_index = Number(invoice.settleIndex ?? 0n);
  return entry;
}

/** BIP173 currency prefixes for BOLT11, and the bolt11 package's network parameters for each. */
const networks = [
  {
    currency: "bcrt",
    params: { bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
  },
  {
    currency: "bc",
    params: { bech32: "bc", pubKeyHash: 0x00, scriptHash: 0x05, validWitnessVersions: [0, 1] },
  },
  {
    currency: "tbs",
    params: { bech32: "tbs", pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
  },
  {
    currency: "tb",
    params: { bech32: "tb", pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
  },
  {
    currency: "sb",
    params: { bech32: "sb", pubKeyHash: 0x3f, scriptHash: 0x7b, validWitnessVersions: [0, 1] },
  },
];

/** The bolt11 fields of `decode` / `decodepay` (doc/schemas/decode.json, decodepay.json). */
export function decodeBolt11Fields(invoice: string): Record<string, unknown> {
  const text = invoice
    .trim()
    .toLowerCase()
    .replace(/^lightning:/, "");
  const network = networks.find((entry) => text.startsWith(`ln${entry.currency}`));
  if (!network) throw new RpcFailure(-32602, "string: Unparsable invoice: unknown prefix");
  let decoded: ReturnType<typeof bolt11.decode>;
  try {
    decoded = bolt11.decode(text, network.params);
  } catch {
    throw new RpcFailure(-32602, "string: Unparsable invoice: bad bech32 string");
  }
  const tags = decoded.tagsObject;
  if (!decoded.payeeNodeKey || decoded.timestamp === undefined || !tags.payment_hash) {
    throw new RpcFailure(-32602, "string: Unparsable invoice: invalid signature");
  }
  const features = tags.feature_bits as { word_length?: number } | undefined;
  return {
    currency: network.currency,
    created_at: decoded.timestamp,
    expiry: tags.expire_time ?? 3600,
    payee: decoded.payeeNodeKey,
    ...(decoded.millisatoshis ? { amount_msat: Number(decoded.millisatoshis) } : {}),
    ...(tags.description !== undefined ? { description: tags.description } : {}),
    ...(tags.purpose_commit_hash !== undefined ? { description_hash: tags.purpose_commit_hash } : {}),
    min_final_cltv_expiry: tags.min_final_cltv_expiry ?? 18,
    ...(tags.payment_secret ? { payment_secret: tags.payment_secret } : {}),
    ...(features ? { features: featureHex(decoded) } : {}),
    payment_hash: tags.payment_hash,
    signature: `${decoded.signature}`,
  };
}

/** The feature_bits tag's raw words as hex, as lightningd prints it. */
function featureHex(decoded: ReturnType<typeof bolt11.decode>): string {
  const tag = decoded.tags.find((entry) => entry.tagName === "feature_bits");
  const words = (tag?.data as { word_length?: number } | undefined)?.word_length ?? 0;
  // The bolt11 package does not expose the raw bits; the double reports the simulator's fixed set
  // (var_onion_optin + payment_secret, both required), padded to the word count.
  return words > 0 ? "024100" : "";
}
