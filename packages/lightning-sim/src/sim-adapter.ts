/**
 * The payment adapter (contract v1) for one node of a simulated network. It behaves like the
 * real adapters: every call can fail with a retryable BACKEND_UNAVAILABLE while the node is
 * offline, payInvoice refuses an invoice whose amount, network or payee differ from what the
 * caller agreed before anything moves, and a hash is never paid twice.
 */
import {
  AdapterError,
  type CreateInvoiceRequest,
  type DecodedInvoice,
  type Invoice,
  isPeerpayError,
  type NodeInfo,
  type PayInvoiceRequest,
  type PaymentAdapter,
  type PaymentAdapterCapabilities,
  type SettledInvoiceSubscription,
  type SettledInvoiceSubscriptionOptions,
} from "@peerpay/core";
import { decodeBolt11, InvoiceDecodeError } from "./sim-invoice.js";
import type { SimInvoice, SimNetwork, SimNode, SimNodeRef } from "./sim-network-types.js";
import { openSimSettledStream } from "./sim-settled-stream.js";

export interface SimAdapterOptions {
  readonly network: SimNetwork;
  /** The node this adapter drives (object, node id or alias). */
  readonly node: SimNodeRef;
  /** How long a broken settled-invoice stream waits before reconnecting. Default 50 ms. */
  readonly reconnectDelayMs?: number;
}

/** What `getInstance()` returns: the network and the node, for tests and fault injection. */
export interface SimAdapterInstance {
  readonly network: SimNetwork;
  readonly node: SimNode;
}

const capabilities: PaymentAdapterCapabilities = {
  createInvoice: true,
  payInvoice: true,
  settledInvoiceStream: true,
  descriptionHash: true,
};

const NAME = "sim";

