/**
 * The seller's negotiation endpoint (protocol v1, docs/protocol.md) as a Fetch-standard handler:
 * `(request, { remoteAddress }) => Promise<Response>`. Host it with `serveNegotiation` or any
 * framework that can hand over the connection's remote address.
 */
import { isPeerpayError, PeerpayError } from "./errors.js";
import { formatMsat } from "./money.js";
import { createInvoiceEndpoint } from "./negotiation-invoice-endpoint.js";
import { createRateLimiter } from "./negotiation-limits.js";
import {
  defaultNegotiationLimits,
  type NegotiationHandler,
  type NegotiationHandlerOptions,
  type NegotiationLimits,
} from "./negotiation-options.js";
import { errorResponse, json } from "./negotiation-responses.js";
import { NEGOTIATION_PROTOCOL_VERSION, negotiationPaths, paymentHashSchema } from "./negotiation-schemas.js";
import type { NodeInfo } from "./payment-adapter.js";
import { tryNormalizeAddress } from "./peer-identity.js";

export function createNegotiationHandler(options: NegotiationHandlerOptions): NegotiationHandler {
  const limits: NegotiationLimits = { ...defaultNegotiationLimits, ...options.limits };
  if (limits.minInvoiceMsat < 1n || limits.maxInvoiceMsat < limits.minInvoiceMsat) {
    throw new PeerpayError("INVALID_CONFIG", "limits need 1 ≤ minInvoiceMsat ≤ maxInvoiceMsat");
  }
  const now = options.now ?? (() => new Date());
  const limiter = createRateLimiter({ ...limits, now: () => now().getTime() });
  let nodeInfo: Promise<NodeInfo> | undefined;
  const getNodeInfo = (): Promise<NodeInfo> => {
    nodeInfo ??= options.adapter.getInfo().catch((error: unknown) => {
      nodeInfo = undefined;
      throw error;
    });
    return nodeInfo;
  };
  const railsOf = (info: NodeInfo) => [
    {
      rail: "lightning",
      scheme: "bolt11",
      network: info.network,
      asset: "BTC",
      unit: "msat",
      payee: info.nodeId,
    },
  ];
  const invoiceEndpoint = createInvoiceEndpoint({ options, limits, now, getNodeInfo });

  const wellKnown = async (peer: string): Promise<Response> => {
    const info = await getNodeInfo();
    const byInfohash: Record<string, string> = {};
    for (const [infohash, price] of options.pricing.listPrices()) byInfohash[infohash] = formatMsat(price);
    const { terms } = options;
    return json(200, {
      protocol: "peerpay",
      version: NEGOTIATION_PROTOCOL_VERSION,
      versions: [NEGOTIATION_PROTOCOL_VERSION],
      node: { id: info.nodeId, alias: info.alias },
      simulated: info.simulated,
      rails: railsOf(info),
      prices: { unit: "msat/GiB", default: formatMsat(options.pricing.defaultPrice()), byInfohash },
      terms: {
        freeAllowanceBytes: terms.freeAllowanceBytes.toString(),
        blockThresholdMsat: formatMsat(terms.blockThresholdMsat),
        ...(terms.unblockThresholdMsat === undefined
          ? {}
          : { unblockThresholdMsat: formatMsat(terms.unblockThresholdMsat) }),
        ...(terms.creditRule === undefined ? {} : { creditRule: terms.creditRule }),
      },
      limits: {
        maxBodyBytes: limits.maxBodyBytes,
        maxOpenInvoicesPerPeer: limits.maxOpenInvoicesPerPeer,
        requestsPerSecond: limits.requestsPerSecond,
        burst: limits.burst,
        minInvoiceMsat: formatMsat(limits.minInvoiceMsat),
        maxInvoiceMsat: formatMsat(limits.maxInvoiceMsat),
        invoiceExpirySeconds: limits.invoiceExpirySeconds,
      },
      identity: { binding: "remote-address", address: peer },
      endpoints: { invoices: negotiationPaths.invoices, balance: negotiationPaths.balance },
    });
  };

  const balance = async (peer: string): Promise<Response> => {
    const view = await options.accounts.getView(peer);
    const paymentRequired = view.blocked || view.amountToUnblockMsat > 0n;
    const body: Record<string, unknown> = {
      peer,
      balanceMsat: view.balanceMsat.toString(),
      debtMsat: formatMsat(view.debtMsat),
      blocked: view.blocked,
      ...(view.blockedReason === undefined ? {} : { blockedReason: view.blockedReason }),
      amountToUnblockMsat: formatMsat(view.amountToUnblockMsat),
      ...(view.freeBytesRemaining === undefined
        ? {}
        : { freeBytesRemaining: view.freeBytesRemaining.toString() }),
      paymentRequired,
    };
    if (!paymentRequired) return json(200, body);
    // GET stays safe: the offer says what to POST for an invoice instead of minting one here.
    const wanted =
      view.offerMsat !== undefined && view.offerMsat > view.amountToUnblockMsat
        ? view.offerMsat
        : view.amountToUnblockMsat;
    const amount = clampMsat(wanted, limits.minInvoiceMsat, limits.maxInvoiceMsat);
    const info = await getNodeInfo();
    return json(402, {
      code: "PAYMENT_REQUIRED",
      message: `pay ${formatMsat(view.amountToUnblockMsat)} msat to be unblocked`,
      ...body,
      offer: {
        amountMsat: formatMsat(amount),
        method: "POST",
        path: negotiationPaths.invoices,
        body: { amountMsat: formatMsat(amount) },
        rails: railsOf(info),
      },
    });
  };

  const invoiceStatus = async (hashText: string): Promise<Response> => {
    const parsed = paymentHashSchema.safeParse(hashText);
    if (!parsed.success)
      throw new PeerpayError("INVALID_INPUT", "the payment hash must be 64 hex characters");
    const invoice = await options.store.getInvoice(parsed.data);
    if (!invoice) throw new PeerpayError("NOT_FOUND", "no invoice with that payment hash");
    const expired = invoice.state === "open" && invoice.expiresAt.getTime() <= now().getTime();
    return json(200, {
      paymentHash: invoice.paymentHash,
      state: expired ? "expired" : invoice.state,
      amountMsat: formatMsat(invoice.amountMsat),
      creditMsat: formatMsat(invoice.creditMsat),
      peer: invoice.peer,
      ...(invoice.infohash === undefined ? {} : { infohash: invoice.infohash }),
      createdAt: invoice.createdAt.toISOString(),
      expiresAt: invoice.expiresAt.toISOString(),
      ...(invoice.settledAt === undefined ? {} : { settledAt: invoice.settledAt.toISOString() }),
    });
  };

  return async (request, context) => {
    try {
      const remote = tryNormalizeAddress(context?.remoteAddress ?? "");
      if (remote === undefined)
        throw new PeerpayError("INVALID_INPUT", "the remote address is not an IP address");
      const decision = limiter.take(remote);
      if (!decision.allowed) {
        return errorResponse(new PeerpayError("RATE_LIMITED", "too many requests; slow down"), {
          "retry-after": String(decision.retryAfterSeconds),
        });
      }
      const peer = options.identify
        ? identityOf(options.identify(request, { remoteAddress: remote }))
        : remote;
      const path = pathOf(request.url);
      const method = request.method.toUpperCase();
      if (path === negotiationPaths.wellKnown)
        return method === "GET" ? await wellKnown(peer) : wrongMethod("GET");
      if (path === negotiationPaths.balance)
        return method === "GET" ? await balance(peer) : wrongMethod("GET");
      if (path === negotiationPaths.invoices) {
        return method === "POST" ? await invoiceEndpoint(request, peer, remote) : wrongMethod("POST");
      }
      if (path.startsWith(`${negotiationPaths.invoices}/`)) {
        return method === "GET"
          ? await invoiceStatus(path.slice(negotiationPaths.invoices.length + 1))
          : wrongMethod("GET");
      }
      throw new PeerpayError("NOT_FOUND", "no such endpoint; see /.well-known/peerpay");
    } catch (error) {
      if (isPeerpayError(error) && error.code !== "INTERNAL") return errorResponse(error);
      options.onError?.(error);
      return errorResponse(new PeerpayError("INTERNAL", "internal error"));
    }
  };
}

function identityOf(value: string): string {
  const peer = tryNormalizeAddress(value);
  if (peer === undefined)
    throw new PeerpayError("INVALID_INPUT", "the requester could not be identified by an IP address");
  return peer;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    throw new PeerpayError("INVALID_INPUT", "the request URL is not valid");
  }
}

function wrongMethod(allowed: string): Response {
  return errorResponse(new PeerpayError("INVALID_INPUT", `this endpoint only answers ${allowed}`), {
    allow: allowed,
  });
}

function clampMsat(value: bigint, low: bigint, high: bigint): bigint {
  if (value < low) return low;
  return value > high ? high : value;
}
