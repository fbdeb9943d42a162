import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPeerpayError } from "./errors.js";
import { BYTES_PER_GIB, costOfBytes, formatPrice, MAX_MSAT, parsePrice } from "./money.js";
import { createPriceBook, formatPriceTag } from "./price-book.js";

const A = "a".repeat(40);
const B = "b".repeat(40);

describe("price book", () => {
  const book = createPriceBook({
    defaultPrice: "50 sat/GiB",
    torrents: { [A.toUpperCase()]: "200 sat/GiB" },
    labels: { Paid: "100 sat/GiB", premium: "300 sat/GiB", gratis: "free" },
  });

  it("prices by infohash first, whatever the labels say", () => {
    const result = book.resolve({ infohash: A, labels: ["peerpay:1sat/GiB", "premium"] });
    expect(result).toMatchObject({ priceMsatPerGiB: 200_000n, source: "infohash", free: false });
  });

  it("prices by a price tag before a label rule", () => {
    const result = book.resolve({ infohash: B, labels: ["premium", "peerpay:100sat/GiB"] });
    expect(result).toMatchObject({ priceMsatPerGiB: 100_000n, source: "tag", label: "peerpay:100sat/GiB" });
  });

  it("prices by a configured label rule, case-insensitively", () => {
    expect(book.resolve({ infohash: B, labels: ["PAID"] })).toMatchObject({
      priceMsatPerGiB: 100_000n,
      source: "label",
      label: "PAID",
    });
  });

  it("takes the highest price when several labels of one level match, whatever their order", () => {
    const one = book.resolve({ infohash: B, labels: ["paid", "premium"] });
    const two = book.resolve({ infohash: B, labels: ["premium", "paid"] });
    expect(one.priceMsatPerGiB).toBe(300_000n);
    expect(two.priceMsatPerGiB).toBe(300_000n);
    const tags = book.resolve({ infohash: B, labels: ["peerpay:2sat/MiB", "peerpay:1 sat/MiB"] });
    expect(tags.priceMsatPerGiB).toBe(2_048_000n);
  });

  it("falls back to the default price, and defaults to free when nothing is configured", () => {
    expect(book.resolve({ infohash: B, labels: ["unrelated"] })).toMatchObject({
      priceMsatPerGiB: 50_000n,
      source: "default",
    });
    expect(createPriceBook().resolve({ infohash: B })).toMatchObject({ priceMsatPerGiB: 0n, free: true });
  });

  it("makes a torrent free with a free tag, a free label rule or a zero price", () => {
    expect(book.resolve({ infohash: B, labels: ["peerpay:free"] })).toMatchObject({
      free: true,
      source: "tag",
    });
    expect(book.resolve({ infohash: B, labels: ["gratis"] })).toMatchObject({ free: true, source: "label" });
    expect(createPriceBook({ torrents: { [B]: 0n } }).resolve({ infohash: B }).free).toBe(true);
  });

  it("reports tags that hold no valid price instead of failing the poll", () => {
    const result = book.resolve({ infohash: B, labels: ["peerpay:lots", "paid"] });
    expect(result).toMatchObject({ source: "label", invalidTags: ["peerpay:lots"] });
  });

  it("supports another tag prefix", () => {
    const custom = createPriceBook({ tagPrefix: "price=" });
    expect(custom.resolve({ infohash: B, labels: ["price=7 sat/GiB"] }).priceMsatPerGiB).toBe(7000n);
    expect(custom.resolve({ infohash: B, labels: ["peerpay:7 sat/GiB"] }).free).toBe(true);
  });

  it("describes its configured prices", () => {
    expect(book.describe()).toEqual({
      defaultPriceMsatPerGiB: 50_000n,
      torrents: [{ infohash: A, priceMsatPerGiB: 200_000n }],
      labels: [
        { label: "paid", priceMsatPerGiB: 100_000n },
        { label: "premium", priceMsatPerGiB: 300_000n },
        { label: "gratis", priceMsatPerGiB: 0n },
      ],
      tagPrefix: "peerpay:",
    });
  });

  it("refuses a bad configuration with INVALID_CONFIG naming the field", () => {
    const attempts = [
      () => createPriceBook({ defaultPrice: "cheap" }),
      () => createPriceBook({ torrents: { "not-a-hash": "1 sat/GiB" } }),
      () => createPriceBook({ labels: { paid: "-1 sat/GiB" } }),
      () => createPriceBook({ labels: { " ": "1 sat/GiB" } }),
      () => createPriceBook({ defaultPrice: "0.0001 msat/GiB" }),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(isPeerpayError(caught) && caught.code).toBe("INVALID_CONFIG");
    }
  });

  it("formats a tag the price book reads back", () => {
    for (const price of [0n, 1n, 1500n, 100_000n]) {
      const tag = formatPriceTag(price);
      expect(createPriceBook().resolve({ infohash: B, labels: [tag] }).priceMsatPerGiB).toBe(price);
    }
    expect(formatPriceTag(100_000n)).toBe("peerpay:100sat/GiB");
  });
});

describe("pricing arithmetic (properties)", () => {
  const bytes = fc.bigInt({ min: 0n, max: 1n << 50n });
  const price = fc.bigInt({ min: 0n, max: 10n ** 12n });

  it("loses less than 1 msat per record when bytes are split into records", () => {
    fc.assert(
      fc.property(bytes, bytes, price, (a, b, p) => {
        const whole = costOfBytes(a + b, p);
        const parts = costOfBytes(a, p) + costOfBytes(b, p);
        // floor(x) + floor(y) ≤ floor(x + y) ≤ floor(x) + floor(y) + 1
        return parts <= whole && whole <= parts + 1n;
      }),
    );
  });

  it("is monotonic in bytes and in price, and exact for whole GiB", () => {
    fc.assert(
      fc.property(bytes, bytes, price, price, (a, b, p, q) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        const [cheap, dear] = p <= q ? [p, q] : [q, p];
        return (
          costOfBytes(small, cheap) <= costOfBytes(large, cheap) &&
          costOfBytes(small, cheap) <= costOfBytes(small, dear) &&
          costOfBytes(BYTES_PER_GIB * (small % 1024n), cheap) === (small % 1024n) * cheap
        );
      }),
    );
  });

  it("never charges more than bytes × price / GiB", () => {
    fc.assert(fc.property(bytes, price, (a, p) => costOfBytes(a, p) * BYTES_PER_GIB <= a * p));
  });

  it("reads back every price it formats (up to 15 digits, far above any real price)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n - 1n }), (p) => {
        expect(parsePrice(formatPrice(p))).toBe(p);
        expect(parsePrice(p.toString())).toBe(p);
        expect(parsePrice(MAX_MSAT.toString())).toBe(MAX_MSAT);
      }),
    );
  });

  it("parses sat/MiB forms to the same msat/GiB as the equivalent sat/GiB form", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (sats) => {
        expect(parsePrice(`${sats} sat/MiB`)).toBe(parsePrice(`${sats * 1024} sat/GiB`));
      }),
    );
  });
});
