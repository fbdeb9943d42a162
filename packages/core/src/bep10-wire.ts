/**
 * Zod schemas for bencoded dictionaries of the BEP-10 payment extension. The input is what
 * `decodeBencode` produces (bigint integers, Uint8Array strings); the output is plain values:
 * text where a string is text, lower-case hex for hashes, bigint for money and byte counts.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { BencodeDictionary, BencodeValue } from "./bep10-bencode.js";
import { PeerpayError } from "./errors.js";
import { MAX_MSAT } from "./money.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The largest byte count on the wire (2^63 − 1, the largest signed 64-bit integer). */
export const MAX_WIRE_BYTES = (1n << 63n) - 1n;
export const MAX_TEXT_BYTES = 256;
export const MAX_BOLT11_LENGTH = 2048;

export const byteStringSchema = z.custom<Uint8Array>(
  (value) => value instanceof Uint8Array,
  "must be a byte string",
);

/** A byte string that is UTF-8 text of at most `maxBytes` bytes. */
export function textSchema(maxBytes: number) {
  return byteStringSchema
    .refine((bytes) => bytes.length <= maxBytes, `must be at most ${maxBytes} bytes`)
    .transform((bytes, context) => {
      try {
        return utf8.decode(bytes);
      } catch {
        context.issues.push({ code: "custom", message: "must be UTF-8 text", input: bytes });
        return z.NEVER;
      }
    });
}

/** A raw 32-byte string (payment hash, preimage), as 64 lower-case hex characters. */
export const hash32Schema = byteStringSchema
  .refine((bytes) => bytes.length === 32, "must be exactly 32 bytes")
  .transform((bytes) => Buffer.from(bytes).toString("hex"));

const integerSchema = z.bigint("must be an integer");
export const msatSchema = integerSchema
  .min(0n, "must not be negative")
  .max(MAX_MSAT, "is larger than all bitcoin");
export const positiveMsatSchema = msatSchema.min(1n, "must be at least 1 msat");
export const byteCountSchema = integerSchema
  .min(0n, "must not be negative")
  .max(MAX_WIRE_BYTES, "is larger than 2^63 - 1");

/** A bounded non-negative integer, returned as a JS number. */
export function smallIntegerSchema(minimum: number, maximum: number) {
  return integerSchema
    .min(BigInt(minimum), `must be at least ${minimum}`)
    .max(BigInt(maximum), `must be at most ${maximum}`)
    .transform(Number);
}
export const uint32Schema = smallIntegerSchema(0, 0xffff_ffff);
/** Unix seconds, from 1 up to 2^40 (year 36812). */
export const unixSecondsSchema = smallIntegerSchema(1, 2 ** 40);

/** A BOLT11 invoice: lower-case bech32 after an `ln` prefix, as its writer produced it. */
export const bolt11Schema = textSchema(MAX_BOLT11_LENGTH).pipe(
  z
    .string()
    .regex(/^ln[0-9a-z]*1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{6,}$/, "must be a lower-case BOLT11 invoice"),
);

/** Checks a message against a schema; every failure is INVALID_INPUT naming the first bad field. */
export function parseWire<Output>(
  schema: z.ZodType<Output>,
  value: unknown,
  what: string,
  details: Record<string, unknown> = {},
): Output {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") ?? "";
  const message = issue?.message ?? "is malformed";
  throw new PeerpayError("INVALID_INPUT", `${what}: ${field ? `${field} ` : ""}${message}`, {
    details: { ...details, ...(field ? { field } : {}) },
  });
}

/** The decoded value as a dictionary, or INVALID_INPUT. */
export function asDictionary(value: BencodeValue, what: string): BencodeDictionary {
  if (typeof value === "bigint" || value instanceof Uint8Array || Array.isArray(value)) {
    throw new PeerpayError("INVALID_INPUT", `${what}: must be a bencoded dictionary`);
  }
  return value;
}

/** 64 hex characters → the 32 raw bytes, or INVALID_INPUT naming the field. */
export function hexToBytes(hex: string, field: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new PeerpayError("INVALID_INPUT", `${field} must be 64 hex characters`, { details: { field } });
  }
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** Whether SHA-256(preimage) is the payment hash (both hex). */
export function preimageMatches(preimage: string, paymentHash: string): boolean {
  return createHash("sha256").update(Buffer.from(preimage, "hex")).digest("hex") === paymentHash;
}
