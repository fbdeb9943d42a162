/**
 * Two network namespaces for packet-level tests: a seller namespace and a buyer namespace, joined
 * by their own veth link that carries all peer traffic, and each reachable from the test process
 * over a veth link of its own (RPC only). Needs root (CAP_NET_ADMIN) and iproute2.
 *
 *   host 10.231.A.1 ── 10.231.A.2 seller ns ══ peer link 10.231.W.0/24 ══ buyer ns 10.231.B.2, .3 … ── 10.231.B.1 host
 *
 * The seller's client binds 10.231.A.2 and the buyers bind 10.231.B.x: those addresses answer RPC
 * from the host, and routes inside the two namespaces send peer traffic over the peer link (no
 * forwarding anywhere, nothing added to the host but the two link addresses, which go away with
 * the namespaces). Rules hooked on `seller.peerDevice` therefore see exactly the peer traffic.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestNamespaceEnd {
  /** Namespace name, for `ip netns exec`. */
  readonly name: string;
  /** Device inside the namespace on the peer link. */
  readonly peerDevice: string;
}

export interface TestNetworkPair {
  readonly seller: TestNamespaceEnd & { readonly address: string };
  readonly buyer: TestNamespaceEnd & { readonly addresses: readonly string[] };
  /** Host-side addresses of the two RPC links (the test process's source addresses). */
  readonly hostAddresses: readonly string[];
  remove(): Promise<void>;
}

export interface TestNetworkPairOptions {
  /** How many buyer addresses (one per buyer client). Default 2. */
  readonly buyerAddresses?: number;
}

export async function createTestNetworkPair(options: TestNetworkPairOptions = {}): Promise<TestNetworkPair> {
  const count = options.buyerAddresses ?? 2;
  const id = randomBytes(3).toString("hex");
  const seller = `peerpay-s-${id}`;
  const buyer = `peerpay-b-${id}`;
  const [a, b, w] = await freeOctets(3);
  const ip = (...args: string[]) => run("ip", args, { timeout: 10_000 });
  const inNs = (ns: string, ...args: string[]) => ip("-n", ns, ...args);
  const created: string[] = [];
  const remove = async () => {
    for (const name of created) await ip("netns", "del", name).catch(() => undefined);
    await ip("link", "del", `pp${id}sh`).catch(() => undefined);
    await ip("link", "del", `pp${id}bh`).catch(() => undefined);
  };
  try {
    for (const name of [seller, buyer]) {
      await ip("netns", "add", name);
      created.push(name);
      await inNs(name, "link", "set", "lo", "up");
    }
    // RPC links to the host.
    for (const [side, ns, octet] of [
      ["s", seller, a],
      ["b", buyer, b],
    ] as const) {
      await ip("link", "add", `pp${id}${side}h`, "type", "veth", "peer", "name", `pp${id}${side}r`);
      await ip("link", "set", `pp${id}${side}r`, "netns", ns);
      await ip("addr", "add", `10.231.${octet}.1/24`, "dev", `pp${id}${side}h`);
      await ip("link", "set", `pp${id}${side}h`, "up");
      await inNs(ns, "link", "set", `pp${id}${side}r`, "up");
    }
    await inNs(seller, "addr", "add", `10.231.${a}.2/24`, "dev", `pp${id}sr`);
    const buyerAddresses = Array.from({ length: count }, (_, index) => `10.231.${b}.${index + 2}`);
    for (const address of buyerAddresses)
      await inNs(buyer, "addr", "add", `${address}/24`, "dev", `pp${id}br`);
    // The peer link between the two namespaces.
    await ip("link", "add", `pp${id}sp`, "type", "veth", "peer", "name", `pp${id}bp`);
    await ip("link", "set", `pp${id}sp`, "netns", seller);
    await ip("link", "set", `pp${id}bp`, "netns", buyer);
    await inNs(seller, "addr", "add", `10.231.${w}.1/24`, "dev", `pp${id}sp`);
    await inNs(buyer, "addr", "add", `10.231.${w}.2/24`, "dev", `pp${id}bp`);
    await inNs(seller, "link", "set", `pp${id}sp`, "up");
    await inNs(buyer, "link", "set", `pp${id}bp`, "up");
    await inNs(seller, "route", "add", `10.231.${b}.0/24`, "via", `10.231.${w}.2`, "dev", `pp${id}sp`);
    await inNs(buyer, "route", "replace", `10.231.${a}.0/24`, "via", `10.231.${w}.1`, "dev", `pp${id}bp`);
    return {
      seller: { name: seller, peerDevice: `pp${id}sp`, address: `10.231.${a}.2` },
      buyer: { name: buyer, peerDevice: `pp${id}bp`, addresses: buyerAddresses },
      hostAddresses: [`10.231.${a}.1`, `10.231.${b}.1`],
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

/**
 * A tiny executable that runs `program` inside `netns` (`exec ip netns exec …`, so the PID is the
 * program's): for harnesses that take an `executable` option but know nothing of namespaces.
 */
export async function writeNamespaceExecutable(
  directory: string,
  netns: string,
  program: string,
): Promise<string> {
  const path = join(directory, `in-${netns}-${program.replace(/[^A-Za-z0-9_-]/g, "_")}.sh`);
  await writeFile(path, `#!/bin/sh\nexec ip netns exec '${netns}' '${program}' "$@"\n`);
  await chmod(path, 0o755);
  return path;
}

/** Third octets of 10.231.x.0/24 not used by any address on the host right now. */
async function freeOctets(count: number): Promise<number[]> {
  const { stdout } = await run("ip", ["-4", "-o", "addr", "show"], { timeout: 10_000 });
  const used = new Set([...stdout.matchAll(/inet 10\.231\.(\d+)\./g)].map((match) => Number(match[1])));
  const chosen: number[] = [];
  for (let attempt = 0; attempt < 1000 && chosen.length < count; attempt++) {
    const octet = 1 + (randomBytes(1)[0]! % 250);
    if (!used.has(octet) && !chosen.includes(octet)) chosen.push(octet);
  }
  if (chosen.length < count) throw new Error("no free 10.231.x.0/24 subnets for the test namespaces");
  return chosen;
}
