/**
 * Two network namespaces for packet-level tests, a seller's and a buyers', each with one veth
 * link into a bridge that lives in a third ("hub") namespace, where the host's end of a third
 * link sits too. One flat test subnet, 10.231.N.0/24:
 *
 *   host 10.231.N.1 ──┐
 *   seller ns .2 ─────┼── bridge in the hub ns
 *   buyer ns .3, .4 … ┘
 *
 * Every client's address is on the device that carries its peer traffic (libtorrent binds its
 * sockets to that device), the test process reaches each client's RPC directly, nothing
 * forwards, and the host gains only its one link address, which goes away with the namespaces.
 * Rules hooked on `seller.device` see all of the seller's traffic. Needs root and iproute2.
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
  /** The namespace's one link (to the hub). */
  readonly device: string;
}

export interface TestNetworkPair {
  readonly seller: TestNamespaceEnd & { readonly address: string };
  readonly buyer: TestNamespaceEnd & { readonly addresses: readonly string[] };
  /** The host's address on the test subnet (the test process's source address). */
  readonly hostAddress: string;
  remove(): Promise<void>;
}

export interface TestNetworkPairOptions {
  /** How many buyer addresses (one per buyer client). Default 2. */
  readonly buyerAddresses?: number;
}

export async function createTestNetworkPair(options: TestNetworkPairOptions = {}): Promise<TestNetworkPair> {
  const count = options.buyerAddresses ?? 2;
  const id = randomBytes(3).toString("hex");
  const hub = `peerpay-h-${id}`;
  const seller = `peerpay-s-${id}`;
  const buyer = `peerpay-b-${id}`;
  const octet = await freeOctet();
  const subnet = (host: number) => `10.231.${octet}.${host}`;
  const ip = (...args: string[]) => run("ip", args, { timeout: 10_000 });
  const inNs = (ns: string, ...args: string[]) => ip("-n", ns, ...args);
  const created: string[] = [];
  const remove = async () => {
    for (const name of created) await ip("netns", "del", name).catch(() => undefined);
    await ip("link", "del", `pp${id}h`).catch(() => undefined);
  };
  try {
    for (const name of [hub, seller, buyer]) {
      await ip("netns", "add", name);
      created.push(name);
      await inNs(name, "link", "set", "lo", "up");
    }
    await inNs(hub, "link", "add", "br0", "type", "bridge");
    await inNs(hub, "link", "set", "br0", "up");
    // Each link: `pp<id><side>` at the end, `pp<id><side>x` in the hub's bridge.
    const attach = async (side: string, ns: string | undefined, addresses: readonly string[]) => {
      const end = `pp${id}${side}`;
      await ip("link", "add", end, "type", "veth", "peer", "name", `${end}x`);
      await ip("link", "set", `${end}x`, "netns", hub);
      await inNs(hub, "link", "set", `${end}x`, "master", "br0");
      await inNs(hub, "link", "set", `${end}x`, "up");
      if (ns !== undefined) await ip("link", "set", end, "netns", ns);
      const here = (...args: string[]) => (ns === undefined ? ip(...args) : inNs(ns, ...args));
      for (const address of addresses) await here("addr", "add", `${address}/24`, "dev", end);
      await here("link", "set", end, "up");
      return end;
    };
    const buyerAddresses = Array.from({ length: count }, (_, index) => subnet(index + 3));
    await attach("h", undefined, [subnet(1)]);
    const sellerDevice = await attach("s", seller, [subnet(2)]);
    const buyerDevice = await attach("b", buyer, buyerAddresses);
    return {
      seller: { name: seller, device: sellerDevice, address: subnet(2) },
      buyer: { name: buyer, device: buyerDevice, addresses: buyerAddresses },
      hostAddress: subnet(1),
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

/** A third octet of 10.231.x.0/24 not used by any address on the host right now. */
async function freeOctet(): Promise<number> {
  const { stdout } = await run("ip", ["-4", "-o", "addr", "show"], { timeout: 10_000 });
  const used = new Set([...stdout.matchAll(/inet 10\.231\.(\d+)\./g)].map((match) => Number(match[1])));
  for (let attempt = 0; attempt < 1000; attempt++) {
    const octet = 1 + (randomBytes(1)[0]! % 250);
    if (!used.has(octet)) return octet;
  }
  throw new Error("no free 10.231.x.0/24 subnet for the test namespaces");
}