export function createSimAdapter(options: SimAdapterOptions): PaymentAdapter {
  const { network } = options;
  const node = network.getNode(options.node);
  const reconnectDelayMs = options.reconnectDelayMs ?? 50;
  const subscriptions = new Set<SettledInvoiceSubscription>();
  let closed = false;

  /** Runs an operation the way a remote call would: node reachable, errors typed. */
  async function call<T>(operation: string, action: () => T | Promise<T>): Promise<T> {
    if (closed) throw fail(operation, "BACKEND_UNAVAILABLE", "the adapter is closed", false);
    if (!network.isOnline(node))
      throw fail(operation, "BACKEND_UNAVAILABLE", `node ${node.alias} is offline`);
    try {
      return await action();
    } catch (error) {
      if (error instanceof AdapterError && error.adapter === NAME) throw error;
      if (isPeerpayError(error)) {
        throw new AdapterError(NAME, operation, error.code, error.message, {
          cause: error,
          retryable: error.retryable,
          ...(error.details ? { details: error.details } : {}),
        });
      }
      throw new AdapterError(NAME, operation, "INTERNAL", "unexpected failure in the simulator", {
        cause: error,
      });
    }
  }

  function decode(operation: string, paymentRequest: string): DecodedInvoice {
    try {
      return decodeBolt11(paymentRequest);
    } catch (error) {
      const message = error instanceof InvoiceDecodeError ? error.message : "not a BOLT11 payment request";
      throw fail(operation, "INVALID_INPUT", message);
    }
  }

  const adapter: PaymentAdapter = {
    specificationVersion: "v1",
    name: NAME,
    capabilities,

    getInfo: () =>
      call(
        "getInfo",
        (): NodeInfo => ({
          nodeId: node.id,
          alias: node.alias,
          network: "simnet",
          simulated: true,
          version: "peerpay-lightning-sim (simulated, not real money)",
        }),
      ),

    createInvoice: (request: CreateInvoiceRequest) =>
      call("createInvoice", () => toInvoice(network.createInvoice(node, request))),

    lookupInvoice: (paymentHash: string) =>
      call("lookupInvoice", () => {
        if (typeof paymentHash !== "string" || !/^[0-9a-f]{64}$/.test(paymentHash)) {
          throw fail("lookupInvoice", "INVALID_INPUT", "paymentHash must be 64 lower-case hex digits");
        }
        const invoice = network.lookupInvoice(node, paymentHash);
        return invoice && toInvoice(invoice);
      }),

    payInvoice: (request: PayInvoiceRequest) =>
      call("payInvoice", () => {
        checkPayRequest(request);
        const decoded = decode("payInvoice", request.paymentRequest);
        if (request.expectedNetwork !== undefined && decoded.network !== request.expectedNetwork) {
          throw fail(
            "payInvoice",
            "INVOICE_MISMATCH",
            `invoice is for ${decoded.network}, expected ${request.expectedNetwork}`,
          );
        }
        if (decoded.network !== "simnet") {
          throw fail(
            "payInvoice",
            "INVOICE_MISMATCH",
            `invoice is for ${decoded.network}; this node is on simnet`,
          );
        }
        if (request.expectedPayee !== undefined && decoded.payee !== request.expectedPayee.toLowerCase()) {
          throw fail("payInvoice", "INVOICE_MISMATCH", "invoice is payable to another node than expected");
        }
        if (decoded.amountMsat !== undefined && decoded.amountMsat !== request.expectedAmountMsat) {
          throw fail(
            "payInvoice",
            "INVOICE_MISMATCH",
            `invoice asks ${decoded.amountMsat} msat, expected ${request.expectedAmountMsat} msat`,
            false,
            { invoiceAmountMsat: decoded.amountMsat.toString() },
          );
        }
        return network.payInvoice(node, {
          paymentRequest: decoded.paymentRequest,
          amountMsat: request.expectedAmountMsat,
          maxFeeMsat: request.maxFeeMsat,
          ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
        });
      }),

    decodeInvoice: (paymentRequest: string) =>
      call("decodeInvoice", () => decode("decodeInvoice", paymentRequest)),

    subscribeSettledInvoices(
      subscriptionOptions: SettledInvoiceSubscriptionOptions,
    ): SettledInvoiceSubscription {
      if (closed)
        throw fail("subscribeSettledInvoices", "BACKEND_UNAVAILABLE", "the adapter is closed", false);
      const stream = openSimSettledStream(network, node, { ...subscriptionOptions, reconnectDelayMs });
      const subscription: SettledInvoiceSubscription = {
        async close() {
          subscriptions.delete(subscription);
          await stream.close();
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    async close() {
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
    },

    getInstance: (): SimAdapterInstance => ({ network, node }),
  };
  return adapter;
}

function toInvoice(invoice: SimInvoice): Invoice {
  return {
    paymentHash: invoice.paymentHash,
    paymentRequest: invoice.paymentRequest,
    amountMsat: invoice.amountMsat,
    state: invoice.state,
    createdAt: invoice.createdAt,
    expiresAt: invoice.expiresAt,
    ...(invoice.description !== undefined ? { description: invoice.description } : {}),
    ...(invoice.settledAt !== undefined ? { settledAt: invoice.settledAt } : {}),
    ...(invoice.receivedMsat !== undefined ? { receivedMsat: invoice.receivedMsat } : {}),
    ...(invoice.state === "settled" ? { preimage: invoice.preimage } : {}),
    ...(invoice.settleIndex !== undefined ? { settleCursor: invoice.settleIndex.toString() } : {}),
  };
}

function checkPayRequest(request: PayInvoiceRequest): void {
  if (typeof request.paymentRequest !== "string") {
    throw fail("payInvoice", "INVALID_INPUT", "paymentRequest must be a string");
  }
  if (typeof request.expectedAmountMsat !== "bigint" || request.expectedAmountMsat <= 0n) {
    throw fail("payInvoice", "INVALID_INPUT", "expectedAmountMsat must be a positive bigint");
  }
  if (typeof request.maxFeeMsat !== "bigint" || request.maxFeeMsat < 0n) {
    throw fail("payInvoice", "INVALID_INPUT", "maxFeeMsat must be a non-negative bigint");
  }
  if (request.timeoutMs !== undefined && (!Number.isFinite(request.timeoutMs) || request.timeoutMs <= 0)) {
    throw fail("payInvoice", "INVALID_INPUT", "timeoutMs must be a positive number");
  }
}

function fail(
  operation: string,
  code: ConstructorParameters<typeof AdapterError>[2],
  message: string,
  retryable?: boolean,
  details?: Record<string, unknown>,
): AdapterError {
  return new AdapterError(NAME, operation, code, message, {
    ...(retryable !== undefined ? { retryable } : {}),
    ...(details ? { details } : {}),
  });
}
