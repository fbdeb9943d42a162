import { describe, expect, it } from "vitest";
import { formatEndpoint, normalizeAddress, tryNormalizeAddress } from "./peer-identity.js";

describe("normalizeAddress", () => {
  it.each([
    ["127.0.0.2", "127.0.0.2"],
    ["::ffff:127.0.0.3", "127.0.0.3"],
    ["::FFFF:10.1.2.3", "10.1.2.3"],
    ["0:0:0:0:0:ffff:192.0.2.1", "192.0.2.1"],
    ["[2001:DB8::1]", "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["::1", "::1"],
    ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeAddress(input)).toBe(expected);
  });

  it.each([["example.com"], ["1.2.3"], ["256.1.1.1"], [""], ["1.2.3.4:80"], ["::ffff:999.1.1.1"]])(
    "rejects %j",
    (input) => {
      expect(tryNormalizeAddress(input)).toBeUndefined();
      expect(() => normalizeAddress(input)).toThrow(/not an IP address/);
    },
  );

  it("is idempotent", () => {
    for (const input of ["::ffff:1.2.3.4", "2001:DB8::A", "10.0.0.1"]) {
      const once = normalizeAddress(input);
      expect(normalizeAddress(once)).toBe(once);
    }
  });
});

describe("formatEndpoint", () => {
  it("brackets IPv6", () => {
    expect(formatEndpoint("127.0.0.2", 6881)).toBe("127.0.0.2:6881");
    expect(formatEndpoint("2001:db8::1", 6881)).toBe("[2001:db8::1]:6881");
  });
});
