/**
 * Buyer-side rules of the ledger store contract: one payment per payment hash, completion,
 * what was spent (pending money counts), bytes received per seller, and the itemised history.
 */
import { describe, expect, it } from "vitest";
import type { LedgerStoreConformanceContext } from "./ledger-store-conformance.js";
import {
  at,
  INFOHASH,
  invoice,
  outgoing,
  rejectionCode,
  settlement,
  usage,
} from "./ledger-store-conformance-fixtures.js";

const SELLER = "http://192.0.2.20:9735";
const OTHER_SELLER = "http://[2001:db8::20]:9735";

export function defineBuyerConformance(context: LedgerStoreConformanceContext): void {
  const store = () => context.store();

  describe("outgoing payments", () => {
    it("begins a payment once: a second begin with the same hash is a CONFLICT", async () => {
      const payment = outgoing(SELLER, 5000n);
      await store().beginPayment(payment);
      expect(await rejectionCode(store().beginPayment(payment))).toBe("CONFLICT");
      expect(await store().getPayment(payment.paymentHash)).toMatchObject({
        state: "pending",
        amountMsat: 5000n,
        maxFeeMsat: 100n,
        seller: SELLER,
      });
    });

    it("lets exactly one of many concurrent begins for one hash through", async () => {
      const payment = outgoing(SELLER, 5000n);
      const codes = await Promise.all(
        Array.from({ length: 20 }, () => rejectionCode(store().beginPayment(payment))),
      );
      expect(codes.filter((code) => code === "resolved")).toHaveLength(1);
      expect(codes.filter((code) => code === "CONFLICT")).toHaveLength(19);
    });

    it("completes a payment into the seller account, idempotently", async () => {
      const payment = outgoing(SELLER, 5000n);
      await store().beginPayment(payment);
      const success = { state: "succeeded", feeMsat: 12n, preimage: "aa".repeat(32) } as const;
      await store().completePayment(payment.paymentHash, success, at(6));
      await store().completePayment(payment.paymentHash, success, at(7));
      expect(await store().getPayment(payment.paymentHash)).toMatchObject({
        state: "succeeded",
        feeMsat: 12n,
        preimage: "aa".repeat(32),
      });
      expect((await store().getPayment(payment.paymentHash))?.completedAt?.getTime()).toBe(at(6).getTime());
      expect(await store().getSellerAccount(SELLER)).toMatchObject({
        paidMsat: 5000n,
        feesMsat: 12n,
        paymentsMade: 1,
      });
      const failure = { state: "failed", failureCode: "NO_ROUTE" } as const;
      expect(await rejectionCode(store().completePayment(payment.paymentHash, failure, at(8)))).toBe(
        "CONFLICT",
      );
      expect(await rejectionCode(store().completePayment("cd".repeat(32), failure, at(8)))).toBe("NOT_FOUND");
    });

    it("records a failed payment without paying the seller", async () => {
      const payment = outgoing(SELLER, 5000n);
      await store().beginPayment(payment);
      await store().completePayment(payment.paymentHash, { state: "failed", failureCode: "NO_ROUTE" }, at(6));
      expect(await store().getPayment(payment.paymentHash)).toMatchObject({
        state: "failed",
        failureCode: "NO_ROUTE",
      });
      expect((await store().getSellerAccount(SELLER))?.paidMsat ?? 0n).toBe(0n);
    });

    it("counts pending payments (amount + fee limit) and succeeded ones (amount + fee) as spent", async () => {
      const succeeded = outgoing(SELLER, 1000n, { createdAt: at(10) });
      const pending = outgoing(SELLER, 2000n, { createdAt: at(11), maxFeeMsat: 30n });
      const failed = outgoing(SELLER, 4000n, { createdAt: at(12) });
      const old = outgoing(SELLER, 8000n, { createdAt: at(1) });
      for (const payment of [succeeded, pending, failed, old]) await store().beginPayment(payment);
      await store().completePayment(
        succeeded.paymentHash,
        { state: "succeeded", feeMsat: 5n, preimage: "bb" },
        at(13),
      );
      await store().completePayment(failed.paymentHash, { state: "failed", failureCode: "NO_ROUTE" }, at(13));
      expect(await store().spentSince(at(5))).toBe(1000n + 5n + 2000n + 30n);
      expect(await store().spentSince(at(0))).toBe(1000n + 5n + 2000n + 30n + 8000n + 100n);
      expect(await store().spentSince(at(100))).toBe(0n);
      expect(
        (await store().listPayments({ state: "pending" })).map((payment) => payment.paymentHash).sort(),
      ).toEqual([pending.paymentHash, old.paymentHash].sort());
      expect(await store().listPayments({ seller: OTHER_SELLER })).toEqual([]);
      expect(await store().listPayments()).toHaveLength(4);
    });
  });

  describe("bytes received", () => {
    it("sums received bytes and their cost per seller, all or nothing", async () => {
      const record = {
        seller: SELLER,
        infohash: INFOHASH,
        bytes: 2048n,
        priceMsatPerGiB: 1000n,
        costMsat: 3n,
        at: at(2),
      };
      await store().recordReceived([record, { ...record, seller: OTHER_SELLER }, record]);
      expect(await store().getSellerAccount(SELLER)).toMatchObject({ bytesReceived: 4096n, costMsat: 6n });
      const bad = [record, { ...record, bytes: -1n }];
      expect(await rejectionCode(store().recordReceived(bad))).toBe("INVALID_INPUT");
      expect(await store().getSellerAccount(SELLER)).toMatchObject({ bytesReceived: 4096n, costMsat: 6n });
      expect((await store().listSellerAccounts()).map((account) => account.seller).sort()).toEqual(
        [SELLER, OTHER_SELLER].sort(),
      );
    });
  });

  describe("history", () => {
    it("itemises every event in order, signed from the owner's view, and filters", async () => {
      const peer = "192.0.2.30";
      const record = invoice(peer, 9000n, { createdAt: at(1) });
      await store().recordUsage([usage(peer, 1024n, 2n, { at: at(0) })]);
      await store().recordInvoice(record);
      await store().applySettlement(settlement(record, "1", { settledAt: at(2) }));
      await store().setBlocked(peer, true, "test", at(3));
      const payment = outgoing(SELLER, 700n, { createdAt: at(4) });
      await store().beginPayment(payment);
      await store().completePayment(
        payment.paymentHash,
        { state: "succeeded", feeMsat: 3n, preimage: "cc" },
        at(5),
      );
      await store().recordReceived([
        { seller: SELLER, infohash: INFOHASH, bytes: 10n, priceMsatPerGiB: 1n, costMsat: 1n, at: at(6) },
      ]);

      const all = await store().history();
      expect(all.map((entry) => entry.kind)).toEqual([
        "usage",
        "invoice",
        "settlement",
        "block",
        "payment",
        "payment",
        "received",
      ]);
      const ids = all.map((entry) => entry.id);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      expect(new Set(ids).size).toBe(ids.length);
      const settled = all.find((entry) => entry.kind === "settlement");
      expect(settled).toMatchObject({
        counterparty: peer,
        amountMsat: 9000n,
        paymentHash: record.paymentHash,
      });
      expect(all[0]).toMatchObject({ counterparty: peer, bytes: 1024n, amountMsat: 2n, infohash: INFOHASH });
      expect(all[5]).toMatchObject({ counterparty: SELLER, amountMsat: -703n });
      expect(all[6]).toMatchObject({ amountMsat: -1n, bytes: 10n });

      expect((await store().history({ counterparty: peer })).map((entry) => entry.kind)).toEqual([
        "usage",
        "invoice",
        "settlement",
        "block",
      ]);
      expect((await store().history({ since: at(2), until: at(5) })).map((entry) => entry.kind)).toEqual([
        "settlement",
        "block",
        "payment",
      ]);
      expect(await store().history({ kinds: ["received", "usage"], limit: 1 })).toHaveLength(1);
      expect(await store().history({ kinds: [] })).toEqual([]);
      expect(await rejectionCode(store().history({ limit: -1 }))).toBe("INVALID_INPUT");
    });
  });
}
