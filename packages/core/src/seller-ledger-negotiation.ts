/**
 * The seller ledger as the parts the negotiation handler needs: the account view behind the
 * balance endpoint, the prices behind the well-known document and quotes, and the published terms.
 *
 *   const handler = createNegotiationHandler({ adapter, ...sellerNegotiationParts(ledger) });
 */
import type { ResolvedLedgerPolicy } from "./ledger-policy.js";
import type { MsatPerGiB } from "./money.js";
import type { NegotiationHandlerOptions, NegotiationTerms } from "./negotiation-options.js";
import type { SellerLedger } from "./seller-ledger.js";

export type SellerNegotiationParts = Pick<
  NegotiationHandlerOptions,
  "store" | "accounts" | "pricing" | "terms"
>;

export function sellerNegotiationParts(ledger: SellerLedger): SellerNegotiationParts {
  return {
    store: ledger.store,
    accounts: { getView: (peer) => ledger.getAccountView(peer) },
    pricing: {
      defaultPrice: () => ledger.priceBook.describe().defaultPriceMsatPerGiB,
      listPrices: () =>
        new Map<string, MsatPerGiB>(
          ledger.priceBook.describe().torrents.map((entry) => [entry.infohash, entry.priceMsatPerGiB]),
        ),
      priceOf: (infohash) => ledger.priceOf(infohash).priceMsatPerGiB,
    },
    terms: describeLedgerTerms(ledger.policy.configuration),
  };
}

/** The terms a seller publishes, from its ledger policy. */
export function describeLedgerTerms(policy: ResolvedLedgerPolicy): NegotiationTerms {
  const percent = Number(policy.creditGrowthBasisPoints) / 100;
  return {
    freeAllowanceBytes: policy.freeAllowanceBytes,
    blockThresholdMsat: policy.baseCreditLineMsat,
    unblockThresholdMsat: policy.resumeBalanceMsat,
    creditRule:
      policy.creditGrowthBasisPoints === 0n
        ? `a fixed credit line of ${policy.baseCreditLineMsat} msat`
        : `credit line = min(${policy.maxCreditLineMsat}, ${policy.baseCreditLineMsat} + ${percent}% of all you have paid) msat`,
  };
}
