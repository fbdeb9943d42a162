/**
 * The pure parts, without root: address forms, the generated nft script, and the parser of
 * nft's JSON counters (fed nft 1.0.6's real output shape).
 */
import { describe, expect, it } from "vitest";
import { joinTraffic, parseCounterSet } from "./nftables-counters.js";
import { canonicalAddress, defaultBurstBytes, tableScript } from "./nftables-script.js";

describe("nftables script builders", () => {
  it("canonical addresses: IPv4, IPv6 compressed and lower-case, mapped IPv4, brackets", () => {
    expect(canonicalAddress("10.0.0.1")).toEqual({ address: "10.0.0.1", family: 4 });
    expect(canonicalAddress("2001:DB8:0:0::1")).toEqual({ address: "2001:db8::1", family: 6 });
    expect(canonicalAddress("[2001:db8::2]")).toEqual({ address: "2001:db8::2", family: 6 });
    expect(canonicalAddress("::ffff:192.0.2.7")).toEqual({ address: "192.0.2.7", family: 4 });
    for (const bad of [
      "",
      "10.0.0.256",
      "example.org",
      "fe80::1%eth0",
      "10.0.0.1/24",
      "10.0.0.1; flush ruleset",
    ]) {
      expect(() => canonicalAddress(bad)).toThrow(/not an IP address/);
    }
  });

  it("the table script replaces any old table atomically and carries the state", () => {
    const script = tableScript(
      {
        table: "peerpay",
        devices: ["eth0", "eth1"],
        ports: [51413],
        localAddresses: ["192.0.2.1", "2001:db8::1"],
        priority: 0,
        counterSetSize: 1000,
      },
      {
        blocked: new Set(["198.51.100.1", "2001:db8::9"]),
        throttled: new Map([
          ["198.51.100.2", { bytesPerSecond: 1000, burstBytes: 2000, limitName: "peer_limit_1" }],
        ]),
      },
    );
    const lines = script.split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "table netdev peerpay {}",
      "delete table netdev peerpay",
      "table netdev peerpay {",
    ]);
    expect(script).toContain('hook egress devices = { "eth0", "eth1" }');
    expect(script).toContain('hook ingress devices = { "eth0", "eth1" }');
    expect(script).toContain("set ports { type inet_service; elements = { 51413 } }");
    expect(script).toContain("set local4 { type ipv4_addr; elements = { 192.0.2.1 } }");
    expect(script).toContain("set local6 { type ipv6_addr; elements = { 2001:db8::1 } }");
    expect(script).toContain("add element netdev peerpay blocked4 { 198.51.100.1 }");
    expect(script).toContain("add element netdev peerpay blocked6 { 2001:db8::9 }");
    expect(script).toContain(
      "add limit netdev peerpay peer_limit_1 { rate over 1000 bytes/second burst 2000 bytes }",
    );
    expect(script).toContain('add element netdev peerpay throttle4 { 198.51.100.2 : "peer_limit_1" }');
    expect(script).toContain("size 1000; flags dynamic; counter;");
    expect(script).not.toMatch(/\b(flush ruleset|hook output|hook input)\b/);
  });

  it("burst: a quarter second of traffic, at least 16 KiB", () => {
    expect(defaultBurstBytes(1000)).toBe(16_384);
    expect(defaultBurstBytes(1_000_000)).toBe(250_000);
  });

  it("reads per-peer counters from nft --json and joins both directions", () => {
    const sent = parseCounterSet(
      JSON.stringify({
        nftables: [
          { metainfo: { version: "1.0.6", json_schema_version: 1 } },
          {
            set: {
              family: "netdev",
              name: "sent4",
              table: "peerpay",
              type: "ipv4_addr",
              elem: [
                { elem: { val: "10.0.0.2", counter: { packets: 3, bytes: 3126 } } },
                { elem: { val: "2001:DB8::1", counter: { packets: 1, bytes: 90 } } },
                "10.0.0.9",
              ],
            },
          },
        ],
      }),
    );
    const received = parseCounterSet(
      '{"nftables":[{"set":{"name":"received4","elem":[{"elem":{"val":"10.0.0.2","counter":{"packets":2,"bytes":132}}}]}}]}',
    );
    expect(joinTraffic(sent, received)).toEqual([
      { address: "10.0.0.2", sentBytes: 3126, sentPackets: 3, receivedBytes: 132, receivedPackets: 2 },
      { address: "2001:db8::1", sentBytes: 90, sentPackets: 1, receivedBytes: 0, receivedPackets: 0 },
    ]);
    expect(() => parseCounterSet("not json")).toThrow(/unexpected/);
  });
});
