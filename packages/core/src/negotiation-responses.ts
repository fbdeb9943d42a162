/** JSON responses of the negotiation endpoint; errors are `{code, message}` with the status from errors.ts. */
import { httpStatusByCode, type PeerpayError } from "./errors.js";

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

export function errorResponse(error: PeerpayError, headers: Record<string, string> = {}): Response {
  const body = { code: error.code, message: error.message, retryable: error.retryable };
  return json(
    httpStatusByCode[error.code],
    error.details ? { ...body, details: error.details } : body,
    headers,
  );
}
