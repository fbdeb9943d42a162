/**
 * How the adapter reaches lightningd: the JSON-RPC unix socket or clnrest over HTTP. Both carry
 * the same method calls; the methods are implemented once on top of this interface.
 */

export interface ClnCallOptions {
  /** Give up after this long (TIMEOUT error); the default is the transport's. */
  readonly timeoutMs?: number;
}

export interface ClnTransport {
  /** "socket" or "rest". */
  readonly kind: "socket" | "rest";
  /**
   * Calls a method with named params. Resolves with the raw `result`; rejects with a ClnRpcError
   * for an error answered by the node, or an AdapterError (BACKEND_UNAVAILABLE, TIMEOUT,
   * BACKEND_PROTOCOL_ERROR, BACKEND_AUTH_FAILED) when no answer could be had.
   */
  call(method: string, params: Record<string, unknown>, options?: ClnCallOptions): Promise<unknown>;
  /** Fails every pending call and releases the connection; later calls fail. */
  close(): Promise<void>;
}

/** Minimal logger shape (pino-compatible: fields first, then the message). */
export interface ClnLogger {
  debug?(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
  warn?(fields: Record<string, unknown>, message: string): void;
  error?(fields: Record<string, unknown>, message: string): void;
}

export type ClnLogLevel = "debug" | "info" | "warn" | "error";

/** Logs through `logger`, replacing every occurrence of each secret (a rune) first. */
export function createRedactingLog(
  logger: ClnLogger | undefined,
  secrets: readonly string[],
): (level: ClnLogLevel, fields: Record<string, unknown>, message: string) => void {
  const live = secrets.filter((secret) => secret.length > 0);
  const scrub = (text: string): string =>
    live.reduce((result, secret) => result.split(secret).join("[redacted]"), text);
  return (level, fields, message) => {
    const write = logger?.[level];
    if (!write) return;
    const safeFields = JSON.parse(
      scrub(JSON.stringify(fields, (_key, value) => (typeof value === "bigint" ? value.toString() : value))),
    ) as Record<string, unknown>;
    write.call(logger, safeFields, scrub(message));
  };
}
