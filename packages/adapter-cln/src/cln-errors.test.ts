import { isPeerpayError } from "@peerpay/core";
import { describe, expect, it } from "vitest";
import { ClnRpcError, clnErrorCodes, mapClnErrorCode } from "./cln-errors.js";

describe("CLN error codes → peerpay codes", () => {
  it.each([
    ["xpay", 205, "NO_ROUTE", true],
    ["pay", 206, "FEE_LIMIT_EXCEEDED", false],
    ["pay", 207, "INVOICE_EXPIRED", false],
    ["pay", 210, "PAYMENT_FAILED", true],
    ["xpay", 219, "INVOICE_ALREADY_PAID", false],
    ["pay", 201, "INVOICE_ALREADY_PAID", false],
    ["pay", 203, "PAYMENT_FAILED", false],
    ["xpay", 209, "PAYMENT_FAILED", false],
    ["pay", -1, "PAYMENT_FAILED", false],
    ["invoice", 900, "CONFLICT", false],
    ["invoice", 901, "CONFLICT", false],
    ["waitanyinvoice", 904, "TIMEOUT", true],
    ["waitinvoice", 903, "INVOICE_EXPIRED", false],
    ["listinvoices", 905, "NOT_FOUND", false],
    ["getinfo", 1501, "BACKEND_AUTH_FAILED", false],
    ["getinfo", 1502, "BACKEND_PERMISSION_DENIED", false],
    ["getinfo", 1503, "BACKEND_AUTH_FAILED", false],
    ["decodepay", -32601, "UNSUPPORTED", false],
    ["decode", -32602, "INVALID_INPUT", false],
    ["getinfo", -32600, "BACKEND_PROTOCOL_ERROR", false],
    ["getinfo", -5, "BACKEND_UNAVAILABLE", true],
    ["getinfo", -4, "BACKEND_UNAVAILABLE", true],
    ["getinfo", -1, "INTERNAL", false],
  ] as const)("%s error %i is %s (retryable %s)", (method, rpcCode, code, retryable) => {
    const error = new ClnRpcError(method, rpcCode, "message from lightningd");
    expect(isPeerpayError(error)).toBe(true);
    expect(error).toMatchObject({
      code,
      retryable,
      rpcCode,
      method,
      details: { clnCode: rpcCode, clnMethod: method },
    });
    expect(error.message).toBe(`[cln] ${method}: lightningd error ${rpcCode}: message from lightningd`);
  });

  it("names every documented pay/xpay failure code", () => {
    for (const code of [205, 206, 207, 210, 219]) {
      expect(Object.values(clnErrorCodes)).toContain(code);
      expect(mapClnErrorCode("xpay", code).code).not.toBe("INTERNAL");
    }
  });

  it("keeps a long node message short", () => {
    expect(new ClnRpcError("pay", -1, "x".repeat(5_000)).message.length).toBeLessThan(400);
  });
});
