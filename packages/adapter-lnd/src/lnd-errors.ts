/**
 * Maps what the `lightning` library throws (arrays like `[503, 'UnexpectedPaymentError', {err}]`,
 * or raw gRPC errors with a numeric `code` and a `details` string) to core's AdapterError codes.
 * Messages are rebuilt from the gRPC status and LND's text, then passed through a redactor, so no
 * macaroon or certificate can reach a log line or an error message, and the raw error object is
 * never attached as `cause` (only a sanitized copy).
 */
import { AdapterError, type ErrorCode, isPeerpayError } from "@peerpay/core";

export const adapterName = "lnd";

/** gRPC status codes we act on (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const grpcStatus = {
  deadlineExceeded: 4,
  notFound: 5,
  alreadyExists: 6,
  permissionDenied: 7,
  unimplemented: 12,
  unavailable: 14,
  unauthenticated: 16,
} as const;

export interface LndFailure {
  /** The library's PascalCase message, when the error came through the library. */
  readonly library?: string;
  /** The library's http-like code (400, 404, 503, …). */
  readonly libraryCode?: number;
  /** The gRPC status code, when there is an underlying gRPC error. */
  readonly grpcCode?: number;
  /** LND's own text (gRPC `details`), unredacted: only for classification, never shown as is. */
  readonly details?: string;
}

/** Pulls the library code, message and underlying gRPC status out of anything thrown. */
export function describeLndFailure(value: unknown): LndFailure {
  if (Array.isArray(value)) {
    const [libraryCode, library, extra] = value as [unknown, unknown, unknown];
    const inner = extra && typeof extra === "object" ? (extra as { err?: unknown }).err : undefined;
    const grpc = inner === undefined ? {} : describeLndFailure(inner);
    return {
      ...(typeof libraryCode === "number" ? { libraryCode } : {}),
      ...(typeof library === "string" ? { library } : {}),
      ...(grpc.grpcCode === undefined ? {} : { grpcCode: grpc.grpcCode }),
      ...(grpc.details === undefined ? {} : { details: grpc.details }),
    };
  }
  if (value && typeof value === "object") {
    const record = value as { code?: unknown; details?: unknown; message?: unknown };
    const details =
      typeof record.details === "string" && record.details !== ""
        ? record.details
        : typeof record.message === "string"
          ? record.message
          : undefined;
    return {
      ...(typeof record.code === "number" ? { grpcCode: record.code } : {}),
      ...(details === undefined ? {} : { details }),
    };
  }
  return typeof value === "string" ? { details: value } : {};
}

const unavailablePatterns = [
  /wallet locked/i,
  /wallet is (still )?locked/i,
  /not yet ready to accept calls/i,
  /waiting to start/i,
  /in the process of starting up/i,
  /server is still starting/i,
  /connect failed/i,
  /no connection established/i,
  /failed to connect/i,
  /econnrefused/i,
  /connection dropped/i,
];
const authPatterns = [
  /verification failed/i,
  /signature mismatch/i,
  /cannot get macaroon/i,
  /root key with id/i,
  /expected 1 macaroon/i,
  /unable to (decode|unmarshal) macaroon/i,
  /invalid macaroon/i,
  /macaroon (has )?expired/i,
];
const tlsPatterns = [/ssl/i, /certificate/i, /handshake/i, /self[- ]signed/i];

/** Decides the code for a backend failure that is not specific to an operation. */
export function classifyLndFailure(failure: LndFailure): ErrorCode | undefined {
  const text = `${failure.library ?? ""} ${failure.details ?? ""}`;
  if (failure.library === "LndLocked" || failure.library === "FailedToConnectToDaemon") {
    return "BACKEND_UNAVAILABLE";
  }
  if (failure.grpcCode === grpcStatus.permissionDenied || /permission denied/i.test(text)) {
    return "BACKEND_PERMISSION_DENIED";
  }
  if (failure.grpcCode === grpcStatus.unauthenticated || authPatterns.some((p) => p.test(text))) {
    return "BACKEND_AUTH_FAILED";
  }
  if (failure.grpcCode === grpcStatus.unavailable && tlsPatterns.some((p) => p.test(text))) {
    return "BACKEND_AUTH_FAILED";
  }
  if (failure.grpcCode === grpcStatus.unavailable || unavailablePatterns.some((p) => p.test(text))) {
    return "BACKEND_UNAVAILABLE";
  }
  if (failure.grpcCode === grpcStatus.deadlineExceeded) return "TIMEOUT";
  if (failure.grpcCode === grpcStatus.unimplemented) return "UNSUPPORTED";
  return undefined;
}

const hints: Partial<Record<ErrorCode, string>> = {
  BACKEND_UNAVAILABLE: "LND is unreachable, still starting, or its wallet is locked; retry later",
  BACKEND_AUTH_FAILED:
    "LND rejected the macaroon (it belongs to another node, or was revoked or tampered with)",
  BACKEND_PERMISSION_DENIED: "the macaroon lacks a permission this call needs",
  TIMEOUT: "LND did not answer in time",
  UNSUPPORTED: "this LND does not offer the RPC (built without the needed subserver?)",
};

/** Removes known secrets and anything that looks like a serialized credential from a message. */
export type Redactor = (text: string) => string;

export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const known = secrets.filter(
    (secret): secret is string => typeof secret === "string" && secret.length >= 16,
  );
  return (text) => {
    let result = text;
    for (const secret of known) result = result.split(secret).join("[redacted]");
    // Long hex or base64 runs: macaroons (hundreds of hex digits) and certificates (base64 PEM bodies).
    return result.replace(/[0-9a-fA-F]{96,}/g, "[redacted]").replace(/[A-Za-z0-9+/=_-]{120,}/g, "[redacted]");
  };
}

export interface ToAdapterErrorOptions {
  readonly operation: string;
  /** The code when nothing more specific is recognised. */
  readonly fallback?: ErrorCode;
  readonly redact: Redactor;
  readonly details?: Record<string, unknown>;
}

/** Converts anything thrown by the library into an AdapterError without leaking secrets. */
export function toLndAdapterError(value: unknown, options: ToAdapterErrorOptions): AdapterError {
  if (isPeerpayError(value) && value instanceof AdapterError) return value;
  const failure = describeLndFailure(value);
  const code = classifyLndFailure(failure) ?? options.fallback ?? "BACKEND_PROTOCOL_ERROR";
  const said = [failure.library, failure.details].filter(Boolean).join(": ");
  const tls =
    failure.grpcCode === grpcStatus.unavailable && tlsPatterns.some((pattern) => pattern.test(said));
  const hint = tls ? "the TLS certificate does not match the node's (check the cert option)" : hints[code];
  const message = options.redact(
    [hint, said === "" ? undefined : `LND said ${said}`].filter(Boolean).join("; ") || "LND call failed",
  );
  const cause = new Error(message);
  cause.name = "LndFailure";
  return new AdapterError(adapterName, options.operation, code, message, {
    cause,
    details: {
      ...(failure.grpcCode === undefined ? {} : { grpcCode: failure.grpcCode }),
      ...(failure.library === undefined ? {} : { lndError: failure.library }),
      ...options.details,
    },
  });
}

export function lndError(
  operation: string,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): AdapterError {
  return new AdapterError(adapterName, operation, code, message, details ? { details } : {});
}
