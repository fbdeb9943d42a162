/**
 * The RPC transport: @ctrl/transmission's `request()` (Basic auth, the 409 session-id handshake),
 * with what the library leaves out — a bound on the 409 retries, `result === "success"` checked
 * on every call, zod validation of the answer, and errors mapped to BridgeError codes. No raw
 * fetch error is passed on as a `cause`: its request options hold the Authorization header.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Transmission } from "@ctrl/transmission";
import { BridgeError } from "@peerpay/core";
import { z } from "zod";

const BRIDGE = "transmission";

export interface TransmissionRpcOptions {
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  /** Per request, ms. */
  readonly timeoutMs: number;
  /** How many 409 session-id renewals one call may go through. */
  readonly maxSessionRetries: number;
}

export interface TransmissionRpc {
  call<T>(method: string, args: Record<string, unknown>, schema: z.ZodType<T>): Promise<T>;
  readonly client: Transmission;
}

const envelopeSchema = z.object({ result: z.string(), arguments: z.unknown().optional() });

/** Counts nested `request()` calls: the library re-enters `request()` on each 409. */
class BoundedTransmission extends Transmission {
  readonly #depth = new AsyncLocalStorage<number>();
  readonly #maxDepth: number;

  constructor(options: ConstructorParameters<typeof Transmission>[0], maxSessionRetries: number) {
    super(options);
    // One level for the call itself, one for the library's first session-get, then the retries.
    this.#maxDepth = 2 + maxSessionRetries;
  }

  // Not async: it must return exactly what the base method returns (the error is thrown inside
  // the library's own async callers, which reject with it).
  override request<T>(method: string, args: Record<string, unknown> = {}) {
    const depth = (this.#depth.getStore() ?? 0) + 1;
    if (depth > this.#maxDepth) {
      throw new BridgeError(
        BRIDGE,
        method,
        "BACKEND_PROTOCOL_ERROR",
        `the daemon kept rejecting the session id (HTTP 409) after ${this.#maxDepth - 2} renewals`,
        { retryable: true },
      );
    }
    return this.#depth.run(depth, () => super.request<T>(method, args));
  }
}

export function createTransmissionRpc(options: TransmissionRpcOptions): TransmissionRpc {
  const client = new BoundedTransmission(
    {
      baseUrl: options.baseUrl,
      username: options.username,
      password: options.password,
      timeout: options.timeoutMs,
    },
    options.maxSessionRetries,
  );
  return {
    client,
    async call(method, args, schema) {
      const started = Date.now();
      let body: unknown;
      try {
        const response = await client.request(method, args);
        body = response._data;
      } catch (error) {
        throw mapTransportError(method, error, Date.now() - started, options.timeoutMs);
      }
      const envelope = envelopeSchema.safeParse(body);
      if (!envelope.success) {
        throw new BridgeError(
          BRIDGE,
          method,
          "BACKEND_PROTOCOL_ERROR",
          "the daemon's answer is not RPC JSON",
        );
      }
      if (envelope.data.result !== "success") {
        throw new BridgeError(
          BRIDGE,
          method,
          "BACKEND_PROTOCOL_ERROR",
          `the daemon answered "${envelope.data.result.slice(0, 200)}"`,
          { details: { method, result: envelope.data.result.slice(0, 200) } },
        );
      }
      const parsed = schema.safeParse(envelope.data.arguments ?? {});
      if (!parsed.success) {
        throw new BridgeError(BRIDGE, method, "BACKEND_PROTOCOL_ERROR", "unexpected answer shape", {
          details: { issues: parsed.error.issues.slice(0, 5).map((issue) => issue.path.join(".")) },
        });
      }
      return parsed.data;
    },
  };
}

/** Maps what `request()` throws; keeps only the HTTP status, never the request options. */
export function mapTransportError(method: string, error: unknown, elapsedMs: number, timeoutMs: number) {
  if (error instanceof BridgeError) return error;
  const status = httpStatusOf(error);
  if (status === undefined) {
    // The library reads `error.response.status` even when no response came (refused, reset,
    // timed out) and throws a TypeError: all of these mean the daemon did not answer.
    if (elapsedMs >= timeoutMs * 0.9) {
      return new BridgeError(BRIDGE, method, "TIMEOUT", `no answer from the daemon within ${timeoutMs} ms`);
    }
    return new BridgeError(BRIDGE, method, "BACKEND_UNAVAILABLE", "the daemon's RPC did not answer", {
      cause: sanitizedCause(error),
    });
  }
  const cause = new Error(`HTTP ${status}`);
  if (status === 401) {
    return new BridgeError(
      BRIDGE,
      method,
      "BACKEND_AUTH_FAILED",
      "the daemon rejected the RPC username or password (HTTP 401)",
      { cause },
    );
  }
  if (status === 403) {
    return new BridgeError(
      BRIDGE,
      method,
      "BACKEND_PERMISSION_DENIED",
      "the daemon refused the request (HTTP 403): the caller's address is not in rpc-whitelist, or 100 failed logins locked the RPC until the daemon restarts",
      { cause },
    );
  }
  if (status === 421) {
    return new BridgeError(
      BRIDGE,
      method,
      "BACKEND_PERMISSION_DENIED",
      "the daemon refused the Host header (HTTP 421): connect by IP address or add the host to rpc-host-whitelist",
      { cause },
    );
  }
  if (status >= 500) {
    return new BridgeError(BRIDGE, method, "BACKEND_UNAVAILABLE", `the daemon answered HTTP ${status}`, {
      cause,
    });
  }
  return new BridgeError(BRIDGE, method, "BACKEND_PROTOCOL_ERROR", `the daemon answered HTTP ${status}`, {
    cause,
  });
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const response = (error as { response?: { status?: unknown } }).response;
  return typeof response?.status === "number" ? response.status : undefined;
}

function sanitizedCause(error: unknown): Error {
  return new Error(error instanceof Error ? error.name : "unknown error");
}
