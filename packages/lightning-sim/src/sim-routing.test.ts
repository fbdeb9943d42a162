import { describe, expect, it } from "vitest";
import { findRoute, forwardingFee, type SimChannelEdge } from "./sim-routing.js";

const policy = (feeBaseMsat: bigint, feeRatePpm: bigint) => ({ feeBaseMsat, feeRatePpm });

/** Both directions of a channel with the same liquidity and policy. */
function channel(
  id: string,
  a: string,
  b: string,
  liquidity: bigint,
  fee = policy(1000n, 1n),
): SimChannelEdge[] {
  return [
    { channelId: id, from: a, to: b, liquidityMsat: liquidity, policy: fee },
    { channelId: id, from: b, to: a, liquidityMsat: liquidity, policy: fee },
  ];
}

describe("forwardingFee", () => {
  it("is base plus parts per million, rounded down", () => {
    expect(forwardingFee(policy(1000n, 1n), 1_000_000n)).toBe(1001n);
    expect(forwardingFee(policy(0n, 500n), 1_999n)).toBe(0n);
    expect(forwardingFee(policy(10n, 10_000n), 1_000_000n)).toBe(10_010n);
  });
});

describe("findRoute", () => {
  it("pays a direct peer without fees", () => {
    const route = findRoute({
      from: "a",
      to: "b",
      amountMsat: 5000n,
      edges: channel("1", "a", "b", 10_000n),
    });
    expect(route?.feeMsat).toBe(0n);
    expect(route?.totalMsat).toBe(5000n);
    expect(route?.hops).toEqual([{ channelId: "1", from: "a", to: "b", amountMsat: 5000n, feeMsat: 0n }]);
  });

  it("charges each intermediate node's fee on the amount it forwards", () => {
    const edges = [
      ...channel("ab", "a", "b", 10_000_000n),
      ...channel("bc", "b", "c", 10_000_000n, policy(1000n, 100n)),
      ...channel("cd", "c", "d", 10_000_000n, policy(500n, 1000n)),
    ];
    const route = findRoute({ from: "a", to: "d", amountMsat: 1_000_000n, edges })!;
    // c forwards 1 000 000 over cd: 500 + 1000 ppm = 1500; b forwards 1 001 500 over bc: 1000 + 100 = 1100.
    expect(route.hops.map((hop) => [hop.from, hop.to, hop.amountMsat, hop.feeMsat])).toEqual([
      ["a", "b", 1_002_600n, 0n],
      ["b", "c", 1_001_500n, 1100n],
      ["c", "d", 1_000_000n, 1500n],
    ]);
    expect(route.feeMsat).toBe(2600n);
    expect(route.totalMsat).toBe(1_002_600n);
  });

  it("prefers fewer hops, then the lower fee", () => {
    const edges = [
      ...channel("ab", "a", "b", 1_000_000n),
      ...channel("bd", "b", "d", 1_000_000n, policy(50n, 0n)),
      ...channel("ac", "a", "c", 1_000_000n),
      ...channel("cd", "c", "d", 1_000_000n, policy(10n, 0n)),
      ...channel("ae", "a", "e", 1_000_000n),
      ...channel("ef", "e", "f", 1_000_000n, policy(0n, 0n)),
      ...channel("fd", "f", "d", 1_000_000n, policy(0n, 0n)),
    ];
    const route = findRoute({ from: "a", to: "d", amountMsat: 1000n, edges })!;
    expect(route.hops.map((hop) => hop.channelId)).toEqual(["ac", "cd"]);
    expect(route.feeMsat).toBe(10n);
  });

  it("skips channels without the liquidity and nodes that are offline", () => {
    const edges = [
      ...channel("ab", "a", "b", 1_000_000n),
      ...channel("bd", "b", "d", 100n),
      ...channel("ac", "a", "c", 1_000_000n),
      ...channel("cd", "c", "d", 1_000_000n),
      ...channel("ae", "a", "e", 1_000_000n),
      ...channel("ef", "e", "f", 1_000_000n),
      ...channel("fd", "f", "d", 1_000_000n),
    ];
    expect(findRoute({ from: "a", to: "d", amountMsat: 1000n, edges })!.hops[0]!.channelId).toBe("ac");
    const detour = findRoute({ from: "a", to: "d", amountMsat: 1000n, edges, unavailable: new Set(["c"]) })!;
    expect(detour.hops.map((hop) => hop.channelId)).toEqual(["ae", "ef", "fd"]);
    expect(
      findRoute({ from: "a", to: "d", amountMsat: 1000n, edges, unavailable: new Set(["d"]) }),
    ).toBeUndefined();
  });

  it("uses only the liquidity of the sending side", () => {
    const edges: SimChannelEdge[] = [
      { channelId: "1", from: "a", to: "b", liquidityMsat: 0n, policy: policy(0n, 0n) },
      { channelId: "1", from: "b", to: "a", liquidityMsat: 10_000n, policy: policy(0n, 0n) },
    ];
    expect(findRoute({ from: "a", to: "b", amountMsat: 1n, edges })).toBeUndefined();
    expect(findRoute({ from: "b", to: "a", amountMsat: 10_000n, edges })?.totalMsat).toBe(10_000n);
  });

  it("finds a cheaper, longer route when the shortest is over the fee limit", () => {
    const edges = [
      ...channel("ab", "a", "b", 1_000_000n),
      ...channel("bd", "b", "d", 1_000_000n, policy(5000n, 0n)),
      ...channel("ae", "a", "e", 1_000_000n),
      ...channel("ef", "e", "f", 1_000_000n, policy(100n, 0n)),
      ...channel("fd", "f", "d", 1_000_000n, policy(100n, 0n)),
    ];
    expect(findRoute({ from: "a", to: "d", amountMsat: 1000n, edges })!.feeMsat).toBe(5000n);
    const cheap = findRoute({ from: "a", to: "d", amountMsat: 1000n, edges, maxFeeMsat: 1000n })!;
    expect(cheap.hops.map((hop) => hop.channelId)).toEqual(["ae", "ef", "fd"]);
    expect(cheap.feeMsat).toBe(200n);
    expect(findRoute({ from: "a", to: "d", amountMsat: 1000n, edges, maxFeeMsat: 199n })).toBeUndefined();
  });

  it("finds nothing between disconnected nodes or beyond the hop limit", () => {
    const line = ["n0", "n1", "n2", "n3", "n4"];
    const edges = line
      .slice(1)
      .flatMap((node, index) => channel(`c${index}`, line[index]!, node, 1_000_000n));
    expect(findRoute({ from: "n0", to: "x", amountMsat: 1n, edges })).toBeUndefined();
    expect(findRoute({ from: "n0", to: "n4", amountMsat: 1n, edges })?.hops).toHaveLength(4);
    expect(findRoute({ from: "n0", to: "n4", amountMsat: 1n, edges, maxHops: 3 })).toBeUndefined();
  });
});
