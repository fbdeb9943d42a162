/**
 * The payment adapter for Core Lightning: `createClnAdapter(options)` returns core's PaymentAdapter,
 * talking to lightningd over its JSON-RPC unix socket, or over clnrest (HTTP + rune) when the node
 * is on another machine. Both modes share the method implementations below.
 */
import { createHash, randomUUID } from "node:crypto";
import type {
  CreateInvoiceRequest,
  DecodedInvoice,
  Invoice,
  NodeInfo,
  PayInvoiceRequest,
  PaymentAdapter,
  PaymentResult,
  SettledInvoiceSubscription,
  SettledInvoiceSubscriptionOptions,
} from "@peerpay/core";
import { type ClnClient, createClnClient } from "./cln-client.js";
import { adapterError, asAdapterError, clnErrorCodes, isClnRpcError } from "./cln-errors.js";
import { toDecodedInvoice, toInvoice } from "./cln-mapping.js";
import { bolt11Timestamp, networkFromClnName } from "./cln-network.js";
import { payWithCln } from "./cln-pay.js";
import { createClnRestTransport } from "./cln-rest-transport.js";
import { startClnSettledStream } from "./cln-settled-stream.js";
import { createClnSocketTransport } from "./cln-socket-transport.js";
import { type ClnLogger, type ClnTransport, createRedactingLog } from "./cln-transport.js";

export interface ClnRestOptions {
  /** clnrest's base URL, e.g. "https://node.example:3010". */
  readonly url: string;
  /** A rune from `createrune` (see the README for the least permissions needed). Never logged. */
  readonly rune: string;
  /** PEM CA certificate for clnrest's self-signed TLS certificate (`<lightning-dir>/<network>/ca.pem`). */
  readonly caCertificate?: string | Buffer;
}

export interface ClnAdapterOptions {
  /** lightningd's RPC socket: `<lightning-dir>/<network>/lightning-rpc`. Set this or `rest`. */
  readonly socketPath?: string;
  /** Remote mode over clnrest. Set this or `socketPath`. */
  readonly rest?: ClnRestOptions;
  /** Per-call timeout for ordinary calls. Default 60 000 ms. */
  readonly requestTimeoutMs?: number;
  /** Socket mode: how long to wait for a connection. Default 5 000 ms. */
  readonly connectTimeoutMs?: number;
  /** The largest response accepted before the connection is dropped. Default 32 MiB. */
  readonly maxResponseBytes?: number;
  /** "auto" uses xpay on v24.11+ and pay before. Default "auto". */
  readonly payMethod?: "auto" | "pay" | "xpay";
  /** How long lightningd keeps retrying routes for one payment (`retry_for`). Default 60 s. */
  readonly retryForSeconds?: number;
  /** How long each waitanyinvoice blocks before asking again. Default 30 s. */
  readonly waitTimeoutSeconds?: number;
  /** Pause before reconnecting the settled-invoice stream, doubling up to `max`. */
  readonly reconnectDelayMs?: { readonly initial: number; readonly max: number };
  /** Prefix of generated invoice labels. Default "peerpay". */
  readonly labelPrefix?: string;
  /** pino-compatible logger; anything equal to the rune is replaced before it is written. */
  readonly logger?: ClnLogger;
}

const hashPattern = /^[0-9a-f]{64}$/;

