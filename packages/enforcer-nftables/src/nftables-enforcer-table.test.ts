/**
 * The enforcer's table in a network namespace the test creates (no daemons): what `start`,
 * `block`, `throttle` and `close` leave in the kernel, read back with `nft --json`; rebuild over a
 * stale table; a foreign table beside ours stays byte-for-byte the same; refusal without
 * CAP_NET_ADMIN. Needs root: skipped, with that reason, elsewhere.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { isPeerpayError } from "@peerpay/core";
import { createTestNetworkPair, type TestNetworkPair } from "@peerpay/testkit/daemons";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNftablesEnforcer, type NftablesEnforcer } from "./index.js";
import {
  canRunNftables,
  nftInNamespace,
  rulesetOutside,
  setElements,
} from "./nftables-namespace.test.helper.js";

const run = promisify(execFile);
const supported = await canRunNftables();

describe.skipIf(!supported)("nftables enforcer table in a test namespace (needs root and nft)", () => {
  let pair: TestNetworkPair;
  let foreignBefore: string;
  const enforcers: NftablesEnforcer[] = [];
  const make = (table = "peerpay") => {
    const enforcer = createNftablesEnforcer({ ports: [51413], netns: pair.seller.name, table });
    enforcers.push(enforcer);
    return enforcer;
  };

  beforeAll(async () => {
    pair = await createTestNetworkPair();
    // Someone else's rules in the same namespace: must never change.
    await nftInNamespace(
      pair.seller.name,
      "table inet someone_else {\n chain input {\n  type filter hook input priority 0; policy accept;\n  tcp dport 22 counter accept\n }\n}\n",
    );
    foreignBefore = await rulesetOutside(pair.seller.name, "peerpay");
  }, 30_000);

  afterAll(async () => {
    for (const enforcer of enforcers) await enforcer.close().catch(() => undefined);
    await pair?.remove();
  });

  it("start builds the table on the namespace's devices; block and throttle are set elements", async () => {
    const enforcer = make();
    await enforcer.start();
    const listing = await nftInNamespace(pair.seller.name, "", ["list", "table", "netdev", "peerpay"]);
    expect(listing).toContain("hook egress");
    expect(listing).toContain(pair.seller.device);
    expect(listing).not.toMatch(/devices = \{[^}]*\blo\b/);

    await enforcer.block(["10.231.250.7", "::ffff:10.231.250.8", "2001:db8::1"]);
    expect(await setElements(pair.seller.name, "peerpay", "blocked4")).toEqual([
      "10.231.250.7",
      "10.231.250.8",
    ]);
    expect(await setElements(pair.seller.name, "peerpay", "blocked6")).toEqual(["2001:db8::1"]);
    expect(await enforcer.listBlocked()).toEqual(["10.231.250.7", "10.231.250.8", "2001:db8::1"]);

    await enforcer.throttle(["10.231.250.9", "2001:DB8:0::2"], 300_000);
    await enforcer.throttle(["10.231.250.9"], 150_000); // a new rate replaces the old bucket
    expect(await setElements(pair.seller.name, "peerpay", "throttle4")).toEqual(["10.231.250.9"]);
    expect(await setElements(pair.seller.name, "peerpay", "throttle6")).toEqual(["2001:db8::2"]);
    const limits = await nftInNamespace(pair.seller.name, "", [
      "list",
      "limits",
      "table",
      "netdev",
      "peerpay",
    ]);
    expect(limits).toContain("rate over 150000 bytes/second");
    expect(limits).toContain("rate over 300000 bytes/second");
    expect(limits.match(/limit peer_limit_/g)).toHaveLength(2);

    await enforcer.unblock(["10.231.250.7", "2001:db8::1"]);
    await enforcer.unthrottle(["10.231.250.9"]);
    expect(await setElements(pair.seller.name, "peerpay", "blocked4")).toEqual(["10.231.250.8"]);
    expect(await setElements(pair.seller.name, "peerpay", "blocked6")).toEqual([]);
    expect(await setElements(pair.seller.name, "peerpay", "throttle4")).toEqual([]);
    expect(await enforcer.listThrottled()).toEqual([
      { address: "2001:db8::2", bytesPerSecond: 300_000, burstBytes: 75_000 },
    ]);
    expect(await rulesetOutside(pair.seller.name, "peerpay")).toBe(foreignBefore);
  });

  it("a new enforcer over a stale table (a crash) rebuilds it from the state it is given", async () => {
    // The previous test's enforcer is never closed: its table is the stale one.
    const restarted = make();
    await restarted.start({
      blocked: ["10.231.250.20"],
      throttled: [{ address: "10.231.250.21", bytesPerSecond: 64_000 }],
    });
    expect(await setElements(pair.seller.name, "peerpay", "blocked4")).toEqual(["10.231.250.20"]);
    expect(await setElements(pair.seller.name, "peerpay", "throttle4")).toEqual(["10.231.250.21"]);
    expect(await setElements(pair.seller.name, "peerpay", "throttle6")).toEqual([]);
    const limits = await nftInNamespace(pair.seller.name, "", [
      "list",
      "limits",
      "table",
      "netdev",
      "peerpay",
    ]);
    expect(limits.match(/limit peer_limit_/g)).toHaveLength(1);
    expect(await rulesetOutside(pair.seller.name, "peerpay")).toBe(foreignBefore);
  });

  it("applyDecision maps core's allow / block / throttle", async () => {
    const enforcer = make();
    await enforcer.start({});
    await enforcer.applyDecision(["10.231.250.30"], { kind: "throttle", maxBytesPerSecond: 50_000 });
    expect(await enforcer.listThrottled()).toEqual([
      { address: "10.231.250.30", bytesPerSecond: 50_000, burstBytes: 16_384 },
    ]);
    await enforcer.applyDecision(["10.231.250.30"], { kind: "block" });
    expect(await setElements(pair.seller.name, "peerpay", "blocked4")).toEqual(["10.231.250.30"]);
    await enforcer.applyDecision(["10.231.250.30"], { kind: "allow" });
    expect(await setElements(pair.seller.name, "peerpay", "blocked4")).toEqual([]);
    expect(await setElements(pair.seller.name, "peerpay", "throttle4")).toEqual([]);
  });

  it("close removes the table and nothing else; a second close is harmless", async () => {
    const enforcer = make();
    await enforcer.start({ blocked: ["10.231.250.40"] });
    await enforcer.close();
    await enforcer.close();
    const tables = await nftInNamespace(pair.seller.name, "", ["list", "tables"]);
    expect(tables).not.toContain("peerpay");
    expect(tables).toContain("table inet someone_else");
    expect(await rulesetOutside(pair.seller.name, "peerpay")).toBe(foreignBefore);
  });

  it("refuses without CAP_NET_ADMIN, saying how to grant it", async () => {
    const enforcer = createNftablesEnforcer({
      ports: [51413],
      netns: pair.seller.name,
      table: "peerpay_nocap",
      command: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "nft"],
    });
    const error = await enforcer.start().catch((caught: unknown) => caught);
    expect(isPeerpayError(error)).toBe(true);
    expect((error as { code: string }).code).toBe("BACKEND_PERMISSION_DENIED");
    expect((error as Error).message).toMatch(/CAP_NET_ADMIN/);
    expect((error as Error).message).toMatch(/setcap cap_net_admin\+ep/);
    const { stdout } = await run("ip", ["netns", "exec", pair.seller.name, "nft", "list", "tables"]);
    expect(stdout).not.toContain("peerpay_nocap");
  });

  it("rejects bad input with core error codes before touching nft", async () => {
    expect(() => createNftablesEnforcer({ ports: [] })).toThrow(/ports/);
    expect(() => createNftablesEnforcer({ ports: [1], table: "bad name" })).toThrow(/table/);
    const enforcer = make("peerpay_input");
    await expect(enforcer.block(["not-an-address"])).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(enforcer.throttle(["10.0.0.1"], 0)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(enforcer.block(["fe80::1%eth0"])).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});
