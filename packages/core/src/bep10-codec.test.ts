import bencode from "bencode";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeBencode } from "./bep10-bencode.js";
import { decodePeerpayMessage, encodePeerpayMessage } from "./bep10-codec.js";
import {
  creditArbitrary,
  paidArbitrary,
  paymentRequiredArbitrary,
  peerpayMessageArbitrary,
  rejectArbitrary,
  tipArbitrary,
} from "./bep10-codec.test.fixture.js";
import type { PaymentRequiredMessage, PeerpayMessage } from "./bep10-messages.js";
import { isPeerpayError } from "./errors.js";
import { MAX_MSAT } from "./money.js";

const latin1 = (data: Uint8Array) => Buffer.from(data).toString("latin1");
const hash = "9f".repeat(32);
const blockOffer: PaymentRequiredMessage = {
  type: "payment_required",
  rail: "lightning",
  bolt11: "lnbcrt10n1pjqqqqqsp5qqqqqqqq",
  paymentHash: hash,
  amountMsat: 1000n,
  creditBytes: 16_384n,
  expiresAt: 1_764_000_000,
  binding: { kind: "block", piece: 3, offset: 16_384, length: 16_384 },
};
/** A valid payment_required dictionary in wire form, to be spoiled one field at a time. */
const wireOffer = () => ({
  msg_type: 0,
  rail: "lightning",
  bolt11: blockOffer.bolt11,
  payment_hash: Buffer.from(hash, "hex"),
  amount_msat: 1000n,
  credit_bytes: 16_384n,
  expires_at: 1_764_000_000,
  bind: "block",
  piece: 3,
  offset: 16_384,
  length: 16_384,
});

function invalidField(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (isPeerpayError(error) && error.code === "INVALID_INPUT") return error.message;
    throw error;
  }
  throw new Error("expected INVALID_INPUT, but the input was accepted");
}
const decodeWire = (wire: Record<string, unknown>) => () =>
  decodePeerpayMessage(encodeBencode(wire as Parameters<typeof encodeBencode>[0]));

describe("peerpay BEP-10 message round trips", () => {
  it.each([
    ["payment_required", paymentRequiredArbitrary],
    ["paid", paidArbitrary],
    ["credit", creditArbitrary],
    ["reject", rejectArbitrary],
    ["tip", tipArbitrary],
  ] as const)("decode(encode(m)) equals m for every valid %s message", (_type, arbitrary) => {
    fc.assert(
      fc.property(arbitrary as fc.Arbitrary<PeerpayMessage>, (message) => {
        const payload = encodePeerpayMessage(message);
        expect(decodePeerpayMessage(payload)).toEqual(message);
        expect(payload.length).toBeLessThanOrEqual(4096);
      }),
      { numRuns: 300 },
    );
  });

  it("encodes a payment_required for a block to these exact bytes (the example of docs/protocol.md 10.3)", () => {
    expect(latin1(encodePeerpayMessage(blockOffer))).toBe(
      "d11:amount_msati1000e4:bind5:block6:bolt1128:lnbcrt10n1pjqqqqqsp5qqqqqqqq12:credit_bytesi16384e" +
        "10:expires_ati1764000000e6:lengthi16384e8:msg_typei0e6:offseti16384e" +
        `12:payment_hash32:${latin1(Buffer.from(hash, "hex"))}5:piecei3e4:rail9:lightninge`,
    );
  });

  it("keeps MAX_MSAT and MAX_MSAT - 1 exact in every money field, where the bencode package rounds", () => {
    for (const amount of [MAX_MSAT, MAX_MSAT - 1n]) {
      const messages: PeerpayMessage[] = [
        { ...blockOffer, amountMsat: amount },
        { type: "credit", creditMsat: amount, creditBytes: 2n ** 63n - 1n },
        { type: "tip", amountMsat: amount },
      ];
      for (const message of messages) {
        const payload = encodePeerpayMessage(message);
        expect(latin1(payload)).toContain(`i${amount}e`);
        expect(decodePeerpayMessage(payload)).toEqual(message);
      }
    }
    const viaPackage = bencode.decode(encodePeerpayMessage({ type: "tip", amountMsat: MAX_MSAT - 1n }));
    expect(BigInt((viaPackage as { amount_msat: number }).amount_msat)).not.toBe(MAX_MSAT - 1n);
  });

  it("ignores unknown keys, so later versions can add optional fields", () => {
    expect(decodeWire({ ...wireOffer(), zz_future: [1, { a: "b" }] })()).toEqual(blockOffer);
  });

  it("keeps an unknown reject reason code as reason other with the code, and sends it on unchanged", () => {
    const message = decodeWire({ msg_type: 3, reason: 777 })();
    expect(message).toEqual({ type: "reject", reason: "other", reasonCode: 777 });
    expect(decodePeerpayMessage(encodePeerpayMessage(message))).toEqual(message);
  });

  it("accepts an amountless tip invoice but requires an amount on block and credit offers", () => {
    const tip = { ...wireOffer(), bind: "tip", credit_bytes: 0n, amount_msat: undefined };
    for (const key of ["piece", "offset", "length"] as const) delete (tip as Record<string, unknown>)[key];
    expect(decodeWire(tip)()).toMatchObject({ binding: { kind: "tip" }, creditBytes: 0n });
    expect(invalidField(decodeWire({ ...wireOffer(), amount_msat: undefined }))).toContain(
      "amount_msat is required",
    );
  });
});

