/**
 * Core Lightning's JSON-RPC error codes (`common/jsonrpc_errors.h`, documented per method in
 * `doc/schemas/*.json`) and the single table that maps them to peerpay's typed error codes.
 */
import { AdapterError, type ErrorCode, isPeerpayError } from "@peerpay/core";

export const ADAPTER_NAME = "cln";

export const clnErrorCodes = {
  JSONRPC2_INVALID_REQUEST: -32600,
  JSONRPC2_METHOD_NOT_FOUND: -32601,
  JSONRPC2_INVALID_PARAMS: -32602,
  LIGHTNINGD: -1,
  PLUGIN_TERMINATED: -4,
  LIGHTNINGD_SHUTDOWN: -5,
  PAY_RHASH_ALREADY_USED: 201,
  PAY_DESTINATION_PERM_FAIL: 203,
  PAY_ROUTE_NOT_FOUND: 205,
  PAY_ROUTE_TOO_EXPENSIVE: 206,
  PAY_INVOICE_EXPIRED: 207,
  PAY_UNSPECIFIED_ERROR: 209,
  PAY_STOPPED_RETRYING: 210,
  PAY_INVOICE_ALREADY_PAID: 219,
  INVOICE_LABEL_ALREADY_EXISTS: 900,
  INVOICE_PREIMAGE_ALREADY_EXISTS: 901,
  INVOICE_HINTS_GAVE_NO_ROUTES: 902,
  INVOICE_EXPIRED_DURING_WAIT: 903,
  INVOICE_WAIT_TIMED_OUT: 904,
  INVOICE_NOT_FOUND: 905,
  RUNE_NOT_AUTHORIZED: 1501,
  RUNE_NOT_PERMITTED: 1502,
  RUNE_BLACKLISTED: 1503,
} as const;

const payMethods = new Set(["pay", "xpay"]);

/** Which peerpay code a CLN error code means, for the given method. */
export function mapClnErrorCode(method: string, code: number): { code: ErrorCode; retryable?: boolean } {
  switch (code) {
    case clnErrorCodes.PAY_ROUTE_NOT_FOUND:
      return { code: "NO_ROUTE" };
    case clnErrorCodes.PAY_ROUTE_TOO_EXPENSIVE:
      return { code: "FEE_LIMIT_EXCEEDED", retryable: false };
    case clnErrorCodes.PAY_INVOICE_EXPIRED:
    case clnErrorCodes.INVOICE_EXPIRED_DURING_WAIT:
      return { code: "INVOICE_EXPIRED" };
    // 210: retry_for ran out with nothing in flight, so a later attempt is safe.
    case clnErrorCodes.PAY_STOPPED_RETRYING:
      return { code: "PAYMENT_FAILED", retryable: true };
    case clnErrorCodes.PAY_INVOICE_ALREADY_PAID:
    case clnErrorCodes.PAY_RHASH_ALREADY_USED:
      return { code: "INVOICE_ALREADY_PAID" };
    case clnErrorCodes.PAY_DESTINATION_PERM_FAIL:
    case clnErrorCodes.PAY_UNSPECIFIED_ERROR:
      return { code: "PAYMENT_FAILED", retryable: false };
    case clnErrorCodes.INVOICE_LABEL_ALREADY_EXISTS:
    case clnErrorCodes.INVOICE_PREIMAGE_ALREADY_EXISTS:
      return { code: "CONFLICT" };
    case clnErrorCodes.INVOICE_WAIT_TIMED_OUT:
      return { code: "TIMEOUT" };
    case clnErrorCodes.INVOICE_NOT_FOUND:
      return { code: "NOT_FOUND" };
    case clnErrorCodes.RUNE_NOT_AUTHORIZED:
    case clnErrorCodes.RUNE_BLACKLISTED:
      return { code: "BACKEND_AUTH_FAILED" };
    case clnErrorCodes.RUNE_NOT_PERMITTED:
      return { code: "BACKEND_PERMISSION_DENIED" };
    case clnErrorCodes.JSONRPC2_METHOD_NOT_FOUND:
      return { code: "UNSUPPORTED" };
    case clnErrorCodes.JSONRPC2_INVALID_PARAMS:
      return { code: "INVALID_INPUT" };
    case clnErrorCodes.JSONRPC2_INVALID_REQUEST:
      return { code: "BACKEND_PROTOCOL_ERROR" };
    case clnErrorCodes.PLUGIN_TERMINATED:
    case clnErrorCodes.LIGHTNINGD_SHUTDOWN:
      return { code: "BACKEND_UNAVAILABLE" };
    default:
      return payMethods.has(method) ? { code: "PAYMENT_FAILED", retryable: false } : { code: "INTERNAL" };
  }
}

/** An error answered by lightningd (or clnrest): keeps CLN's own code, mapped to a peerpay code. */
export class ClnRpcError extends AdapterError {
  readonly method: string;
  readonly rpcCode: number;
  readonly rpcData: unknown;
  constructor(method: string, rpcCode: number, rpcMessage: string, rpcData?: unknown) {
    const mapped = mapClnErrorCode(method, rpcCode);
    super(ADAPTER_NAME, method, mapped.code, `lightningd error ${rpcCode}: ${rpcMessage.slice(0, 300)}`, {
      ...(mapped.retryable === undefined ? {} : { retryable: mapped.retryable }),
      details: { clnCode: rpcCode, clnMethod: method },
    });
    this.name = "ClnRpcError";
    this.method = method;
    this.rpcCode = rpcCode;
    this.rpcData = rpcData;
  }
}

export function isClnRpcError(value: unknown, code?: number): value is ClnRpcError {
  return value instanceof ClnRpcError && (code === undefined || value.rpcCode === code);
}

export function adapterError(
  operation: string,
  code: ErrorCode,
  message: string,
  options?: { cause?: unknown; retryable?: boolean; details?: Record<string, unknown> },
): AdapterError {
  return new AdapterError(ADAPTER_NAME, operation, code, message, options);
}

/** Re-labels an error thrown below an adapter operation, keeping typed errors as they are. */
export function asAdapterError(operation: string, value: unknown): AdapterError {
  if (value instanceof AdapterError) return value;
  if (isPeerpayError(value)) {
    return adapterError(operation, value.code, value.message, { cause: value, retryable: value.retryable });
  }
  return adapterError(operation, "INTERNAL", "unexpected failure", { cause: value });
}
