import { describe, expect, it } from "vitest";
import {
  AdapterError,
  BridgeError,
  errorCodes,
  httpStatusByCode,
  isPeerpayError,
  isRetryable,
  PeerpayError,
  toPeerpayError,
} from "./errors.js";

describe("PeerpayError", () => {
  it("carries a code, retryability and cause", () => {
    const cause = new Error("socket hang up");
    const error = new AdapterError("lnd", "createInvoice", "BACKEND_UNAVAILABLE", "node unreachable", {
      cause,
    });
    expect(error.code).toBe("BACKEND_UNAVAILABLE");
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe("[lnd] createInvoice: node unreachable");
    expect(isPeerpayError(error)).toBe(true);
    expect(isRetryable(error)).toBe(true);
  });

  it("lets the caller override retryability", () => {
    expect(new PeerpayError("TIMEOUT", "x", { retryable: false }).retryable).toBe(false);
    expect(new BridgeError("qbittorrent", "ban", "INVALID_INPUT", "bad").retryable).toBe(false);
  });

  it("is recognised by its marker, not by instanceof", () => {
    const foreign = { [Symbol.for("peerpay.error")]: true, code: "INTERNAL" };
    expect(isPeerpayError(foreign)).toBe(true);
    expect(isPeerpayError(new Error("plain"))).toBe(false);
    expect(isPeerpayError(null)).toBe(false);
  });

  it("serialises without the cause", () => {
    const error = new PeerpayError("NOT_FOUND", "no such invoice", { cause: new Error("secret detail") });
    expect(JSON.stringify(error)).not.toContain("secret detail");
    expect(error.toJSON()).toEqual({ code: "NOT_FOUND", message: "no such invoice", retryable: false });
  });

  it("maps every code to an HTTP status, 402 for payment required", () => {
    for (const code of errorCodes) expect(httpStatusByCode[code]).toBeGreaterThanOrEqual(400);
    expect(httpStatusByCode.PAYMENT_REQUIRED).toBe(402);
  });

  it("wraps foreign errors", () => {
    const wrapped = toPeerpayError(new Error("boom"), "BACKEND_PROTOCOL_ERROR", "bad answer");
    expect(wrapped.code).toBe("BACKEND_PROTOCOL_ERROR");
    expect(wrapped.message).toBe("bad answer");
    const same = new PeerpayError("CONFLICT", "x");
    expect(toPeerpayError(same)).toBe(same);
  });
});
