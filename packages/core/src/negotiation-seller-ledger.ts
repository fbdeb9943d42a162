/**
 * Connects the negotiation handler to the seller ledger: the balance endpoint reads the ledger's
 * account view, the price list comes from the price book, and the published terms from the ledger
 * policy. `createNegotiationHandler({ adapter, store: ledger.store, ...negotiationFromSellerLedger(ledger) })`.
 */
import type { ResolvedLedgerPolicy } from "./ledger-policy.js";
import type { MsatPerGiB } from "./money.js";
import type { NegotiationAccounts, NegotiationPricing, NegotiationTerms } from "./negotiation-options.js";
import type { SellerLedger } from "./seller-ledger.js";

export interface SellerLedgerNegotiation {
  readonly accounts: NegotiationAccounts;
  readonly pricing: NegotiationPricing;
  readonly terms: NegotiationTerms;
}

export function negotiationFromSellerLedger(ledger: SellerLedger): SellerLedgerNegotiation {
  const policy = ledger.policy.configuration;
  return {
    accounts: {
      async getView(peer) {
        const view = await ledger.getAccountView(peer);
        return {
          balanceMsat: view.balanceMsat,
          debtMsat: view.debtMsat,
          blocked: view.blocked,
          ...(view.blockedReason === undefined ? {} : { blockedReason: view.blockedReason }),
          amountToUnblockMsat: view.amountToUnblockMsat,
          freeBytesRemaining: view.freeBytesRemaining,
          // A blocked peer is offered what clears its debt plus the prepay; others nothing.
          offerMsat: view.blocked ? view.offerMsat : 0n,
        };
      },
    },
    pricing: {
      defaultPrice: () => ledger.priceBook.describe().defaultPriceMsatPerGiB,
      listPrices: () => {
        const prices = new Map<string, MsatPerGiB>();
        for (const torrent of ledger.priceBook.describe().torrents)
          prices.set(torrent.infohash, torrent.priceMsatPerGiB);
        return prices;
      },
      priceOf: (infohash) => ledger.priceOf(infohash).priceMsatPerGiB,
    },
    terms: describeLedgerTerms(policy),
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
