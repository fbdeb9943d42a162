/**
 * `createLndAdapter(options)`: the PaymentAdapter for LND over gRPC, on the npm package
 * `lightning` (pinned to 11.1.0, the Node 20 line; supports LND 0.14.4–0.20.1).
 */
import type {
  CreateInvoiceRequest,
  DecodedInvoice,
  Invoice,
  NodeInfo,
  PayInvoiceRequest,
  PaymentAdapter,
  PaymentResult,
  SettledInvoiceSubscription,
} from "@peerpay/core";
import {
  type AuthenticatedLnd,
  authenticatedLndGrpc,
  createInvoice,
  type DecodePaymentRequestResult,
  decodePaymentRequest,
  type GetInvoiceResult,
  getInvoice,
  getWalletInfo,
} from "lightning";
import {
  adapterName,
  createRedactor,
  describeLndFailure,
  grpcStatus,
  lndError,
  toLndAdapterError,
} from "./lnd-errors.js";
import { subscribeSettledInvoices } from "./lnd-invoice-stream.js";
import { missingPermissions, permissionAdvice, readMacaroonPermissions } from "./lnd-macaroon.js";
import { networkFromChains, networkOfInvoice } from "./lnd-network.js";
import { type LndAdapterOptions, type LndRole, resolveLndOptions } from "./lnd-options.js";
import { createPaymentTracker } from "./lnd-payments.js";

export interface LndAdapterInstance {
  /** The `lightning` library's authenticated gRPC object (pass it as `lnd` to its methods). */
  readonly lnd: AuthenticatedLnd;
  readonly role: LndRole;
  /** The permissions read from the macaroon, or undefined when it is not in LND's format. */
  readonly permissions: ReadonlySet<string> | undefined;
  /** Payment hashes this adapter is still waiting on. */
  inFlightPayments(): string[];
}

const hashPattern = /^[0-9a-f]{64}$/;
const maxDescriptionBytes = 639;

