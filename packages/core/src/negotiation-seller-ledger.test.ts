import { describe, expect, it } from "vitest";
import { createLedgerPolicy } from "./ledger-policy.js";
import { createMemoryLedgerStore } from "./memory-ledger-store.js";
import { describeLedgerTerms, negotiationFromSellerLedger } from "./negotiation-seller-ledger.js";
import { createPriceBook } from "./price-book.js";
import { createSellerLedger } from "./seller-ledger.js";

describe("the seller ledger behind the negotiation handler", () => {
  const store = createMemoryLedgerStore();
  const ledger = createSellerLedger({
    store,
    priceBook: createPriceBook({ defaultPrice: "10 sat/GiB", torrents: { ["a".repeat(40)]: "50 sat/GiB" } }),
    policy: createLedgerPolicy({
      freeAllowanceBytes: 1000,
      baseCreditLineMsat: 2000n,
      resumeBalanceMsat: 500n,
    }),
  });
  const parts = negotiationFromSellerLedger(ledger);

  it("publishes the prices and the policy's terms", () => {
    expect(parts.pricing.defaultPrice()).toBe(10_000n);
    expect([...parts.pricing.listPrices()]).toEqual([["a".repeat(40), 50_000n]]);
    expect(parts.pricing.priceOf("A".repeat(40))).toBe(50_000n);
    expect(parts.pricing.priceOf("b".repeat(40))).toBe(10_000n);
    expect(parts.terms).toEqual({
      freeAllowanceBytes: 1000n,
      blockThresholdMsat: 2000n,
      unblockThresholdMsat: 500n,
      creditRule: "credit line = min(1000000, 2000 + 10% of all you have paid) msat",
    });
    expect(
      describeLedgerTerms(createLedgerPolicy({ creditGrowthBasisPoints: 0 }).configuration).creditRule,
    ).toBe("a fixed credit line of 5000 msat");
  });

  it("answers the balance view from the ledger", async () => {
    await store.setBlocked("192.0.2.4", true, "debt", new Date());
    expect(await parts.accounts.getView("192.0.2.4")).toMatchObject({
      blocked: true,
      balanceMsat: 0n,
      amountToUnblockMsat: 500n,
      offerMsat: 10_500n,
    });
    // A peer in good standing is offered nothing: it has nothing to pay.
    expect(await parts.accounts.getView("192.0.2.5")).toMatchObject({ blocked: false, offerMsat: 0n });
  });
});
