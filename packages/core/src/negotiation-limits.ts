/**
 * Limits of the negotiation endpoint: a per-address token bucket with bounded memory, and a body
 * reader that stops at a byte cap instead of buffering whatever a client sends.
 */
import { PeerpayError } from "./errors.js";

export interface RateLimiterOptions {
  /** Tokens added per second (sustained requests per second per address). */
  readonly requestsPerSecond: number;
  /** Bucket size (requests allowed in a burst). */
  readonly burst: number;
  /** At most this many addresses are tracked; the least recently seen is forgotten first. */
  readonly maxTrackedAddresses: number;
  /** Milliseconds clock, for tests. */
  readonly now?: () => number;
}

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Whole seconds until one token is available again (0 when allowed). */
  readonly retryAfterSeconds: number;
}

export interface RateLimiter {
  take(address: string): RateLimitDecision;
  /** How many addresses are tracked now (never more than `maxTrackedAddresses`). */
  size(): number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket per address. IPv6 addresses share one bucket per /64, because one host usually
 * holds a whole /64 and could otherwise rotate addresses to escape the limit. Memory is bounded:
 * the map keeps insertion order, a hit moves the key to the end, and the oldest key is evicted.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  if (!(options.requestsPerSecond > 0) || !(options.burst >= 1) || !(options.maxTrackedAddresses >= 1)) {
    throw new PeerpayError(
      "INVALID_CONFIG",
      "rate limit needs requestsPerSecond > 0, burst ≥ 1, maxTrackedAddresses ≥ 1",
    );
  }
  const now = options.now ?? Date.now;
  const buckets = new Map<string, Bucket>();
  return {
    take(address) {
      const key = rateLimitKey(address);
      const at = now();
      const bucket = buckets.get(key) ?? { tokens: options.burst, updatedAt: at };
      buckets.delete(key);
      const elapsedSeconds = Math.max(0, at - bucket.updatedAt) / 1000;
      bucket.tokens = Math.min(options.burst, bucket.tokens + elapsedSeconds * options.requestsPerSecond);
      bucket.updatedAt = at;
      let decision: RateLimitDecision;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        decision = { allowed: true, retryAfterSeconds: 0 };
      } else {
        decision = {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / options.requestsPerSecond)),
        };
      }
      buckets.set(key, bucket);
      while (buckets.size > options.maxTrackedAddresses) {
        const oldest = buckets.keys().next();
        if (oldest.done) break;
        buckets.delete(oldest.value);
      }
      return decision;
    },
    size: () => buckets.size,
  };
}

/** The rate-limit key: the IPv4 address, or the /64 prefix of an IPv6 address. */
export function rateLimitKey(address: string): string {
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = tail === undefined ? 0 : Math.max(0, 8 - headGroups.length - tailGroups.length);
  const groups = [...headGroups, ...new Array<string>(missing).fill("0"), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group || "0", 16).toString(16))
    .join(":")}::/64`;
}

/**
 * Reads a request body as UTF-8 text, refusing more than `maxBytes` (by Content-Length up front,
 * and by counting while streaming for bodies without one).
 */
export async function readLimitedText(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null && (!/^\d{1,15}$/.test(declared) || Number(declared) > maxBytes)) {
    throw tooLarge(maxBytes);
  }
  const bytes = await readBoundedBytes(request.body, maxBytes, () => tooLarge(maxBytes));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw new PeerpayError("INVALID_INPUT", "the body is not valid UTF-8", { cause: error });
  }
}

/** Reads a body stream whole, cancelling it and throwing `tooLarge()` once it passes `maxBytes`. */
export async function readBoundedBytes(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(maxBytes: number): PeerpayError {
  return new PeerpayError("PAYLOAD_TOO_LARGE", `the body must be at most ${maxBytes} bytes`, {
    details: { maxBytes },
  });
}
