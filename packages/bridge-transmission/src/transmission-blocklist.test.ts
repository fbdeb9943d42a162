import { describe, expect, it } from "vitest";
import { countBlocklistRules, formatBlocklist, PLACEHOLDER_ADDRESS } from "./transmission-blocklist.js";

describe("blocklist text", () => {
  it("is never empty: a documentation-range placeholder stays when nothing is blocked", () => {
    const text = formatBlocklist("", []);
    expect(text).toBe(`peerpay-placeholder:${PLACEHOLDER_ADDRESS}-${PLACEHOLDER_ADDRESS}\n`);
    expect(countBlocklistRules(text)).toBe(1);
  });

  it("keeps the user's list and adds one colon-free P2P range per blocked address", () => {
    const text = formatBlocklist("user:10.0.0.1-10.0.0.1\n", ["127.0.0.9"]);
    expect(text.split("\n")).toEqual([
      "user:10.0.0.1-10.0.0.1",
      "peerpay:127.0.0.9-127.0.0.9",
      `peerpay-placeholder:${PLACEHOLDER_ADDRESS}-${PLACEHOLDER_ADDRESS}`,
      "",
    ]);
  });

  it("counts rules the way the daemon does: P2P, DAT and CIDR lines, overlaps merged, junk skipped", () => {
    // These lists and counts were checked against transmission-daemon 3.00's blocklist-size.
    expect(
      countBlocklistRules(
        "u1:10.0.0.1-10.0.0.1\nu2:10.0.0.5-10.0.0.9\nme:10.0.0.7-10.0.0.7\np:192.0.2.255-192.0.2.255\n",
      ),
    ).toBe(3);
    expect(countBlocklistRules("x:10.0.0.1-10.0.0.1\ny:10.0.0.1-10.0.0.1\n")).toBe(1);
    expect(countBlocklistRules("10.2.0.0/16\n#comment\ngarbage\n")).toBe(1);
    expect(countBlocklistRules("010.001.000.000 - 010.001.255.255 , 000 , dat range\n")).toBe(1);
    expect(countBlocklistRules("")).toBe(0);
  });
});
