/**
 * Seller-side rules of the ledger store contract: usage batches, blocked state, issued invoices,
 * exactly-once settlement with the cursor, and persistence across a reopen.
 */
import { accountBalance, MAX_MSAT } from "@peerpay/core";
import { describe, expect, it } from "vitest";
import type { LedgerStoreConformanceContext } from "./ledger-store-conformance.js";
import { at, invoice, rejectionCode, settlement, usage } from "./ledger-store-conformance-fixtures.js";

const PEER = "192.0.2.10";
const OTHER = "2001:db8::7";

export function defineSellerConformance(context: LedgerStoreConformanceContext): void {
  const store = () => context.store();

  describe("usage", () => {
    it("sums usage per peer and keeps free bytes apart", async () => {
      await store().recordUsage([
        usage(PEER, 1000n, 0n, { freeBytes: 1000n }),
        usage(PEER, 4000n, 7n, { freeBytes: 500n }),
        usage(OTHER, 10n, 1n),
      ]);
      const account = await store().getAccount(PEER);
      expect(account).toMatchObject({ peer: PEER, costMsat: 7n, bytesServed: 5000n, freeBytesUsed: 1500n });
      expect(account?.creditMsat).toBe(0n);
      expect(account?.blocked).toBe(false);
      expect(accountBalance(account!)).toBe(-7n);
      expect((await store().listAccounts()).map((entry) => entry.peer).sort()).toEqual([PEER, OTHER].sort());
      expect(await store().getAccount("198.51.100.99")).toBeUndefined();
    });

    it("applies a usage batch all or nothing", async () => {
      await store().recordUsage([usage(PEER, 100n, 1n)]);
      const bad = [usage(PEER, 100n, 1n), usage(OTHER, 100n, 1n), usage(PEER, 10n, 1n, { freeBytes: 11n })];
      expect(await rejectionCode(store().recordUsage(bad))).toBe("INVALID_INPUT");
      expect(await store().getAccount(PEER)).toMatchObject({ costMsat: 1n, bytesServed: 100n });
      expect(await store().getAccount(OTHER)).toBeUndefined();
      expect(await store().history({ kinds: ["usage"] })).toHaveLength(1);
      // negative amounts and floats are refused too
      const negative = usage(PEER, 1n, -1n);
      expect(await rejectionCode(store().recordUsage([negative]))).toBe("INVALID_INPUT");
      const float = { ...usage(PEER, 1n, 1n), bytes: 1.5 as unknown as bigint };
      expect(await rejectionCode(store().recordUsage([float]))).toBe("INVALID_INPUT");
      await store().recordUsage([]);
      expect(await store().getAccount(PEER)).toMatchObject({ costMsat: 1n, bytesServed: 100n });
    });
  });

  describe("blocked state", () => {
    it("stores block and unblock with reason and time, one history line per change", async () => {
      await store().recordUsage([usage(PEER, 100n, 50n)]);
      await store().setBlocked(PEER, true, "debt over credit line", at(20));
      await store().setBlocked(PEER, true, "still in debt", at(21));
      let account = await store().getAccount(PEER);
      expect(account).toMatchObject({ blocked: true, blockedReason: "still in debt" });
      expect(account?.blockedSince?.getTime()).toBe(at(20).getTime());
      await store().setBlocked(PEER, false, "paid up", at(30));
      account = await store().getAccount(PEER);
      expect(account?.blocked).toBe(false);
      expect(account?.blockedSince).toBeUndefined();
      const lines = await store().history({ counterparty: PEER, kinds: ["block", "unblock"] });
      expect(lines.map((line) => [line.kind, line.note])).toEqual([
        ["block", "debt over credit line"],
        ["unblock", "paid up"],
      ]);
    });

    it("can block a peer it has no usage for yet", async () => {
      await store().setBlocked(OTHER, true, "manual", at(1));
      expect(await store().getAccount(OTHER)).toMatchObject({ blocked: true, costMsat: 0n, creditMsat: 0n });
    });
  });

  describe("issued invoices", () => {
    it("round-trips an invoice and refuses a second one with the same payment hash", async () => {
      const record = invoice(PEER, 25_000n, { listenPorts: [51413, 6881], creditMsat: 24_000n });
      await store().recordInvoice(record);
      expect(await store().getInvoice(record.paymentHash)).toEqual(record);
      expect(await rejectionCode(store().recordInvoice({ ...record, amountMsat: 1n }))).toBe("CONFLICT");
      expect((await store().getInvoice(record.paymentHash))?.amountMsat).toBe(25_000n);
      expect(await store().getInvoice("ff".repeat(32))).toBeUndefined();
    });

    it("counts open, unexpired invoices per peer", async () => {
      await store().recordInvoice(invoice(PEER, 1000n, { expiresAt: at(100) }));
      await store().recordInvoice(invoice(PEER, 1000n, { expiresAt: at(200) }));
      await store().recordInvoice(invoice(OTHER, 1000n, { expiresAt: at(200) }));
      const paid = invoice(PEER, 1000n, { expiresAt: at(200) });
      await store().recordInvoice(paid);
      await store().applySettlement(settlement(paid, "1"));
      expect(await store().countOpenInvoices(PEER, at(50))).toBe(2);
      expect(await store().countOpenInvoices(PEER, at(150))).toBe(1);
      expect(await store().countOpenInvoices(PEER, at(250))).toBe(0);
      expect(await store().countOpenInvoices(OTHER, at(50))).toBe(1);
    });
  });

  describe("exactly-once settlement", () => {
    it("credits a settled invoice once, marks it settled and stores the cursor", async () => {
      await store().recordUsage([usage(PEER, 1000n, 4000n)]);
      const record = invoice(PEER, 10_000n);
      await store().recordInvoice(record);
      const first = await store().applySettlement(settlement(record, "7"));
      expect(first.credited).toBe(true);
      expect(first.account).toMatchObject({ creditMsat: 10_000n, paymentsSettled: 1 });
      expect(first.invoice?.state).toBe("settled");
      expect(await store().getCursor("sim:conformance")).toBe("7");
      const again = await store().applySettlement(settlement(record, "7"));
      expect(again).toMatchObject({ credited: false, reason: "already-credited" });
      const account = await store().getAccount(PEER);
      expect(account).toMatchObject({ creditMsat: 10_000n, paymentsSettled: 1 });
      expect(accountBalance(account!)).toBe(6000n);
      const stored = await store().getInvoice(record.paymentHash);
      expect(stored?.state).toBe("settled");
      expect(stored?.settledAt?.getTime()).toBe(at(10).getTime());
      expect(await store().history({ kinds: ["settlement"] })).toHaveLength(1);
    });

    it("credits once under many concurrent duplicate deliveries", async () => {
      const record = invoice(PEER, 3000n);
      await store().recordInvoice(record);
      const results = await Promise.all(
        Array.from({ length: 40 }, () => store().applySettlement(settlement(record, "3"))),
      );
      expect(results.filter((result) => result.credited)).toHaveLength(1);
      expect(results.filter((result) => result.reason === "already-credited")).toHaveLength(39);
      expect(await store().getAccount(PEER)).toMatchObject({ creditMsat: 3000n, paymentsSettled: 1 });
    });

    it("loses no credit when different invoices for one peer settle concurrently", async () => {
      const records = Array.from({ length: 25 }, (_, index) => invoice(PEER, BigInt(1000 + index)));
      for (const record of records) await store().recordInvoice(record);
      const deliveries = records.flatMap((record, index) => [
        settlement(record, String(index + 1)),
        settlement(record, String(index + 1)),
      ]);
      const results = await Promise.all(deliveries.map((delivery) => store().applySettlement(delivery)));
      expect(results.filter((result) => result.credited)).toHaveLength(25);
      const expected = records.reduce((sum, record) => sum + record.amountMsat, 0n);
      expect(await store().getAccount(PEER)).toMatchObject({ creditMsat: expected, paymentsSettled: 25 });
      expect(await store().getCursor("sim:conformance")).toBe("25");
    });

    it("credits nothing for an unknown invoice but still moves the cursor", async () => {
      const result = await store().applySettlement({
        paymentHash: "ab".repeat(32),
        receivedMsat: 5000n,
        settledAt: at(1),
        cursorKey: "sim:conformance",
        cursor: "4",
      });
      expect(result).toMatchObject({ credited: false, reason: "unknown-invoice" });
      expect(await store().listAccounts()).toEqual([]);
      expect(await store().getCursor("sim:conformance")).toBe("4");
    });

    it("never moves a decimal cursor back, and keeps cursors per key", async () => {
      const late = invoice(PEER, 1000n);
      const early = invoice(PEER, 1000n);
      await store().recordInvoice(late);
      await store().recordInvoice(early);
      await store().applySettlement(settlement(late, "12"));
      await store().applySettlement(settlement(early, "9"));
      expect(await store().getCursor("sim:conformance")).toBe("12");
      expect(await store().getAccount(PEER)).toMatchObject({ creditMsat: 2000n });
      const other = invoice(PEER, 1n);
      await store().recordInvoice(other);
      await store().applySettlement(settlement(other, "3", { cursorKey: "lnd:other-node" }));
      expect(await store().getCursor("lnd:other-node")).toBe("3");
      expect(await store().getCursor("sim:conformance")).toBe("12");
      expect(await store().getCursor("never-used")).toBeUndefined();
    });

    it("credits an overpayment and an any-amount invoice with what was received", async () => {
      const fixed = invoice(PEER, 1000n, { creditMsat: 900n });
      const open = invoice(PEER, 0n, { creditMsat: 0n });
      await store().recordInvoice(fixed);
      await store().recordInvoice(open);
      await store().applySettlement(settlement(fixed, "1", { receivedMsat: 1500n }));
      await store().applySettlement(settlement(open, "2", { receivedMsat: 4321n }));
      expect((await store().getAccount(PEER))?.creditMsat).toBe(900n + 500n + 4321n);
    });

    it("round-trips amounts near the largest values", async () => {
      const big = invoice(OTHER, MAX_MSAT);
      await store().recordInvoice(big);
      await store().applySettlement(settlement(big, "99999999999999999"));
      await store().recordUsage([usage(OTHER, (1n << 62n) + 3n, MAX_MSAT - 1n)]);
      const account = await store().getAccount(OTHER);
      expect(account?.creditMsat).toBe(MAX_MSAT);
      expect(account?.costMsat).toBe(MAX_MSAT - 1n);
      expect(account?.bytesServed).toBe((1n << 62n) + 3n);
      expect(typeof account?.bytesServed).toBe("bigint");
      expect((await store().getInvoice(big.paymentHash))?.amountMsat).toBe(MAX_MSAT);
      expect(await store().getCursor("sim:conformance")).toBe("99999999999999999");
      // a total past what the store can hold is refused, and nothing changes
      const tooMuch = Array.from({ length: 5 }, () => usage(OTHER, 1n, MAX_MSAT));
      expect(await rejectionCode(store().recordUsage(tooMuch))).toBe("INVALID_INPUT");
      expect((await store().getAccount(OTHER))?.costMsat).toBe(MAX_MSAT - 1n);
    });
  });

  describe("persistence", () => {
    const reopen = context.options.reopen;
    it.skipIf(!reopen)(
      `keeps accounts, invoices, settled state and cursors across a reopen${reopen ? "" : " (skipped: the store keeps nothing across a restart)"}`,
      async () => {
        const record = invoice(PEER, 8000n);
        await store().recordInvoice(record);
        await store().recordUsage([usage(PEER, 4096n, 3000n, { freeBytes: 96n })]);
        await store().applySettlement(settlement(record, "41"));
        await store().setBlocked(OTHER, true, "debt", at(3));
        const reopened = await reopen!(store());
        context.replaceStore(reopened);
        expect(await reopened.getAccount(PEER)).toMatchObject({
          creditMsat: 8000n,
          costMsat: 3000n,
          bytesServed: 4096n,
          freeBytesUsed: 96n,
          paymentsSettled: 1,
        });
        expect(await reopened.getAccount(OTHER)).toMatchObject({ blocked: true, blockedReason: "debt" });
        expect(await reopened.getCursor("sim:conformance")).toBe("41");
        expect((await reopened.getInvoice(record.paymentHash))?.state).toBe("settled");
        // the replay after a restart credits nothing
        expect((await reopened.applySettlement(settlement(record, "41"))).credited).toBe(false);
        expect((await reopened.getAccount(PEER))?.creditMsat).toBe(8000n);
      },
    );
  });
}
