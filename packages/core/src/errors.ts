/**
 * One error type for the whole SDK: an UPPER_SNAKE `code`, whether a retry can help, and the
 * underlying `cause`. Adapters and bridges throw it (or subclasses naming the operation) and never
 * let a raw gRPC/fetch error, or a secret, escape.
 */

const marker = Symbol.for("peerpay.error");

export const errorCodes = [
  // input and protocol
  "INVALID_INPUT",
  "INVALID_CONFIG",
  "NOT_FOUND",
  "PAYLOAD_TOO_LARGE",
  "RATE_LIMITED",
  "TOO_MANY_OPEN_INVOICES",
  "PAYMENT_REQUIRED",
  "UNSUPPORTED",
  // payments
  "INVOICE_EXPIRED",
  "INVOICE_MISMATCH",
  "INVOICE_ALREADY_PAID",
  "PAYMENT_FAILED",
  "PAYMENT_IN_FLIGHT",
  "NO_ROUTE",
  "INSUFFICIENT_BALANCE",
  "BUDGET_EXCEEDED",
  "PRICE_TOO_HIGH",
  "OVERCHARGE",
  "FEE_LIMIT_EXCEEDED",
  // backends (Lightning nodes, torrent clients)
  "BACKEND_UNAVAILABLE",
  "BACKEND_AUTH_FAILED",
  "BACKEND_PERMISSION_DENIED",
  "BACKEND_PROTOCOL_ERROR",
  "TIMEOUT",
  // storage
  "STORAGE_FAILED",
  "CONFLICT",
  "INTERNAL",
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface PeerpayErrorOptions {
  cause?: unknown;
  /** Defaults to the code's usual retryability (see `retryableByDefault`). */
  retryable?: boolean;
  /** Extra machine-readable details; must never hold secrets. */
  details?: Record<string, unknown>;
}

const retryableByDefault: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "RATE_LIMITED",
  "PAYMENT_IN_FLIGHT",
  "NO_ROUTE",
  "BACKEND_UNAVAILABLE",
  "TIMEOUT",
  "STORAGE_FAILED",
]);

export class PeerpayError extends Error {
  readonly [marker] = true;
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: PeerpayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PeerpayError";
    this.code = code;
    this.retryable = options.retryable ?? retryableByDefault.has(code);
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; retryable: boolean; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** An error raised by a payment adapter; the message starts with the adapter and operation. */
export class AdapterError extends PeerpayError {
  readonly adapter: string;
  readonly operation: string;
  constructor(
    adapter: string,
    operation: string,
    code: ErrorCode,
    message: string,
    options?: PeerpayErrorOptions,
  ) {
    super(code, `[${adapter}] ${operation}: ${message}`, options);
    this.name = "AdapterError";
    this.adapter = adapter;
    this.operation = operation;
  }
}

/** An error raised by a torrent-client bridge; the message starts with the bridge and operation. */
export class BridgeError extends PeerpayError {
  readonly bridge: string;
  readonly operation: string;
  constructor(
    bridge: string,
    operation: string,
    code: ErrorCode,
    message: string,
    options?: PeerpayErrorOptions,
  ) {
    super(code, `[${bridge}] ${operation}: ${message}`, options);
    this.name = "BridgeError";
    this.bridge = bridge;
    this.operation = operation;
  }
}

/** Works across package copies and realms, unlike `instanceof`. */
export function isPeerpayError(value: unknown): value is PeerpayError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

export function isRetryable(value: unknown): boolean {
  return isPeerpayError(value) && value.retryable;
}

/** The single table from error codes to HTTP statuses used by the negotiation endpoint. */
export const httpStatusByCode: Readonly<Record<ErrorCode, number>> = {
  INVALID_INPUT: 400,
  INVALID_CONFIG: 400,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  TOO_MANY_OPEN_INVOICES: 429,
  PAYMENT_REQUIRED: 402,
  UNSUPPORTED: 501,
  INVOICE_EXPIRED: 410,
  INVOICE_MISMATCH: 400,
  INVOICE_ALREADY_PAID: 409,
  PAYMENT_FAILED: 502,
  PAYMENT_IN_FLIGHT: 409,
  NO_ROUTE: 502,
  INSUFFICIENT_BALANCE: 502,
  BUDGET_EXCEEDED: 403,
  PRICE_TOO_HIGH: 403,
  OVERCHARGE: 400,
  FEE_LIMIT_EXCEEDED: 502,
  BACKEND_UNAVAILABLE: 503,
  BACKEND_AUTH_FAILED: 503,
  BACKEND_PERMISSION_DENIED: 503,
  BACKEND_PROTOCOL_ERROR: 502,
  TIMEOUT: 504,
  STORAGE_FAILED: 503,
  CONFLICT: 409,
  INTERNAL: 500,
};

/** Wraps anything thrown into a PeerpayError without copying its message when it may hold secrets. */
export function toPeerpayError(
  value: unknown,
  fallback: ErrorCode = "INTERNAL",
  message?: string,
): PeerpayError {
  if (isPeerpayError(value)) return value;
  return new PeerpayError(fallback, message ?? (value instanceof Error ? value.message : String(value)), {
    cause: value,
  });
}
