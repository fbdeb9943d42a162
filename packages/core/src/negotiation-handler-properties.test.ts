import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSeller, from, infohash, post } from "./negotiation-handler.test.fixture.js";
import { errorBodySchema } from "./negotiation-schemas.js";

describe("negotiation handler under malformed input (property-based)", () => {
  const wellFormedAmount = /^(0|[1-9][0-9]{0,29})$/;
  const badAmount = fc.oneof(
    fc.integer().map((value) => value), // a JSON number, not a decimal string
    fc.double().map(String), // fractions, exponents, NaN, Infinity
    fc.bigInt({ min: -(10n ** 40n), max: -1n }).map(String), // negative
    fc.bigInt({ min: 10n ** 31n, max: 10n ** 60n }).map(String), // huge
    fc.constantFrom("", " 1000", "1000 ", "01000", "0x10", "1e3", "1_000", "+5", "1000.0", "٣٣"),
    fc.string().filter((text) => !wellFormedAmount.test(text)),
    fc.constant(null),
    fc.array(fc.nat()),
  );
  const badInfohash = fc.oneof(
    fc.string().filter((text) => !/^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/.test(text)),
    fc.integer(),
    fc.constant("g".repeat(40)),
    fc.constant("a".repeat(41)),
  );
  const malformedBody: fc.Arbitrary<{ text: string; contentType?: string; mayBeValid?: true }> = fc.oneof(
    fc.string().map((text) => ({ text })), // mostly not JSON
    fc.jsonValue().map((value) => ({ text: JSON.stringify(value) ?? "null" })), // JSON of the wrong shape (mostly)
    badAmount.map((amountMsat) => ({ text: JSON.stringify({ amountMsat }) })),
    fc
      .record({ bytes: badAmount, infohash: fc.constant(infohash) })
      .map((body) => ({ text: JSON.stringify(body) })),
    badInfohash.map((hash) => ({ text: JSON.stringify({ bytes: "1048576", infohash: hash }) })),
    fc.constant({ text: JSON.stringify({ bytes: "1048576" }) }), // bytes without infohash
    fc.constant({ text: JSON.stringify({ amountMsat: "1000", bytes: "1000", infohash }) }), // both
    fc.constant({ text: JSON.stringify({ amountMsat: "999" }) }), // below the minimum
    fc.constant({ text: JSON.stringify({ amountMsat: "100000001" }) }), // above the maximum
    fc.constant({ text: JSON.stringify({ bytes: "10000000000000000000", infohash }) }), // costs above the maximum
    fc
      .array(fc.oneof(fc.integer({ min: -100, max: 0 }), fc.integer({ min: 65_536 }), fc.double()), {
        minLength: 1,
      })
      .map((listenPorts) => ({ text: JSON.stringify({ amountMsat: "1000", listenPorts }) })),
    fc
      .integer({ min: 4_097, max: 20_000 })
      .map((size) => ({ text: JSON.stringify({ amountMsat: "1000", pad: "x".repeat(size) }) })),
    // A valid body with a random content type: valid only if the type happens to be JSON.
    fc.string().map((text) => ({
      text: JSON.stringify({ amountMsat: "1000" }),
      contentType: text || "text/plain",
      mayBeValid: true as const,
    })),
  );

  it("answers every malformed invoice request with a 4xx JSON error and changes nothing", async () => {
    const { handler, store, double } = createSeller({
      limits: { burst: 1_000_000, requestsPerSecond: 1_000_000 },
    });
    await fc.assert(
      fc.asyncProperty(malformedBody, async (body) => {
        const response = await handler(
          post(body.text, { raw: true, contentType: body.contentType }),
          from("127.0.1.1"),
        );
        if (response.status === 201) {
          expect(body.mayBeValid && /^application\/json/i.test(body.contentType ?? "")).toBe(true);
          return;
        }
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        const error = errorBodySchema.parse(await response.json());
        expect(typeof error.code).toBe("string");
        expect(typeof error.message).toBe("string");
      }),
      { numRuns: 400 },
    );
    const created = double.created.length;
    expect(await store.countOpenInvoices("127.0.1.1", new Date())).toBe(created);
    expect((await store.history()).length).toBe(created);
  });

  it("never creates or records an invoice for a rejected request", async () => {
    await fc.assert(
      fc.asyncProperty(malformedBody, async (body) => {
        const { handler, store, double } = createSeller();
        const response = await handler(
          post(body.text, { raw: true, contentType: body.contentType }),
          from("127.0.1.2"),
        );
        if (response.status === 201 && body.mayBeValid) return;
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(double.created).toHaveLength(0);
        expect(await store.history()).toHaveLength(0);
      }),
      { numRuns: 300 },
    );
  });

  it("answers arbitrary paths, methods and remote addresses without throwing", async () => {
    const { handler, store } = createSeller({ limits: { burst: 1_000_000, requestsPerSecond: 1_000_000 } });
    await fc.assert(
      fc.asyncProperty(
        fc.webPath(),
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
        fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()),
        async (path, method, remoteAddress) => {
          const request = new Request(`http://seller.test${path.startsWith("/") ? path : `/${path}`}`, {
            method,
          });
          const response = await handler(request, { remoteAddress });
          expect(response.status).toBeGreaterThanOrEqual(200);
          expect(response.status).toBeLessThan(500);
          expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        },
      ),
      { numRuns: 300 },
    );
    expect(await store.history()).toHaveLength(0);
  });
});