describe("peerpay BEP-10 message rejection", () => {
  it("gives INVALID_INPUT, never a crash, for random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(invalidField(() => decodePeerpayMessage(bytes))).toBeTruthy();
      }),
      { numRuns: 2000 },
    );
  });

  it("gives INVALID_INPUT for every truncation of a valid message", () => {
    fc.assert(
      fc.property(peerpayMessageArbitrary, fc.nat(), (message, cut) => {
        const payload = encodePeerpayMessage(message);
        expect(
          invalidField(() => decodePeerpayMessage(payload.subarray(0, cut % payload.length))),
        ).toBeTruthy();
      }),
      { numRuns: 500 },
    );
  });

  it("gives INVALID_INPUT for a single flipped byte, or a message that round-trips (unknown keys are ignored)", () => {
    fc.assert(
      fc.property(
        peerpayMessageArbitrary,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (message, at, flip) => {
          const payload = Uint8Array.from(encodePeerpayMessage(message));
          const index = at % payload.length;
          payload[index] = (payload[index] ?? 0) ^ flip;
          let decoded: PeerpayMessage;
          try {
            decoded = decodePeerpayMessage(payload);
          } catch (error) {
            expect(isPeerpayError(error) && error.code).toBe("INVALID_INPUT");
            return;
          }
          expect(decodePeerpayMessage(encodePeerpayMessage(decoded))).toEqual(decoded);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it.each([
    [
      "a payload that is a list, not a dictionary",
      () => encodeBencode([1, 2]),
      "must be a bencoded dictionary",
    ],
    ["a missing msg_type", () => encodeBencode({ reason: 1 }), "msg_type"],
    ["msg_type as a string", () => encodeBencode({ msg_type: "paid" }), "msg_type must be an integer"],
    ["unknown msg_type 5", () => encodeBencode({ msg_type: 5 }), "unknown msg_type 5"],
    ["negative msg_type", () => encodeBencode({ msg_type: -1 }), "msg_type must be at least 0"],
    [
      "a payload over 4096 bytes",
      () => encodeBencode({ msg_type: 4, pad: "x".repeat(4100) }),
      "longer than 4096",
    ],
  ])("refuses %s", (_name, payload, expected) => {
    expect(invalidField(() => decodePeerpayMessage(payload()))).toContain(expected);
  });

  it.each([
    ["a negative amount_msat", { amount_msat: -1n }, "amount_msat must not be negative"],
    ["a zero amount_msat", { amount_msat: 0n }, "amount_msat must be at least 1 msat"],
    ["an amount above MAX_MSAT", { amount_msat: MAX_MSAT + 1n }, "amount_msat is larger than all bitcoin"],
    ["amount_msat as a string", { amount_msat: "1000" }, "amount_msat must be an integer"],
    ["a negative credit_bytes", { credit_bytes: -5n }, "credit_bytes must not be negative"],
    ["credit_bytes above 2^63 - 1", { credit_bytes: 2n ** 63n }, "credit_bytes is larger than 2^63 - 1"],
    [
      "credit_bytes smaller than the block",
      { credit_bytes: 100n },
      "credit_bytes must cover the requested block",
    ],
    ["a 31-byte payment_hash", { payment_hash: new Uint8Array(31) }, "payment_hash must be exactly 32 bytes"],
    ["payment_hash as an integer", { payment_hash: 5 }, "payment_hash must be a byte string"],
    ["an unknown rail", { rail: "cashu" }, 'rail must be "lightning"'],
    ["an unknown bind", { bind: "piece" }, "bind must be"],
    ["a block binding without length", { length: undefined }, '"block" needs piece, offset and length'],
    ["a piece above 2^32 - 1", { piece: 2n ** 32n }, "piece must be at most 4294967295"],
    ["a zero length", { length: 0 }, "length must be at least 1"],
    ["a zero expires_at", { expires_at: 0 }, "expires_at must be at least 1"],
    [
      "a bolt11 that is not an invoice",
      { bolt11: "bitcoin:bc1qxyz" },
      "bolt11 must be a lower-case BOLT11 invoice",
    ],
    ["an upper-case bolt11", { bolt11: blockOffer.bolt11.toUpperCase() }, "bolt11 must be a lower-case"],
    ["an oversized bolt11", { bolt11: `lnbc1${"q".repeat(2100)}` }, "bolt11 must be at most 2048 bytes"],
    ["a bolt11 that is not UTF-8", { bolt11: Uint8Array.of(0x6c, 0x6e, 0xff) }, "bolt11 must be UTF-8 text"],
  ])("refuses a payment_required with %s", (_name, change, expected) => {
    expect(invalidField(decodeWire({ ...wireOffer(), ...change }))).toContain(expected);
  });

  it.each([
    [
      "a tip offer that names a block",
      { bind: "tip", credit_bytes: 0n },
      '"tip" must not carry piece/offset/length',
    ],
    ["a credit offer that names a block", { bind: "credit" }, '"credit" must not carry piece/offset/length'],
    [
      "a tip offer that credits bytes",
      { bind: "tip", piece: undefined, offset: undefined, length: undefined },
      "credit_bytes must be 0 for a tip",
    ],
    [
      "a paid whose preimage does not hash to payment_hash",
      { msg_type: 1, preimage: new Uint8Array(32) },
      "preimage does not hash to payment_hash",
    ],
    [
      "a credit with negative credit_msat",
      { msg_type: 2, credit_msat: -1n, credit_bytes: 0n },
      "credit_msat must not be negative",
    ],
    [
      "a reject with a 257-byte message",
      { msg_type: 3, reason: 1, message: `${"é".repeat(128)}x` },
      "message must be at most 256 bytes",
    ],
    ["a reject with a reason above 65535", { msg_type: 3, reason: 65_536 }, "reason must be at most 65535"],
    ["a tip with a negative amount", { msg_type: 4, amount_msat: -100n }, "amount_msat must not be negative"],
    [
      "a tip with text that is not UTF-8",
      { msg_type: 4, message: Uint8Array.of(0xc3) },
      "message must be UTF-8 text",
    ],
  ])("refuses %s", (_name, change, expected) => {
    expect(invalidField(decodeWire({ ...wireOffer(), ...change }))).toContain(expected);
  });

  it("refuses to encode a message it would refuse to decode", () => {
    expect(invalidField(() => encodePeerpayMessage({ ...blockOffer, amountMsat: -1n }))).toContain(
      "must not be negative",
    );
    expect(invalidField(() => encodePeerpayMessage({ ...blockOffer, paymentHash: "zz" }))).toContain(
      "paymentHash",
    );
    expect(
      invalidField(() => encodePeerpayMessage({ type: "paid", paymentHash: hash, preimage: hash })),
    ).toContain("preimage");
    expect(
      invalidField(() => encodePeerpayMessage({ type: "reject", reason: "price_too_high", reasonCode: 5 })),
    ).toContain("reasonCode 5");
    expect(
      invalidField(() => encodePeerpayMessage({ type: "bogus" } as unknown as PeerpayMessage)),
    ).toContain("unknown type");
  });
});
