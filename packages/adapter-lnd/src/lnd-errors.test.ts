import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { classifyLndFailure, createRedactor, describeLndFailure, toLndAdapterError } from "./lnd-errors.js";

const macaroonHex = `0201036c6e6402f801030a10${"5f".repeat(150)}`;
const redact = createRedactor([macaroonHex, Buffer.from(macaroonHex, "hex").toString("base64")]);
const grpc = (code: number, details: string) =>
  Object.assign(new Error(`${code} ${details}`), { code, details });

describe("mapping LND failures to typed errors", () => {
  it.each([
    [[503, "LndLocked"], "BACKEND_UNAVAILABLE", true],
    [[503, "FailedToConnectToDaemon"], "BACKEND_UNAVAILABLE", true],
    [
      [503, "GetWalletInfoErr", { err: grpc(2, "wallet locked, unlock it to enable full RPC access") }],
      "BACKEND_UNAVAILABLE",
      true,
    ],
    [
      [
        503,
        "X",
        {
          err: grpc(2, "the RPC server is in the process of starting up, but not yet ready to accept calls"),
        },
      ],
      "BACKEND_UNAVAILABLE",
      true,
    ],
    [
      [
        503,
        "X",
        { err: grpc(14, "No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1") },
      ],
      "BACKEND_UNAVAILABLE",
      true,
    ],
    [
      [503, "X", { err: grpc(2, "verification failed: signature mismatch after caveat verification") }],
      "BACKEND_AUTH_FAILED",
      false,
    ],
    [
      [503, "X", { err: grpc(2, "cannot get macaroon: root key with id 0 doesn't exist") }],
      "BACKEND_AUTH_FAILED",
      false,
    ],
    [
      [503, "X", { err: grpc(14, "No connection established. Last error: Error: self-signed certificate") }],
      "BACKEND_AUTH_FAILED",
      false,
    ],
    [[503, "X", { err: grpc(2, "permission denied") }], "BACKEND_PERMISSION_DENIED", false],
    [grpc(7, "permission denied"), "BACKEND_PERMISSION_DENIED", false],
    [grpc(4, "Deadline exceeded"), "TIMEOUT", true],
    [grpc(12, "unknown service invoicesrpc.Invoices"), "UNSUPPORTED", false],
  ] as const)("%j → %s", (thrown, code, retryable) => {
    const error = toLndAdapterError(thrown, { operation: "getInfo", redact });
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toMatch(/^\[lnd\] getInfo: /);
  });

  it("falls back to the operation's code for anything unrecognised", () => {
    expect(classifyLndFailure(describeLndFailure([503, "SomethingElse"]))).toBeUndefined();
    expect(
      toLndAdapterError([503, "SomethingElse"], {
        operation: "payInvoice",
        fallback: "PAYMENT_FAILED",
        redact,
      }).code,
    ).toBe("PAYMENT_FAILED");
    expect(toLndAdapterError(undefined, { operation: "x", redact }).code).toBe("BACKEND_PROTOCOL_ERROR");
  });

  it("never carries a macaroon or a long credential in the message, details or cause", () => {
    const base64 = Buffer.from(macaroonHex, "hex").toString("base64");
    const thrown = [
      503,
      "UnexpectedError",
      { err: grpc(2, `bad macaroon ${macaroonHex} / ${base64} / ${"A".repeat(300)}`) },
    ];
    const error = toLndAdapterError(thrown, { operation: "createInvoice", redact });
    const shown = [error.message, JSON.stringify(error), inspect(error, { depth: 10 })].join("\n");
    expect(shown).not.toContain(macaroonHex);
    expect(shown).not.toContain(base64);
    expect(shown).not.toContain("A".repeat(130));
    expect(shown).toContain("[redacted]");
    // The raw library error (which could hold anything) is not attached.
    expect((error.cause as Error).name).toBe("LndFailure");
  });
});
