/**
 * Money and units. Money is millisatoshi as `bigint` in code and decimal strings on the wire;
 * bytes are non-negative integers. Prices are msat per GiB (2^30 bytes).
 */
import { PeerpayError } from "./errors.js";

export type Msat = bigint;
/** A price: millisatoshi per GiB (2^30 bytes). */
export type MsatPerGiB = bigint;

export const BYTES_PER_GIB = 1n << 30n;
export const MSAT_PER_SAT = 1000n;
/** Larger than all bitcoin that will ever exist, in msat: an upper bound for every amount. */
export const MAX_MSAT = 21_000_000n * 100_000_000n * 1000n;

const decimalPattern = /^(0|[1-9][0-9]*)$/;

/** Parses a wire amount (a decimal string of msat). Rejects signs, fractions, exponents, huge values. */
export function parseMsat(value: unknown, field = "amount"): Msat {
  if (typeof value === "bigint") return checkMsat(value, field);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw invalid(field, "must be a whole number of millisatoshi");
    return checkMsat(BigInt(value), field);
  }
  if (typeof value !== "string" || value.length > 30 || !decimalPattern.test(value)) {
    throw invalid(field, 'must be a decimal string of millisatoshi, e.g. "1000"');
  }
  return checkMsat(BigInt(value), field);
}

function checkMsat(value: bigint, field: string): Msat {
  if (value < 0n) throw invalid(field, "must not be negative");
  if (value > MAX_MSAT) throw invalid(field, "is larger than all bitcoin");
  return value;
}

/** The wire form of an amount. */
export function formatMsat(value: Msat): string {
  return value.toString();
}

/** A human form: "1.234 sat" or "12 sat". Never used for arithmetic. */
export function describeMsat(value: Msat): string {
  const sign = value < 0n ? "-" : "";
  const magnitude = value < 0n ? -value : value;
  const sats = magnitude / MSAT_PER_SAT;
  const rest = magnitude % MSAT_PER_SAT;
  return rest === 0n
    ? `${sign}${sats} sat`
    : `${sign}${sats}.${rest.toString().padStart(3, "0").replace(/0+$/, "")} sat`;
}

/**
 * The cost of `bytes` at `price` msat/GiB, rounded down to whole msat. Both sides of the protocol
 * use this same rule, so a buyer can check a seller's bill exactly.
 */
export function costOfBytes(bytes: number | bigint, price: MsatPerGiB): Msat {
  const count = typeof bytes === "bigint" ? bytes : toByteCount(bytes, "bytes");
  if (count < 0n) throw invalid("bytes", "must not be negative");
  return (count * price) / BYTES_PER_GIB;
}

/** How many bytes `amount` buys at `price`, rounded down. A free price buys unlimited bytes (null). */
export function bytesForMsat(amount: Msat, price: MsatPerGiB): bigint | null {
  if (price === 0n) return null;
  return (amount * BYTES_PER_GIB) / price;
}

/** Checks that a number is a non-negative safe integer byte count. */
export function toByteCount(value: number, field = "bytes"): bigint {
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalid(field, "must be a non-negative whole number of bytes");
  return BigInt(value);
}

const unitFactors: Record<string, bigint> = { msat: 1n, sat: 1000n, sats: 1000n, btc: 100_000_000_000n };
const sizeFactors: Record<string, bigint> = {
  b: 1n,
  kib: 1n << 10n,
  mib: 1n << 20n,
  gib: 1n << 30n,
  tib: 1n << 40n,
  kb: 1000n,
  mb: 1000_000n,
  gb: 1000_000_000n,
  tb: 1000_000_000_000n,
};

const pricePattern = /^\s*(\d{1,15})(?:\.(\d{1,11}))?\s*(msat|sats?|btc)\s*\/\s*([kmgt]?i?b)\s*$/i;

/**
 * Parses a price into msat/GiB. Accepts a bigint or a decimal string of msat/GiB, or a human form
 * such as "100 sat/GiB", "2.5 sat/MiB", "1500 msat/GiB", "free" or "0". The result must be a whole
 * number of msat per GiB; anything else is an INVALID_INPUT error that names the value.
 */
export function parsePrice(value: unknown, field = "price"): MsatPerGiB {
  if (typeof value === "bigint" || typeof value === "number") return parseMsat(value, field);
  if (typeof value !== "string") throw invalid(field, 'must be a string such as "100 sat/GiB"');
  const text = value.trim();
  if (/^free$/i.test(text)) return 0n;
  if (decimalPattern.test(text)) return parseMsat(text, field);
  const match = pricePattern.exec(text);
  if (!match) {
    throw invalid(
      field,
      `"${text.slice(0, 40)}" is not a price; use a form such as "100 sat/GiB" or "1500 msat/MiB"`,
    );
  }
  const [, whole = "0", fraction = "", unit = "", size = ""] = match;
  const unitFactor = unitFactors[unit.toLowerCase()];
  const sizeKey = size.toLowerCase();
  const sizeFactor = sizeFactors[sizeKey];
  if (unitFactor === undefined || sizeFactor === undefined) throw invalid(field, `unknown unit in "${text}"`);
  const scale = 10n ** BigInt(fraction.length);
  const amountScaled = BigInt(whole) * scale + (fraction ? BigInt(fraction) : 0n);
  // msat per GiB = amount × unitFactor × (GiB / size), exactly, or refuse.
  const numerator = amountScaled * unitFactor * BYTES_PER_GIB;
  const denominator = scale * sizeFactor;
  if (numerator % denominator !== 0n) {
    throw invalid(field, `"${text}" is not a whole number of msat per GiB`);
  }
  return checkMsat(numerator / denominator, field);
}

/** "100 sat/GiB" for whole sats, otherwise "1500 msat/GiB". */
export function formatPrice(price: MsatPerGiB): string {
  if (price === 0n) return "free";
  return price % MSAT_PER_SAT === 0n ? `${price / MSAT_PER_SAT} sat/GiB` : `${price} msat/GiB`;
}

function invalid(field: string, message: string): PeerpayError {
  return new PeerpayError("INVALID_INPUT", `${field} ${message}`, { details: { field } });
}
