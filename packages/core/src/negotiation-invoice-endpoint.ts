/**
 * POST /peerpay/v1/invoices: a buyer asks for credit and gets a BOLT11 invoice bound to its
 * identity. Every check runs before anything is created: a bad request creates no invoice on the
 * node and writes nothing to the store. The invoice is handed out only after it is recorded, so a
 * payment can never arrive for an invoice the ledger does not know.
 */
import { PeerpayError } from "./errors.js";
import type { IssuedInvoiceRecord } from "./ledger-store.js";
import { BYTES_PER_GIB, formatMsat, type Msat, type MsatPerGiB, parseMsat } from "./money.js";
import { readLimitedText } from "./negotiation-limits.js";
import type { NegotiationHandlerOptions, NegotiationLimits } from "./negotiation-options.js";
import { json } from "./negotiation-responses.js";
import { invoiceRequestSchema, negotiationPaths } from "./negotiation-schemas.js";
import type { NodeInfo } from "./payment-adapter.js";

export interface InvoiceEndpointDependencies {
  readonly options: NegotiationHandlerOptions;
  readonly limits: NegotiationLimits;
  readonly now: () => Date;
  readonly getNodeInfo: () => Promise<NodeInfo>;
}

interface CreditRequest {
  readonly amountMsat: Msat;
  readonly infohash?: string;
  readonly bytes?: bigint;
  readonly priceMsatPerGiB?: MsatPerGiB;
  readonly listenPorts: readonly number[];
}

export function createInvoiceEndpoint(dependencies: InvoiceEndpointDependencies) {
  const { options, limits, now, getNodeInfo } = dependencies;
  /** Invoices being created right now, per peer: closes the gap between count and record. */
  const creating = new Map<string, number>();

  const parse = async (request: Request): Promise<CreditRequest> => {
    const contentType = request.headers.get("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      throw new PeerpayError("INVALID_INPUT", "the body must be JSON (content-type: application/json)");
    }
    const text = await readLimitedText(request, limits.maxBodyBytes);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new PeerpayError("INVALID_INPUT", "the body is not valid JSON");
    }
    const parsed = invoiceRequestSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join(".") || "body";
      throw new PeerpayError("INVALID_INPUT", `${field}: ${issue?.message ?? "is not valid"}`, {
        details: { field },
      });
    }
    const body = parsed.data;
    const listenPorts = [...new Set(body.listenPorts ?? [])];
    if (body.amountMsat !== undefined) {
      const amountMsat = parseMsat(body.amountMsat, "amountMsat");
      return { amountMsat, listenPorts, ...(body.infohash === undefined ? {} : { infohash: body.infohash }) };
    }
    const infohash = body.infohash as string;
    const bytes = BigInt(body.bytes as string);
    const price = options.pricing.priceOf(infohash);
    if (price === 0n) {
      throw new PeerpayError("INVALID_INPUT", "this torrent is free; there is nothing to pay", {
        details: { field: "infohash" },
      });
    }
    // Round up: the credit must cover every byte asked for (the seller charges rounding down).
    const amountMsat = (bytes * price + BYTES_PER_GIB - 1n) / BYTES_PER_GIB;
    return { amountMsat, infohash, bytes, priceMsatPerGiB: price, listenPorts };
  };

  const checkAmount = (amount: Msat): void => {
    if (amount < limits.minInvoiceMsat || amount > limits.maxInvoiceMsat) {
      throw new PeerpayError(
        "INVALID_INPUT",
        `the invoice amount must be between ${formatMsat(limits.minInvoiceMsat)} and ${formatMsat(limits.maxInvoiceMsat)} msat (asked: ${formatMsat(amount)})`,
        {
          details: {
            field: "amountMsat",
            minInvoiceMsat: formatMsat(limits.minInvoiceMsat),
            maxInvoiceMsat: formatMsat(limits.maxInvoiceMsat),
          },
        },
      );
    }
  };

  const describe = (credit: CreditRequest, peer: string): string => {
    const text = options.describeInvoice
      ? options.describeInvoice({
          peer,
          amountMsat: credit.amountMsat,
          ...(credit.infohash ? { infohash: credit.infohash } : {}),
        })
      : `peerpay credit ${formatMsat(credit.amountMsat)} msat for ${peer}`;
    return text.slice(0, 600);
  };

  return async (request: Request, peer: string, requestedBy: string) => {
    const credit = await parse(request);
    checkAmount(credit.amountMsat);
    const at = now();
    const inProgress = creating.get(peer) ?? 0;
    creating.set(peer, inProgress + 1);
    try {
      const open = await options.store.countOpenInvoices(peer, at);
      if (open + inProgress >= limits.maxOpenInvoicesPerPeer) {
        throw new PeerpayError(
          "TOO_MANY_OPEN_INVOICES",
          `${open + inProgress} unpaid invoices are open for ${peer}; pay or let them expire first`,
          { details: { maxOpenInvoicesPerPeer: limits.maxOpenInvoicesPerPeer } },
        );
      }
      const info = await getNodeInfo();
      const invoice = await options.adapter.createInvoice({
        amountMsat: credit.amountMsat,
        description: describe(credit, peer),
        expirySeconds: limits.invoiceExpirySeconds,
      });
      const record: IssuedInvoiceRecord = {
        paymentHash: invoice.paymentHash,
        paymentRequest: invoice.paymentRequest,
        peer,
        requestedBy,
        amountMsat: credit.amountMsat,
        creditMsat: credit.amountMsat,
        ...(credit.infohash === undefined ? {} : { infohash: credit.infohash }),
        listenPorts: credit.listenPorts,
        rail: "lightning",
        state: "open",
        createdAt: invoice.createdAt,
        expiresAt: invoice.expiresAt,
      };
      await options.store.recordInvoice(record);
      return json(201, {
        rail: "lightning",
        scheme: "bolt11",
        network: info.network,
        payee: info.nodeId,
        paymentRequest: record.paymentRequest,
        paymentHash: record.paymentHash,
        amountMsat: formatMsat(record.amountMsat),
        creditMsat: formatMsat(record.creditMsat),
        peer,
        ...(credit.infohash === undefined ? {} : { infohash: credit.infohash }),
        ...(credit.bytes === undefined ? {} : { bytes: credit.bytes.toString() }),
        ...(credit.priceMsatPerGiB === undefined
          ? {}
          : { priceMsatPerGiB: formatMsat(credit.priceMsatPerGiB) }),
        listenPorts: record.listenPorts,
        createdAt: record.createdAt.toISOString(),
        expiresAt: record.expiresAt.toISOString(),
        statusPath: `${negotiationPaths.invoices}/${record.paymentHash}`,
      });
    } finally {
      const remaining = (creating.get(peer) ?? 1) - 1;
      if (remaining <= 0) creating.delete(peer);
      else creating.set(peer, remaining);
    }
  };
}
