/**
 * The buyer's policy and its checks, as pure functions: the price cap, the budgets, the fee limit,
 * and the anti-overcharge rules (after Filecoin's retrieval client): never pay more than what the
 * received bytes cost at the agreed price plus the agreed prepay, never exceed a budget, and never
 * pay an invoice whose amount, network, payee, hash or expiry do not match the quote.
 */
import { PeerpayError } from "./errors.js";
import type { OutgoingPaymentRecord } from "./ledger-store.js";
import { formatMsat, formatPrice, type Msat, type MsatPerGiB } from "./money.js";
import type { InvoiceOffer } from "./negotiation-schemas.js";
import type { DecodedInvoice, LightningNetwork } from "./payment-adapter.js";

export interface BuyerPolicy {
  /** The highest price accepted, msat per GiB. */
  readonly maxPriceMsatPerGiB: MsatPerGiB;
  /** Credit the buyer may hold with one seller ahead of the bytes it received (the agreed prepay). */
  readonly prepayMsat: Msat;
  /** Everything ever spent (amounts + fees, in-flight payments counted at their fee limit). */
  readonly totalBudgetMsat: Msat;
  /** Spent in the last 24 hours. Unlimited when absent. */
  readonly dailyBudgetMsat?: Msat;
  /** Spent with one seller. Unlimited when absent. */
  readonly perSellerBudgetMsat?: Msat;
  /** Spent on invoices for one torrent. Unlimited when absent. */
  readonly perTorrentBudgetMsat?: Msat;
  /** Routing fee limit per payment: base + amount × ppm / 10^6. Defaults 1000 msat and 10 000 ppm (1 %). */
  readonly feeLimitBaseMsat?: Msat;
  readonly feeLimitPpm?: number;
  /** Refuse invoices that expire sooner than this. Default 30 s. */
  readonly minInvoiceLifetimeSeconds?: number;
  /** How far the invoice's expiry may differ from the quote's. Default 5 s (BOLT11 has whole seconds). */
  readonly expiryToleranceSeconds?: number;
}

export function feeLimitFor(policy: BuyerPolicy, amount: Msat): Msat {
  const ppm = policy.feeLimitPpm ?? 10_000;
  if (!Number.isSafeInteger(ppm) || ppm < 0)
    throw new PeerpayError("INVALID_CONFIG", "feeLimitPpm must be a whole number ≥ 0");
  return (policy.feeLimitBaseMsat ?? 1_000n) + (amount * BigInt(ppm)) / 1_000_000n;
}

export function checkPrice(policy: BuyerPolicy, price: MsatPerGiB, what: string): void {
  if (price > policy.maxPriceMsatPerGiB) {
    throw new PeerpayError(
      "PRICE_TOO_HIGH",
      `${what} costs ${formatPrice(price)}, above the maximum of ${formatPrice(policy.maxPriceMsatPerGiB)}`,
      {
        details: {
          priceMsatPerGiB: formatMsat(price),
          maxPriceMsatPerGiB: formatMsat(policy.maxPriceMsatPerGiB),
        },
      },
    );
  }
}

/** Money committed by a payment: its amount plus the fee paid, or the fee limit while in flight. */
export function committedBy(payment: OutgoingPaymentRecord): Msat {
  if (payment.state === "failed") return 0n;
  return payment.amountMsat + (payment.state === "succeeded" ? (payment.feeMsat ?? 0n) : payment.maxFeeMsat);
}

export interface BudgetFacts {
  /** Payments (any state) to this seller. */
  readonly sellerPayments: readonly OutgoingPaymentRecord[];
  /** What the bytes received from this seller cost at the agreed prices. */
  readonly receivedCostMsat: Msat;
  /** Committed on this torrent (all sellers); only when the purchase names a torrent. */
  readonly torrentCommittedMsat?: Msat;
  readonly spentLastDayMsat: Msat;
  readonly spentTotalMsat: Msat;
}