export function createLndAdapter(options: LndAdapterOptions = {}): PaymentAdapter {
  const resolved = resolveLndOptions(options);
  const redact = createRedactor(resolved.secrets);
  const { permissions } = readMacaroonPermissions(resolved.macaroonHex);
  if (permissions) {
    const missing = missingPermissions(permissions, resolved.role);
    if (missing.length > 0) {
      throw lndError(
        "start",
        "BACKEND_PERMISSION_DENIED",
        `the macaroon lacks ${missing.join("; ")}. ${permissionAdvice(resolved.role)}`,
        { role: resolved.role, missing },
      );
    }
  }
  const { lnd } = authenticatedLndGrpc({
    socket: resolved.socket,
    macaroon: resolved.macaroonHex,
    ...(resolved.cert === undefined ? {} : { cert: resolved.cert }),
  });
  const canSell = resolved.role !== "buyer";
  const canBuy = resolved.role !== "seller";
  const tracker = createPaymentTracker({ lnd, redact, pathfindingTimeoutMs: resolved.pathfindingTimeoutMs });
  const subscriptions = new Set<SettledInvoiceSubscription>();
  let closed = false;

  const fail = (
    operation: string,
    error: unknown,
    fallback: Parameters<typeof lndError>[1] = "BACKEND_PROTOCOL_ERROR",
  ) => toLndAdapterError(error, { operation, fallback, redact });
  const ensureOpen = (operation: string) => {
    if (closed) throw lndError(operation, "BACKEND_UNAVAILABLE", "the adapter is closed", undefined);
  };
  const ensureRole = (operation: string, allowed: boolean) => {
    if (!allowed) {
      throw lndError(
        operation,
        "UNSUPPORTED",
        `not available in the ${resolved.role} role (see the role option)`,
      );
    }
  };

  const decodeInvoice = async (paymentRequest: string): Promise<DecodedInvoice> => {
    ensureOpen("decodeInvoice");
    const network = networkOfInvoice(paymentRequest);
    if (network === undefined)
      throw lndError("decodeInvoice", "INVALID_INPUT", "not a BOLT11 payment request");
    let decoded: DecodePaymentRequestResult;
    try {
      decoded = await decodePaymentRequest({ lnd, request: paymentRequest.trim() });
    } catch (error) {
      const failure = describeLndFailure(error);
      if (/not for current active network/i.test(failure.details ?? "")) {
        throw lndError(
          "decodeInvoice",
          "INVOICE_MISMATCH",
          `the invoice is for ${network}, not this node's network`,
        );
      }
      const mapped = fail("decodeInvoice", error);
      if (
        ["BACKEND_UNAVAILABLE", "BACKEND_AUTH_FAILED", "BACKEND_PERMISSION_DENIED", "TIMEOUT"].includes(
          mapped.code,
        )
      ) {
        throw mapped;
      }
      // Anything else LND says about a payment request is about the request itself.
      throw lndError("decodeInvoice", "INVALID_INPUT", "LND could not decode the payment request");
    }
    const createdAt = (decoded as { created_at?: string }).created_at;
    if (!createdAt)
      throw lndError("decodeInvoice", "BACKEND_PROTOCOL_ERROR", "LND's decoded invoice has no creation date");
    return {
      paymentHash: decoded.id,
      paymentRequest: paymentRequest.trim(),
      network,
      payee: decoded.destination,
      ...(decoded.mtokens && decoded.mtokens !== "0" ? { amountMsat: BigInt(decoded.mtokens) } : {}),
      createdAt: new Date(createdAt),
      expiresAt: new Date(decoded.expires_at),
      ...(decoded.description ? { description: decoded.description } : {}),
      ...(decoded.description_hash ? { descriptionHash: decoded.description_hash } : {}),
    };
  };

  const adapter: PaymentAdapter = {
    specificationVersion: "v1",
    name: adapterName,
    capabilities: {
      createInvoice: canSell,
      payInvoice: canBuy,
      settledInvoiceStream: canSell,
      descriptionHash: true,
    },

    async getInfo(): Promise<NodeInfo> {
      ensureOpen("getInfo");
      try {
        const info = await getWalletInfo({ lnd });
        const network = networkFromChains(info.chains);
        if (network === undefined)
          throw lndError("getInfo", "UNSUPPORTED", "the node is on an unknown chain");
        return {
          nodeId: info.public_key,
          alias: info.alias,
          network,
          simulated: false,
          blockHeight: info.current_block_height,
          version: info.version,
        };
      } catch (error) {
        const mapped = fail("getInfo", error, "BACKEND_UNAVAILABLE");
        if (mapped.code !== "BACKEND_PERMISSION_DENIED") throw mapped;
        throw lndError("getInfo", "BACKEND_PERMISSION_DENIED", "GetInfo needs the info:read permission", {
          missing: ["info:read"],
        });
      }
    },

    async createInvoice(request: CreateInvoiceRequest): Promise<Invoice> {
      const operation = "createInvoice";
      ensureOpen(operation);
      ensureRole(operation, canSell);
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
        throw fail(operation, error);
      }
    },

    async lookupInvoice(paymentHash: string): Promise<Invoice | undefined> {
      const operation = "lookupInvoice";
      ensureOpen(operation);
      if (!hashPattern.test(paymentHash)) {
        throw lndError(operation, "INVALID_INPUT", "paymentHash must be 64 lowercase hex digits");
      }
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
        throw fail(operation, error);
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
    },

    async payInvoice(request: PayInvoiceRequest): Promise<PaymentResult> {
      const operation = "payInvoice";
      ensureOpen(operation);
      ensureRole(operation, canBuy);
      if (typeof request.maxFeeMsat !== "bigint" || request.maxFeeMsat < 0n) {
        throw lndError(
          operation,
          "INVALID_INPUT",
          "maxFeeMsat is required: a non-negative bigint (no payment without a fee limit)",
        );
      }
      if (typeof request.expectedAmountMsat !== "bigint" || request.expectedAmountMsat <= 0n) {
        throw lndError(operation, "INVALID_INPUT", "expectedAmountMsat must be a positive bigint");
      }
      const network = networkOfInvoice(request.paymentRequest);
      if (network === undefined) throw lndError(operation, "INVALID_INPUT", "not a BOLT11 payment request");
      if (request.expectedNetwork !== undefined && request.expectedNetwork !== network) {
        throw lndError(
          operation,
          "INVOICE_MISMATCH",
          `the invoice is for ${network}, expected ${request.expectedNetwork}`,
        );
      }
      // LND's decoder refuses an invoice for another network than the node's (INVOICE_MISMATCH).
      const decoded = await decodeInvoice(request.paymentRequest);
      const details = { paymentHash: decoded.paymentHash };
      if (decoded.amountMsat === undefined) {
        throw lndError(operation, "INVOICE_MISMATCH", "amountless invoices are not paid", details);
      }
      if (decoded.amountMsat !== request.expectedAmountMsat) {
        throw lndError(
          operation,
          "INVOICE_MISMATCH",
          `the invoice asks ${decoded.amountMsat} msat, the agreed amount is ${request.expectedAmountMsat} msat`,
          { ...details, invoiceMsat: decoded.amountMsat.toString() },
        );
      }
      if (
        request.expectedPayee !== undefined &&
        request.expectedPayee.toLowerCase() !== decoded.payee.toLowerCase()
      ) {
        throw lndError(
          operation,
          "INVOICE_MISMATCH",
          `the invoice is payable to ${decoded.payee}, not the expected payee`,
          details,
        );
      }
      const timeoutMs = request.timeoutMs ?? resolved.paymentTimeoutMs;
      if (decoded.expiresAt.getTime() <= Date.now()) {
        // An expired invoice may still be one we paid before it expired: return that result.
        const earlier = await tracker.recover(decoded.paymentHash, request.maxFeeMsat).catch(() => undefined);
        if (earlier) return earlier;
        throw lndError(
          operation,
          "INVOICE_EXPIRED",
          `the invoice expired at ${decoded.expiresAt.toISOString()}`,
          details,
        );
      }
      return tracker.pay({
        paymentHash: decoded.paymentHash,
        paymentRequest: decoded.paymentRequest,
        destination: decoded.payee,
        amountMsat: decoded.amountMsat,
        maxFeeMsat: request.maxFeeMsat,
        timeoutMs,
      });
    },

    decodeInvoice,

    subscribeSettledInvoices(subscriptionOptions) {
      ensureOpen("subscribeSettledInvoices");
      ensureRole("subscribeSettledInvoices", canSell);
      const subscription = subscribeSettledInvoices(
        { lnd, redact, reconnectDelayMs: resolved.reconnectDelayMs },
        subscriptionOptions,
      );
      subscriptions.add(subscription);
      return {
        async close() {
          subscriptions.delete(subscription);
          await subscription.close();
        },
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      subscriptions.clear();
      tracker.close();
      for (const client of Object.values(lnd) as Array<{ close?: () => void } | undefined>) {
        if (typeof client?.close === "function") client.close();
      }
    },

    getInstance(): LndAdapterInstance {
      return { lnd, role: resolved.role, permissions, inFlightPayments: () => tracker.inFlight() };
    },
  };
  return adapter;
}
