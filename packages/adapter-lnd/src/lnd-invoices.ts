/** Invoices on LND: create (AddInvoice), look up (LookupInvoice) and decode (DecodePayReq). */
import type { CreateInvoiceRequest, DecodedInvoice, Invoice } from "@peerpay/core";
import {
  type AuthenticatedLnd,
  createInvoice,
  type DecodePaymentRequestResult,
  decodePaymentRequest,
  type GetInvoiceResult,
  getInvoice,
} from "lightning";
import { describeLndFailure, grpcStatus, lndError, type Redactor, toLndAdapterError } from "./lnd-errors.js";
import { networkOfInvoice } from "./lnd-network.js";

const hashPattern = /^[0-9a-f]{64}$/;
const maxDescriptionBytes = 639;
const backendCodes: readonly string[] = [
  "BACKEND_UNAVAILABLE",
  "BACKEND_AUTH_FAILED",
  "BACKEND_PERMISSION_DENIED",
  "TIMEOUT",
];

export async function createLndInvoice(
  lnd: AuthenticatedLnd,
  request: CreateInvoiceRequest,
  redact: Redactor,
): Promise<Invoice> {
  const operation = "createInvoice";
  if (typeof request.amountMsat !== "bigint" || request.amountMsat <= 0n) {
    throw lndError(operation, "INVALID_INPUT", "amountMsat must be a positive bigint");
  }
  if (!Number.isSafeInteger(request.expirySeconds) || request.expirySeconds <= 0) {
    throw lndError(operation, "INVALID_INPUT", "expirySeconds must be a positive whole number");
  }
  if (request.description !== undefined && Buffer.byteLength(request.description) > maxDescriptionBytes) {
    throw lndError(operation, "INVALID_INPUT", `description is longer than ${maxDescriptionBytes} bytes`);
  }
  if (request.descriptionHash !== undefined && !hashPattern.test(request.descriptionHash)) {
    throw lndError(operation, "INVALID_INPUT", "descriptionHash must be 64 lowercase hex digits");
  }
  try {
    const created = await createInvoice({
      lnd,
      mtokens: request.amountMsat.toString(),
      // The library turns this back into LND's `expiry` seconds (rounded).
      expires_at: new Date(Date.now() + request.expirySeconds * 1000).toISOString(),
      is_including_private_channels: true,
      ...(request.descriptionHash !== undefined
        ? { description_hash: request.descriptionHash }
        : request.description !== undefined
          ? { description: request.description }
          : {}),
    });
    const createdAt = new Date(created.created_at);
    return {
      paymentHash: created.id,
      paymentRequest: created.request,
      amountMsat: request.amountMsat,
      state: "open",
      createdAt,
      // BOLT11 has whole seconds: the invoice's timestamp plus its expiry, as decoders see it.
      expiresAt: new Date(createdAt.getTime() + request.expirySeconds * 1000),
      ...(request.descriptionHash === undefined && request.description !== undefined
        ? { description: request.description }
        : {}),
    };
  } catch (error) {
    throw toLndAdapterError(error, { operation, redact });
  }
}

export async function lookupLndInvoice(
  lnd: AuthenticatedLnd,
  paymentHash: string,
  redact: Redactor,
): Promise<Invoice | undefined> {
  const operation = "lookupInvoice";
  if (!hashPattern.test(paymentHash)) {
    throw lndError(operation, "INVALID_INPUT", "paymentHash must be 64 lowercase hex digits");
  }
  // The library returns `mtokens` and `confirmed_index` although its type file omits them.
  let invoice: GetInvoiceResult & { confirmed_index?: number; mtokens: string };
  try {
    invoice = (await getInvoice({ lnd, id: paymentHash })) as typeof invoice;
  } catch (error) {
    const failure = describeLndFailure(error);
    if (
      failure.grpcCode === grpcStatus.notFound ||
      /unable to locate invoice|no existing invoices/i.test(failure.details ?? "")
    ) {
      return undefined;
    }
    throw toLndAdapterError(error, { operation, redact });
  }
  const expiresAt = new Date(invoice.expires_at);
  const state = invoice.is_confirmed
    ? "settled"
    : invoice.is_canceled
      ? "canceled"
      : expiresAt.getTime() <= Date.now()
        ? "expired"
        : "open";
  return {
    paymentHash: invoice.id,
    paymentRequest: invoice.request ?? "",
    amountMsat: BigInt(invoice.mtokens),
    state,
    createdAt: new Date(invoice.created_at),
    expiresAt,
    ...(invoice.description ? { description: invoice.description } : {}),
    ...(invoice.is_confirmed
      ? {
          ...(invoice.confirmed_at ? { settledAt: new Date(invoice.confirmed_at) } : {}),
          receivedMsat: BigInt(invoice.received_mtokens),
          preimage: invoice.secret,
          ...(invoice.confirmed_index ? { settleCursor: String(invoice.confirmed_index) } : {}),
        }
      : {}),
  };
}

export async function decodeLndInvoice(
  lnd: AuthenticatedLnd,
  paymentRequest: string,
  redact: Redactor,
): Promise<DecodedInvoice> {
  const operation = "decodeInvoice";
  const network = networkOfInvoice(paymentRequest);
  if (network === undefined) throw lndError(operation, "INVALID_INPUT", "not a BOLT11 payment request");
  let decoded: DecodePaymentRequestResult & { created_at?: string };
  try {
    decoded = await decodePaymentRequest({ lnd, request: paymentRequest.trim() });
  } catch (error) {
    const failure = describeLndFailure(error);
    if (/not for current active network/i.test(failure.details ?? "")) {
      throw lndError(operation, "INVOICE_MISMATCH", `the invoice is for ${network}, not this node's network`);
    }
    const mapped = toLndAdapterError(error, { operation, redact });
    if (backendCodes.includes(mapped.code)) throw mapped;
    // Anything else LND says about a payment request is about the request itself.
    throw lndError(operation, "INVALID_INPUT", "LND could not decode the payment request");
  }
  if (!decoded.created_at) {
    throw lndError(operation, "BACKEND_PROTOCOL_ERROR", "LND's decoded invoice has no creation date");
  }
  return {
    paymentHash: decoded.id,
    paymentRequest: paymentRequest.trim(),
    network,
    payee: decoded.destination,
    ...(decoded.mtokens && decoded.mtokens !== "0" ? { amountMsat: BigInt(decoded.mtokens) } : {}),
    createdAt: new Date(decoded.created_at),
    expiresAt: new Date(decoded.expires_at),
    ...(decoded.description ? { description: decoded.description } : {}),
    ...(decoded.description_hash ? { descriptionHash: decoded.description_hash } : {}),
  };
}