/** Throws OVERCHARGE or BUDGET_EXCEEDED when paying `amount` with fee limit `feeLimit` is not allowed. */
export function checkBudgets(policy: BuyerPolicy, facts: BudgetFacts, amount: Msat, feeLimit: Msat): void {
  const cost = amount + feeLimit;
  let paidToSeller = 0n;
  let committedToSeller = 0n;
  for (const payment of facts.sellerPayments) {
    if (payment.state !== "failed") paidToSeller += payment.amountMsat;
    committedToSeller += committedBy(payment);
  }
  // Filecoin's rule: paid so far + this payment ≤ cost of received bytes + agreed prepay.
  const allowed = facts.receivedCostMsat + policy.prepayMsat;
  if (paidToSeller + amount > allowed) {
    const room = allowed > paidToSeller ? allowed - paidToSeller : 0n;
    throw new PeerpayError(
      "OVERCHARGE",
      `paying ${formatMsat(amount)} msat would put more than the received bytes' cost plus the prepay with this seller (room: ${formatMsat(room)} msat)`,
      { details: { amountMsat: formatMsat(amount), roomMsat: formatMsat(room) } },
    );
  }
  const over = (name: string, limit: Msat | undefined, used: Msat): void => {
    if (limit !== undefined && used + cost > limit) {
      throw new PeerpayError(
        "BUDGET_EXCEEDED",
        `the ${name} budget of ${formatMsat(limit)} msat would be exceeded (used ${formatMsat(used)}, this payment up to ${formatMsat(cost)})`,
        { details: { budget: name, limitMsat: formatMsat(limit), usedMsat: formatMsat(used) } },
      );
    }
  };
  over("per-seller", policy.perSellerBudgetMsat, committedToSeller);
  if (facts.torrentCommittedMsat !== undefined)
    over("per-torrent", policy.perTorrentBudgetMsat, facts.torrentCommittedMsat);
  over("daily", policy.dailyBudgetMsat, facts.spentLastDayMsat);
  over("total", policy.totalBudgetMsat, facts.spentTotalMsat);
}

export interface QuoteExpectations {
  readonly amountMsat: Msat;
  readonly network: LightningNetwork | string;
  readonly payee: string;
  /** Set when the buyer asked for bytes: the price and byte count the offer must repeat. */
  readonly priceMsatPerGiB?: MsatPerGiB;
  readonly bytes?: bigint;
  readonly infohash?: string;
}

/** Checks the seller's offer against what was asked and advertised (before decoding the invoice). */
export function checkOffer(offer: InvoiceOffer, expected: QuoteExpectations): void {
  const mismatch = (what: string, got: string, wanted: string) =>
    new PeerpayError("INVOICE_MISMATCH", `the offer's ${what} is ${got}, expected ${wanted}`, {
      details: { field: what },
    });
  if (offer.rail !== "lightning" || offer.scheme !== "bolt11")
    throw mismatch("rail", `${offer.rail}/${offer.scheme}`, "lightning/bolt11");
  if (BigInt(offer.amountMsat) !== expected.amountMsat)
    throw mismatch("amount", offer.amountMsat, formatMsat(expected.amountMsat));
  if (BigInt(offer.creditMsat) < expected.amountMsat)
    throw mismatch("credit", offer.creditMsat, `at least ${formatMsat(expected.amountMsat)}`);
  if (offer.network !== expected.network) throw mismatch("network", offer.network, expected.network);
  if (offer.payee !== expected.payee) throw mismatch("payee", offer.payee, expected.payee);
  if (expected.infohash !== undefined && offer.infohash !== expected.infohash) {
    throw mismatch("infohash", String(offer.infohash), expected.infohash);
  }
  if (
    expected.priceMsatPerGiB !== undefined &&
    offer.priceMsatPerGiB !== formatMsat(expected.priceMsatPerGiB)
  ) {
    throw mismatch("price", String(offer.priceMsatPerGiB), formatMsat(expected.priceMsatPerGiB));
  }
  if (expected.bytes !== undefined && offer.bytes !== expected.bytes.toString()) {
    throw mismatch("bytes", String(offer.bytes), expected.bytes.toString());
  }
}

/** Checks the invoice, as decoded by the buyer's own node, against the offer and the expectations. */
export function checkDecodedInvoice(
  policy: BuyerPolicy,
  decoded: DecodedInvoice,
  offer: InvoiceOffer,
  expected: QuoteExpectations,
  now: Date,
): void {
  const mismatch = (what: string, message: string) =>
    new PeerpayError("INVOICE_MISMATCH", `the invoice's ${what} ${message}`, { details: { field: what } });
  if (decoded.paymentHash !== offer.paymentHash) throw mismatch("payment hash", "differs from the offer's");
  if (decoded.amountMsat === undefined)
    throw mismatch("amount", "is missing (amountless invoices are never paid)");
  if (decoded.amountMsat !== expected.amountMsat) {
    throw mismatch(
      "amount",
      `is ${formatMsat(decoded.amountMsat)} msat, expected ${formatMsat(expected.amountMsat)}`,
    );
  }
  if (decoded.network !== expected.network)
    throw mismatch("network", `is ${decoded.network}, expected ${expected.network}`);
  if (decoded.payee !== expected.payee) throw mismatch("payee", "is not the seller's node");
  const toleranceMs = (policy.expiryToleranceSeconds ?? 5) * 1000;
  if (Math.abs(decoded.expiresAt.getTime() - Date.parse(offer.expiresAt)) > toleranceMs) {
    throw mismatch("expiry", "differs from the quote's");
  }
  const lifetimeMs = (policy.minInvoiceLifetimeSeconds ?? 30) * 1000;
  if (decoded.expiresAt.getTime() - now.getTime() < lifetimeMs) {
    throw new PeerpayError("INVOICE_EXPIRED", "the invoice has expired or expires too soon to pay safely");
  }
}
