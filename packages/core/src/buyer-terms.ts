/**
 * What a buyer learned from a seller's well-known document, checked before it is used: the
 * protocol version, a Lightning rail on the buyer's own network, the payee, the prices (which
 * become the agreed prices for the bytes the buyer then receives) and the invoice limits.
 */
import { PeerpayError } from "./errors.js";
import { formatMsat, type Msat, type MsatPerGiB } from "./money.js";
import { NEGOTIATION_PROTOCOL_VERSION, type WellKnownDocument } from "./negotiation-schemas.js";
import type { NodeInfo } from "./payment-adapter.js";

export interface SellerTerms {
  /** The seller's origin: the buyer ledger's key for it. */
  readonly origin: string;
  readonly document: WellKnownDocument;
  /** Network and payee every offer and invoice from this seller must carry. */
  readonly expectations: { readonly network: string; readonly payee: string };
  /** The seller's price for a torrent (its default when the torrent has none, or none is named). */
  priceOf(infohash?: string): MsatPerGiB;
  /** Throws INVALID_INPUT when the seller would refuse this invoice amount. */
  checkAmountLimits(amount: Msat): void;
}

export interface BuyerTermsCache {
  get(origin: string): SellerTerms | undefined;
  accept(origin: string, document: WellKnownDocument, ownNode: NodeInfo): SellerTerms;
  /** The price last accepted from this seller for this torrent. */
  agreedPrice(origin: string, infohash: string): MsatPerGiB | undefined;
}

export function createBuyerTerms(options: { ttlMs: number; now: () => Date }): BuyerTermsCache {
  const cache = new Map<string, { terms: SellerTerms; until: number }>();
  const agreed = new Map<string, SellerTerms>();
  return {
    get(origin) {
      const entry = cache.get(origin);
      if (!entry || entry.until <= options.now().getTime()) return undefined;
      return entry.terms;
    },
    accept(origin, document, ownNode) {
      const terms = toSellerTerms(origin, document, ownNode);
      cache.set(origin, { terms, until: options.now().getTime() + options.ttlMs });
      agreed.set(origin, terms);
      return terms;
    },
    agreedPrice(origin, infohash) {
      return agreed.get(origin)?.priceOf(infohash);
    },
  };
}

function toSellerTerms(origin: string, document: WellKnownDocument, ownNode: NodeInfo): SellerTerms {
  if (!document.versions.includes(NEGOTIATION_PROTOCOL_VERSION)) {
    throw new PeerpayError(
      "UNSUPPORTED",
      `seller ${origin} does not speak protocol version ${NEGOTIATION_PROTOCOL_VERSION}`,
    );
  }
  const rail = document.rails.find(
    (candidate) =>
      candidate.rail === "lightning" &&
      candidate.scheme === "bolt11" &&
      candidate.network === ownNode.network,
  );
  if (!rail) {
    throw new PeerpayError(
      "UNSUPPORTED",
      `seller ${origin} accepts no Lightning BOLT11 payment on ${ownNode.network} (offers: ${document.rails
        .map((candidate) => `${candidate.rail}/${candidate.scheme}/${candidate.network}`)
        .join(", ")})`,
    );
  }
  if (document.simulated !== ownNode.simulated) {
    throw new PeerpayError(
      "UNSUPPORTED",
      `seller ${origin} is ${document.simulated ? "" : "not "}on a simulated network`,
    );
  }
  const defaultPrice = BigInt(document.prices.default);
  const byInfohash = new Map<string, MsatPerGiB>();
  for (const [infohash, price] of Object.entries(document.prices.byInfohash)) {
    byInfohash.set(infohash.toLowerCase(), BigInt(price));
  }
  const minimum = BigInt(document.limits.minInvoiceMsat);
  const maximum = BigInt(document.limits.maxInvoiceMsat);
  return {
    origin,
    document,
    expectations: { network: rail.network, payee: rail.payee },
    priceOf: (infohash) =>
      infohash === undefined ? defaultPrice : (byInfohash.get(infohash.toLowerCase()) ?? defaultPrice),
    checkAmountLimits(amount) {
      if (amount < minimum || amount > maximum) {
        throw new PeerpayError(
          "INVALID_INPUT",
          `seller ${origin} issues invoices of ${formatMsat(minimum)} to ${formatMsat(maximum)} msat, not ${formatMsat(amount)}`,
        );
      }
    },
  };
}
