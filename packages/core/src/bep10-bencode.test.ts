import bencode from "bencode";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BencodeInput, type BencodeValue, decodeBencode, encodeBencode } from "./bep10-bencode.js";
import { isPeerpayError } from "./errors.js";
import { MAX_MSAT } from "./money.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const latin1 = (data: Uint8Array) => Buffer.from(data).toString("latin1");

/** Values the `bencode` package also handles exactly: safe integers, ASCII keys. */
const safeValue = fc.letrec<{ value: BencodeInput }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(
      fc.stringMatching(/^[a-z_]{1,12}$/).filter((key) => key !== "__proto__"),
      tie("value"),
      {
        maxKeys: 4,
      },
    ),
  ),
})).value;

function expectInvalid(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    expect(isPeerpayError(error) && error.code).toBe("INVALID_INPUT");
    return;
  }
  throw new Error("expected INVALID_INPUT, but the input was accepted");
}

describe("bep10 bencode writer and reader", () => {
  it("writes the same bytes as the bencode package for every value within its exact range", () => {
    fc.assert(
      fc.property(safeValue, (value) => {
        expect(latin1(encodeBencode(value))).toBe(latin1(bencode.encode(value)));
      }),
      { numRuns: 300 },
    );
  });

  it("reads what the bencode package writes, with integers as bigint", () => {
    fc.assert(
      fc.property(safeValue, (value) => {
        const decoded = decodeBencode(bencode.encode(value), { maxDepth: 64 });
        expect(latin1(encodeBencode(decoded))).toBe(latin1(bencode.encode(value)));
      }),
      { numRuns: 300 },
    );
  });

  it("keeps integers beyond 2^53 exact (MAX_MSAT, 2^64, negatives), which bencode@4 cannot", () => {
    for (const value of [MAX_MSAT, 2n ** 53n + 1n, 2n ** 64n, -(2n ** 70n) - 1n]) {
      const encoded = encodeBencode({ amount: value });
      expect(latin1(encoded)).toBe(`d6:amounti${value}ee`);
      expect(decodeBencode(encoded)).toEqual({ amount: value });
    }
    // The reason the codec reads integers itself (webtorrent/node-bencode#143):
    const viaPackage = bencode.decode(bytes(`d6:amounti${MAX_MSAT + 1n}ee`)) as { amount: number };
    expect(BigInt(viaPackage.amount)).not.toBe(MAX_MSAT + 1n);
  });

  it("sorts dictionary keys by bytes and skips undefined entries when writing", () => {
    expect(latin1(encodeBencode({ b: 1, a: "x", c: undefined, aa: [] }))).toBe("d1:a1:x2:aale1:bi1ee");
  });

  it("refuses to write numbers that are not safe integers", () => {
    expectInvalid(() => encodeBencode({ amount: 1.5 }));
    expectInvalid(() => encodeBencode(Number.MAX_SAFE_INTEGER + 1));
  });

  it.each([
    ["an empty input", ""],
    ["a truncated integer", "i12"],
    ["an empty integer", "ie"],
    ["a leading zero", "i03e"],
    ["negative zero", "i-0e"],
    ["a plus sign", "i+3e"],
    ["a float", "i1.5e"],
    ["an integer of 41 digits", `i${"9".repeat(41)}e`],
    ["a string shorter than its length", "5:ab"],
    ["a string length with a leading zero", "03:abc"],
    ["a negative string length", "-1:a"],
    ["a string length too long to be real", "99999999999:a"],
    ["trailing bytes", "i1ei2e"],
    ["an unterminated list", "li1e"],
    ["an unterminated dictionary", "d1:ai1e"],
    ["a dictionary key that is an integer", "di1ei2ee"],
    ["a dictionary key without a value", "d1:ae"],
    ["unsorted dictionary keys", "d1:bi1e1:ai2ee"],
    ["a duplicate dictionary key", "d1:ai1e1:ai2ee"],
    ["an unknown type byte", "x"],
  ])("refuses %s", (_name, input) => {
    expectInvalid(() => decodeBencode(bytes(input)));
  });

  it("refuses a dictionary key that is not UTF-8", () => {
    expectInvalid(() => decodeBencode(Uint8Array.of(0x64, 0x31, 0x3a, 0xff, 0x69, 0x31, 0x65, 0x65)));
  });

  it("refuses nesting deeper than maxDepth and accepts it up to maxDepth", () => {
    expect(decodeBencode(bytes("llee"), { maxDepth: 2 })).toEqual([[]]);
    expectInvalid(() => decodeBencode(bytes("llleee"), { maxDepth: 2 }));
    expectInvalid(() => decodeBencode(bytes(`${"l".repeat(100_000)}${"e".repeat(100_000)}`)));
  });

  it("accepts unsorted keys only when asked to", () => {
    expect(decodeBencode(bytes("d1:bi1e1:ai2ee"), { requireSortedKeys: false })).toEqual({ a: 2n, b: 1n });
  });

  it("gives a dictionary without a prototype, so a __proto__ key is plain data", () => {
    const decoded = decodeBencode(bytes("d9:__proto__d1:xi1eee")) as Record<string, BencodeValue>;
    expect(Object.getPrototypeOf(decoded)).toBeNull();
    expect(Object.entries(decoded)).toEqual([["__proto__", { x: 1n }]]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("never throws anything but INVALID_INPUT on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (input) => {
        try {
          const value = decodeBencode(input);
          // Whatever it accepts is canonical: writing it again gives the same bytes.
          expect(latin1(encodeBencode(value))).toBe(latin1(input));
        } catch (error) {
          expect(isPeerpayError(error) && error.code).toBe("INVALID_INPUT");
        }
      }),
      { numRuns: 2000 },
    );
  });
});