export function createClnAdapter(options: ClnAdapterOptions): PaymentAdapter {
  if ((options.socketPath === undefined) === (options.rest === undefined)) {
    throw adapterError(
      "configure",
      "INVALID_CONFIG",
      "set exactly one of socketPath (local) or rest (clnrest)",
    );
  }
  const log = createRedactingLog(options.logger, options.rest ? [options.rest.rune] : []);
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const createTransport = (): ClnTransport =>
    options.rest
      ? createClnRestTransport({
          url: options.rest.url,
          rune: options.rest.rune,
          ...(options.rest.caCertificate ? { caCertificate: options.rest.caCertificate } : {}),
          requestTimeoutMs,
          ...(options.maxResponseBytes ? { maxResponseBytes: options.maxResponseBytes } : {}),
          log,
        })
      : createClnSocketTransport({
          socketPath: options.socketPath as string,
          requestTimeoutMs,
          ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
          ...(options.maxResponseBytes ? { maxResponseBytes: options.maxResponseBytes } : {}),
          log,
        });
  // Validate the REST options now, so a bad URL is an INVALID_CONFIG at construction.
  const client: ClnClient = createClnClient(createTransport());
  const subscriptions = new Set<SettledInvoiceSubscription>();
  const paying = new Map<string, Promise<PaymentResult>>();
  const labelPrefix = options.labelPrefix ?? "peerpay";

  async function run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      const typed = asAdapterError(operation, error);
      log("debug", { operation, code: typed.code }, "operation failed");
      throw typed.operation === operation
        ? typed
        : adapterError(
            operation,
            typed.code,
            `${typed.operation}: ${typed.message.replace(/^\[cln\] [^:]*: /, "")}`,
            {
              cause: typed,
              retryable: typed.retryable,
              ...(typed.details ? { details: typed.details } : {}),
            },
          );
    }
  }

  async function createInvoice(request: CreateInvoiceRequest): Promise<Invoice> {
    // lightningd hashes a description itself (`deschashonly`); it cannot take a bare hash.
    const deschashonly = request.descriptionHash !== undefined;
    if (
      deschashonly &&
      (request.description === undefined ||
        createHash("sha256").update(request.description).digest("hex") !== request.descriptionHash)
    ) {
      throw adapterError(
        "createInvoice",
        "UNSUPPORTED",
        "lightningd cannot take a bare description hash; pass the description whose SHA-256 it is as well",
      );
    }
    if (request.amountMsat < 0n)
      throw adapterError("createInvoice", "INVALID_INPUT", "amountMsat must not be negative");
    if (!Number.isSafeInteger(request.expirySeconds) || request.expirySeconds <= 0) {
      throw adapterError("createInvoice", "INVALID_INPUT", "expirySeconds must be a positive whole number");
    }
    const description = request.description ?? "";
    if (!deschashonly && Buffer.byteLength(description) > 639) {
      throw adapterError("createInvoice", "INVALID_INPUT", "description is longer than 639 bytes");
    }
    const label = request.label ?? `${labelPrefix}-${randomUUID()}`;
    try {
      const created = await client.call("invoice", {
        amount_msat: request.amountMsat === 0n ? "any" : `${request.amountMsat}msat`,
        label,
        description,
        expiry: request.expirySeconds,
        ...(deschashonly ? { deschashonly: true } : {}),
      });
      return {
        paymentHash: created.payment_hash,
        paymentRequest: created.bolt11,
        amountMsat: request.amountMsat,
        state: "open",
        createdAt: new Date(
          (bolt11Timestamp(created.bolt11) ?? created.expires_at - request.expirySeconds) * 1000,
        ),
        expiresAt: new Date(created.expires_at * 1000),
        ...(request.description !== undefined ? { description: request.description } : {}),
      };
    } catch (error) {
      if (!isClnRpcError(error, clnErrorCodes.INVOICE_LABEL_ALREADY_EXISTS)) throw error;
      // A retry after a lost answer: the invoice exists. Return it when it is the same invoice.
      const { invoices } = await client.call("listinvoices", { label });
      const existing = invoices[0];
      if (
        existing &&
        BigInt(existing.amount_msat ?? 0) === request.amountMsat &&
        (existing.description ?? "") === description
      ) {
        log("debug", {}, "invoice label already existed with the same terms; returning it");
        return toInvoice(existing);
      }
      throw adapterError(
        "createInvoice",
        "CONFLICT",
        "an invoice with this label already exists with other terms",
        {
          cause: error,
        },
      );
    }
  }

  async function decodeInvoice(paymentRequest: string): Promise<DecodedInvoice> {
    if (typeof paymentRequest !== "string" || paymentRequest.length === 0 || paymentRequest.length > 7089) {
      throw adapterError("decodeInvoice", "INVALID_INPUT", "not a BOLT11 payment request");
    }
    try {
      return toDecodedInvoice(paymentRequest, await client.decodeBolt11(paymentRequest.trim()));
    } catch (error) {
      if (isClnRpcError(error) && error.code === "INVALID_INPUT") {
        throw adapterError("decodeInvoice", "INVALID_INPUT", "not a valid BOLT11 payment request", {
          cause: error,
        });
      }
      throw error;
    }
  }

  const adapter: PaymentAdapter = {
    specificationVersion: "v1",
    name: "cln",
    capabilities: {
      createInvoice: true,
      payInvoice: true,
      settledInvoiceStream: true,
      descriptionHash: false,
    },

    getInfo: () =>
      run("getInfo", async (): Promise<NodeInfo> => {
        const info = await client.getinfo(true);
        const network = networkFromClnName(info.network);
        if (!network)
          throw adapterError(
            "getInfo",
            "UNSUPPORTED",
            `lightningd runs on an unsupported network "${info.network.slice(0, 20)}"`,
          );
        return {
          nodeId: info.id,
          alias: info.alias,
          network,
          simulated: network === "simnet",
          blockHeight: info.blockheight,
          version: info.version,
        };
      }),

    createInvoice: (request) => run("createInvoice", () => createInvoice(request)),

    lookupInvoice: (paymentHash) =>
      run("lookupInvoice", async () => {
        if (typeof paymentHash !== "string" || !hashPattern.test(paymentHash)) {
          throw adapterError(
            "lookupInvoice",
            "INVALID_INPUT",
            "paymentHash must be 64 lowercase hex characters",
          );
        }
        const { invoices } = await client.call("listinvoices", { payment_hash: paymentHash });
        const entry = invoices[0];
        return entry ? toInvoice(entry) : undefined;
      }),

    decodeInvoice: (paymentRequest) => run("decodeInvoice", () => decodeInvoice(paymentRequest)),

    payInvoice: (request: PayInvoiceRequest): Promise<PaymentResult> =>
      run("payInvoice", async () => {
        const decoded = await decodeInvoice(request.paymentRequest);
        // A second call for an invoice this adapter is paying right now waits for the first.
        const running = paying.get(decoded.paymentHash);
        if (running) return { ...(await running), alreadyPaid: true };
        const attempt = payWithCln({
          client,
          request,
          decoded,
          payMethod: options.payMethod ?? "auto",
          retryForSeconds: options.retryForSeconds ?? 60,
          log,
        });
        paying.set(decoded.paymentHash, attempt);
        try {
          return await attempt;
        } finally {
          paying.delete(decoded.paymentHash);
        }
      }),

    subscribeSettledInvoices(
      subscriptionOptions: SettledInvoiceSubscriptionOptions,
    ): SettledInvoiceSubscription {
      const subscription = startClnSettledStream({
        ...subscriptionOptions,
        createTransport,
        waitTimeoutSeconds: options.waitTimeoutSeconds ?? 30,
        reconnectDelayMs: options.reconnectDelayMs ?? { initial: 250, max: 5_000 },
        log,
      });
      const tracked: SettledInvoiceSubscription = {
        async close() {
          subscriptions.delete(tracked);
          await subscription.close();
        },
      };
      subscriptions.add(tracked);
      return tracked;
    },

    async close(): Promise<void> {
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      await client.transport.close();
    },

    /** The typed JSON-RPC client (no secrets reachable from it). */
    getInstance: () => client,
  };
  return adapter;
}
