/**
 * The BEP-10 extended handshake (extended id 0) with peerpay's entry: `m.peerpay` names the
 * extended id a peer receives payment messages on, and the top-level `peerpay` dictionary carries
 * the version, the HTTP negotiation endpoint, the rails, the price and the free allowance
 * (docs/protocol.md, section 10.2). Other extensions' keys are ignored on decoding; a malformed
 * `v` or `p` from another client is dropped rather than failing the handshake, but a malformed
 * `m` entry or `peerpay` dictionary is INVALID_INPUT.
 */
import { z } from "zod";
import { type BencodeInput, decodeBencode, encodeBencode } from "./bep10-bencode.js";
import {
  BEP10_MAX_HANDSHAKE_BYTES,
  type Bep10Handshake,
  PEERPAY_EXTENSION_NAME,
  type PeerpayHandshakeTerms,
} from "./bep10-messages.js";
import {
  asDictionary,
  byteCountSchema,
  byteStringSchema,
  MAX_TEXT_BYTES,
  msatSchema,
  parseWire,
  smallIntegerSchema,
  textSchema,
} from "./bep10-wire.js";
import { PeerpayError } from "./errors.js";

const what = "BEP-10 handshake";
const tokenSchema = textSchema(32).pipe(
  z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "must be a lower-case token"),
);
const payeeSchema = byteStringSchema
  .refine((bytes) => bytes.length === 33, "must be a 33-byte node id")
  .transform((bytes) => Buffer.from(bytes).toString("hex"));
const endpointSchema = textSchema(MAX_TEXT_BYTES).refine(isHttpUrl, "must be an http(s) URL");

const termsSchema = z
  .object({
    v: smallIntegerSchema(1, 65_535),
    endpoint: endpointSchema.optional(),
    rails: z
      .array(
        z.object({
          rail: tokenSchema,
          scheme: tokenSchema,
          network: tokenSchema,
          payee: payeeSchema.optional(),
        }),
      )
      .max(8, "must list at most 8 rails"),
    price: msatSchema.optional(),
    free: byteCountSchema.optional(),
  })
  .transform(
    (wire): PeerpayHandshakeTerms => ({
      version: wire.v,
      ...(wire.endpoint === undefined ? {} : { endpoint: wire.endpoint }),
      rails: wire.rails.map((rail) => ({
        rail: rail.rail,
        scheme: rail.scheme,
        network: rail.network,
        ...(rail.payee === undefined ? {} : { payee: rail.payee }),
      })),
      ...(wire.price === undefined ? {} : { priceMsatPerGiB: wire.price }),
      ...(wire.free === undefined ? {} : { freeAllowanceBytes: wire.free }),
    }),
  );

const handshakeSchema = z.object({
  m: z.record(z.string().max(64), smallIntegerSchema(0, 255)),
  v: textSchema(MAX_TEXT_BYTES).optional().catch(undefined),
  p: smallIntegerSchema(1, 65_535).optional().catch(undefined),
  [PEERPAY_EXTENSION_NAME]: termsSchema.optional(),
});

/** Decodes an extended handshake payload (the bytes after `<20><0>`). */
export function decodeBep10Handshake(payload: Uint8Array): Bep10Handshake {
  if (!(payload instanceof Uint8Array)) throw new PeerpayError("INVALID_INPUT", `${what}: must be bytes`);
  if (payload.length > BEP10_MAX_HANDSHAKE_BYTES) {
    throw new PeerpayError("INVALID_INPUT", `${what}: longer than ${BEP10_MAX_HANDSHAKE_BYTES} bytes`);
  }
  // Other clients' handshakes are not always in sorted key order; only the structure is checked.
  const dictionary = asDictionary(decodeBencode(payload, { requireSortedKeys: false }), what);
  const wire = parseWire(handshakeSchema, dictionary, what);
  return {
    extensions: { ...wire.m },
    ...(wire.v === undefined ? {} : { client: wire.v }),
    ...(wire.p === undefined ? {} : { listenPort: wire.p }),
    ...(wire.peerpay === undefined ? {} : { peerpay: wire.peerpay }),
  };
}

/** Encodes an extended handshake payload; what would not decode is INVALID_INPUT. */
export function encodeBep10Handshake(handshake: Bep10Handshake): Uint8Array {
  const terms = handshake.peerpay;
  const wire: Record<string, BencodeInput | undefined> = {
    m: handshake.extensions,
    v: handshake.client,
    p: handshake.listenPort,
    [PEERPAY_EXTENSION_NAME]: terms && {
      v: terms.version,
      endpoint: terms.endpoint,
      rails: terms.rails.map((rail) => ({
        rail: rail.rail,
        scheme: rail.scheme,
        network: rail.network,
        payee: rail.payee === undefined ? undefined : payeeBytes(rail.payee),
      })),
      price: terms.priceMsatPerGiB,
      free: terms.freeAllowanceBytes,
    },
  };
  const payload = encodeBencode(wire);
  const decoded = decodeBep10Handshake(payload);
  if (decoded.client !== handshake.client || decoded.listenPort !== handshake.listenPort) {
    throw new PeerpayError("INVALID_INPUT", `${what}: client or listenPort is malformed`);
  }
  return payload;
}

/**
 * The extended id to send peerpay messages to this peer on, or undefined when it does not speak
 * the extension (absent, 0 = disabled, or no `peerpay` terms).
 */
export function peerpayExtensionId(handshake: Bep10Handshake): number | undefined {
  const id = handshake.extensions[PEERPAY_EXTENSION_NAME];
  return id !== undefined && id > 0 && handshake.peerpay !== undefined ? id : undefined;
}

function payeeBytes(payee: string): Uint8Array {
  if (!/^[0-9a-fA-F]{66}$/.test(payee)) {
    throw new PeerpayError("INVALID_INPUT", `${what}: payee must be 66 hex characters`, {
      details: { field: "payee" },
    });
  }
  return Uint8Array.from(Buffer.from(payee, "hex"));
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (
    (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === ""
  );
}
