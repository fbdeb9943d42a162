/**
 * Checks on what programmers pass to the simulated network; each failure is an INVALID_INPUT
 * error naming the field.
 */
import { type CreateInvoiceRequest, MAX_MSAT } from "@peerpay/core";
import { simError } from "./sim-network-state.js";

const MAX_EXPIRY_SECONDS = 365 * 24 * 3600;

export function checkAmount(operation: string, value: unknown, field: string, zeroAllowed = false): void {
  if (typeof value !== "bigint" || value < (zeroAllowed ? 0n : 1n) || value > MAX_MSAT) {
    throw simError(
      operation,
      "INVALID_INPUT",
      `${field} must be a ${zeroAllowed ? "non-negative" : "positive"} bigint`,
    );
  }
}

export function checkInvoiceRequest(request: CreateInvoiceRequest): void {
  const operation = "createInvoice";
  checkAmount(operation, request.amountMsat, "amountMsat");
  if (
    !Number.isSafeInteger(request.expirySeconds) ||
    request.expirySeconds < 1 ||
    request.expirySeconds > MAX_EXPIRY_SECONDS
  ) {
    throw simError(
      operation,
      "INVALID_INPUT",
      `expirySeconds must be a whole number from 1 to ${MAX_EXPIRY_SECONDS}`,
    );
  }
  if (request.description !== undefined && Buffer.byteLength(request.description) > 639) {
    throw simError(operation, "INVALID_INPUT", "description is longer than 639 bytes");
  }
  if (request.descriptionHash !== undefined && !/^[0-9a-f]{64}$/.test(request.descriptionHash)) {
    throw simError(operation, "INVALID_INPUT", "descriptionHash must be 64 lower-case hex digits");
  }
  if (request.label !== undefined && (request.label.length === 0 || request.label.length > 200)) {
    throw simError(operation, "INVALID_INPUT", "label must be 1-200 characters");
  }
}
