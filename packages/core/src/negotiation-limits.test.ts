import { describe, expect, it } from "vitest";
import { createRateLimiter, rateLimitKey, readLimitedText } from "./negotiation-limits.js";

describe("rate limiter", () => {
  it("keeps at most maxTrackedAddresses buckets, forgetting the least recently seen", () => {
    let clock = 0;
    const limiter = createRateLimiter({
      requestsPerSecond: 1,
      burst: 1,
      maxTrackedAddresses: 3,
      now: () => clock,
    });
    for (let index = 1; index <= 50; index++) limiter.take(`10.0.0.${index}`);
    expect(limiter.size()).toBe(3);
    // 10.0.0.50 is remembered (empty bucket); 10.0.0.1 was forgotten (fresh bucket).
    expect(limiter.take("10.0.0.50").allowed).toBe(false);
    expect(limiter.take("10.0.0.1").allowed).toBe(true);
    clock += 1_000;
    expect(limiter.take("10.0.0.50").allowed).toBe(true);
  });

  it("shares one bucket per IPv6 /64", () => {
    expect(rateLimitKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(rateLimitKey("2001:db8:1:2::ffff")).toBe("2001:db8:1:2::/64");
    expect(rateLimitKey("::1")).toBe("0:0:0:0::/64");
    expect(rateLimitKey("127.0.0.1")).toBe("127.0.0.1");
    const limiter = createRateLimiter({
      requestsPerSecond: 1,
      burst: 2,
      maxTrackedAddresses: 10,
      now: () => 0,
    });
    expect(limiter.take("2001:db8:1:2::1").allowed).toBe(true);
    expect(limiter.take("2001:db8:1:2::2").allowed).toBe(true);
    expect(limiter.take("2001:db8:1:2::3")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take("2001:db8:1:3::1").allowed).toBe(true);
  });

  it("refuses a configuration that would never allow a request", () => {
    expect(() => createRateLimiter({ requestsPerSecond: 0, burst: 1, maxTrackedAddresses: 1 })).toThrow(
      /rate limit/,
    );
  });
});

describe("readLimitedText", () => {
  const request = (body: string, headers: Record<string, string> = {}) =>
    new Request("http://x.test/", { method: "POST", body, headers });

  it("reads a body within the limit and refuses one over it", async () => {
    expect(await readLimitedText(request("héllo"), 6)).toBe("héllo");
    await expect(readLimitedText(request("héllo!"), 6)).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
  });

  it("refuses a lying or malformed content-length and invalid UTF-8", async () => {
    await expect(readLimitedText(request("{}", { "content-length": "99999999" }), 10)).rejects.toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
    });
    const invalid = new Request("http://x.test/", { method: "POST", body: new Uint8Array([0xff, 0xfe]) });
    await expect(readLimitedText(invalid, 10)).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});
