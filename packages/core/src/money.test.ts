import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPeerpayError } from "./errors.js";
import {
  BYTES_PER_GIB,
  bytesForMsat,
  costOfBytes,
  describeMsat,
  formatPrice,
  MAX_MSAT,
  parseMsat,
  parsePrice,
} from "./money.js";

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isPeerpayError(error) ? error.code : "NOT_A_PEERPAY_ERROR";
  }
  return undefined;
}

describe("parseMsat", () => {
  it("accepts decimal strings, safe integers and bigints", () => {
    expect(parseMsat("0")).toBe(0n);
    expect(parseMsat("123456789012345678")).toBe(123456789012345678n);
    expect(parseMsat(42)).toBe(42n);
    expect(parseMsat(7n)).toBe(7n);
  });

  it.each([
    ["-1"],
    ["1.5"],
    ["1e3"],
    [" 1"],
    ["01"],
    [""],
    ["0x10"],
    [1.5],
    [-3],
    [Number.MAX_SAFE_INTEGER + 2],
    [null],
    [{}],
  ])("rejects %j with INVALID_INPUT", (value) => {
    expect(codeOf(() => parseMsat(value))).toBe("INVALID_INPUT");
  });

  it("rejects amounts above all bitcoin", () => {
    expect(codeOf(() => parseMsat((MAX_MSAT + 1n).toString()))).toBe("INVALID_INPUT");
  });

  it("round-trips every valid amount through its wire form", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_MSAT }), (amount) => parseMsat(amount.toString()) === amount),
    );
  });
});

describe("parsePrice", () => {
  it.each([
    ["100 sat/GiB", 100_000n],
    ["100sat/GiB", 100_000n],
    ["1500 msat/GiB", 1500n],
    ["1 sat/MiB", 1_024_000n],
    ["2.5 sat/MiB", 2_560_000n],
    ["1 msat/KiB", 1_048_576n],
    ["free", 0n],
    ["0", 0n],
    ["250000", 250_000n],
  ])("parses %s", (text, expected) => {
    expect(parsePrice(text)).toBe(expected);
  });

  it.each([
    ["-1 sat/GiB"],
    ["1 sat"],
    ["sat/GiB"],
    ["1 euro/GiB"],
    ["1 sat/ib"],
    ["1.0000001 msat/GiB"],
    [""],
    [12.5],
    ["1 sat/GB"],
  ])(
    // "1 sat/GB" is 1073.741824 msat/GiB: refused rather than rounded.
    "rejects %j with a clear INVALID_INPUT",
    (value) => {
      expect(codeOf(() => parsePrice(value))).toBe("INVALID_INPUT");
    },
  );

  it("formats prices back to a form it parses", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        (price) => parsePrice(formatPrice(price)) === price,
      ),
    );
  });
});

describe("costOfBytes", () => {
  it("prices a GiB at exactly the price and rounds down below", () => {
    expect(costOfBytes(BYTES_PER_GIB, 100_000n)).toBe(100_000n);
    expect(costOfBytes(1, 100_000n)).toBe(0n);
    expect(costOfBytes(0, 5n)).toBe(0n);
  });

  it("never charges more for a split than for the whole, and at most 1 msat less per part", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 20 }),
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        (parts, price) => {
          const whole = costOfBytes(BigInt(parts.reduce((sum, part) => sum + part, 0)), price);
          const split = parts.reduce((sum, part) => sum + costOfBytes(part, price), 0n);
          return split <= whole && whole - split < BigInt(parts.length);
        },
      ),
    );
  });

  it("agrees with bytesForMsat: what an amount buys never costs more than the amount", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        (amount, price) => {
          const bytes = bytesForMsat(amount, price);
          return bytes !== null && costOfBytes(bytes, price) <= amount;
        },
      ),
    );
    expect(bytesForMsat(1000n, 0n)).toBeNull();
  });

  it("rejects negative and fractional byte counts", () => {
    expect(codeOf(() => costOfBytes(-1, 1n))).toBe("INVALID_INPUT");
    expect(codeOf(() => costOfBytes(1.5, 1n))).toBe("INVALID_INPUT");
  });
});

describe("describeMsat", () => {
  it("shows sats with up to three decimals", () => {
    expect(describeMsat(12_000n)).toBe("12 sat");
    expect(describeMsat(1_230n)).toBe("1.23 sat");
    expect(describeMsat(-5n)).toBe("-0.005 sat");
  });
});
