import { describe, expect, it } from "vitest";
import { invoiceEntrySchema, msatOutput, payRequestSchema, rpcRequestSchema } from "./cln-schemas.js";

describe("CLN schemas", () => {
  it("reads msat as a JSON integer (v23.05+) or as an older '1000msat' string", () => {
    expect(msatOutput.parse(1000)).toBe(1000);
    expect(msatOutput.parse("1000msat")).toBe(1000);
    expect(msatOutput.safeParse("10sat").success).toBe(false);
    expect(msatOutput.safeParse(-1).success).toBe(false);
    expect(msatOutput.safeParse(2 ** 60).success).toBe(false);
  });

  it("requires pay_index, amount_received_msat, paid_at and payment_preimage on a paid invoice", () => {
    const base = { label: "a", payment_hash: "ab".repeat(32), expires_at: 1, created_index: 1 };
    expect(invoiceEntrySchema.safeParse({ ...base, status: "unpaid" }).success).toBe(true);
    expect(invoiceEntrySchema.safeParse({ ...base, status: "paid" }).success).toBe(false);
    const paid = {
      ...base,
      status: "paid",
      pay_index: 3,
      amount_received_msat: 5,
      paid_at: 2,
      payment_preimage: "cd".repeat(32),
    };
    expect(invoiceEntrySchema.parse(paid)).toMatchObject({ pay_index: 3 });
    expect(invoiceEntrySchema.safeParse({ ...base, status: "refunded" }).success).toBe(false);
  });

  it("requires jsonrpc 2.0, an id and params on a request", () => {
    expect(
      rpcRequestSchema.safeParse({ jsonrpc: "2.0", id: "x", method: "getinfo", params: {} }).success,
    ).toBe(true);
    expect(rpcRequestSchema.safeParse({ id: "x", method: "getinfo", params: {} }).success).toBe(false);
    expect(rpcRequestSchema.safeParse({ jsonrpc: "2.0", id: "x", method: "getinfo" }).success).toBe(false);
  });

  it("refuses maxfee together with maxfeepercent or exemptfee, as pay does", () => {
    expect(payRequestSchema.safeParse({ bolt11: "x", maxfee: "1000msat" }).success).toBe(true);
    expect(payRequestSchema.safeParse({ bolt11: "x", maxfee: 1000, maxfeepercent: 0.5 }).success).toBe(false);
    expect(payRequestSchema.safeParse({ bolt11: "x", unknown: 1 }).success).toBe(false);
  });
});
