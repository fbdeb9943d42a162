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
import { type AuthenticatedLnd, authenticatedLndGrpc, getWalletInfo } from "lightning";
import { adapterName, createRedactor, lndError, toLndAdapterError } from "./lnd-errors.js";
import { subscribeSettledInvoices } from "./lnd-invoice-stream.js";
import { createLndInvoice, decodeLndInvoice, lookupLndInvoice } from "./lnd-invoices.js";
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

  const decodeInvoice = (paymentRequest: string): Promise<DecodedInvoice> => {
    ensureOpen("decodeInvoice");
    return decodeLndInvoice(lnd, paymentRequest, redact);
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
      ensureOpen("createInvoice");
      ensureRole("createInvoice", canSell);
      return createLndInvoice(lnd, request, redact);
    },

    async lookupInvoice(paymentHash: string): Promise<Invoice | undefined> {
      ensureOpen("lookupInvoice");
      return lookupLndInvoice(lnd, paymentHash, redact);
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
