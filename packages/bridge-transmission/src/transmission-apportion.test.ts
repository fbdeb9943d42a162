import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { apportion } from "./transmission-apportion.js";

describe("apportion (largest remainder)", () => {
  it("splits exactly, in proportion, with non-negative integers", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.array(fc.integer({ min: 0, max: 2_000_000_000 }), { minLength: 1, maxLength: 12 }),
        (total, weights) => {
          const parts = apportion(total, weights);
          expect(parts.reduce((sum, part) => sum + part, 0)).toBe(total);
          const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
          parts.forEach((part, index) => {
            expect(Number.isSafeInteger(part) && part >= 0).toBe(true);
            const exact = weightSum === 0 ? total / weights.length : (total * weights[index]!) / weightSum;
            // Within one byte of the exact share (floating point checks allow a tiny slack on huge totals).
            expect(Math.abs(part - exact)).toBeLessThanOrEqual(1 + exact * 1e-12);
          });
        },
      ),
    );
  });

  it("gives everything to the only peer with a rate, and splits equally when no peer has one", () => {
    expect(apportion(1000, [0, 5, 0])).toEqual([0, 1000, 0]);
    expect(apportion(10, [0, 0, 0])).toEqual([4, 3, 3]);
    expect(apportion(0, [3, 1])).toEqual([0, 0]);
    expect(apportion(7, [])).toEqual([]);
  });

  it("rejects a negative or fractional total", () => {
    expect(() => apportion(-1, [1])).toThrow(RangeError);
    expect(() => apportion(1.5, [1])).toThrow(RangeError);
  });
});
