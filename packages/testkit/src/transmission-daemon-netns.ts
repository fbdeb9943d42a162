/**
 * A network namespace with a veth pair for tests in which a Transmission daemon must dial out
 * (it never dials 127.x peers learned from a tracker): the namespace side gets its own address,
 * the host side another one in the same /24. Needs root (CAP_NET_ADMIN) and iproute2; deleting
 * the namespace removes the veth pair. Traffic stays on this test-made link.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestNetworkNamespace {
  readonly name: string;
  /** Address on the host side of the veth pair, e.g. "10.231.7.1". */
  readonly hostAddress: string;
  /** Address inside the namespace, e.g. "10.231.7.2". */
  readonly namespaceAddress: string;
  remove(): Promise<void>;
}

/** Whether this process can create network namespaces (root and `ip` present). */
export async function canCreateNetworkNamespaces(): Promise<boolean> {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return false;
  try {
    await run("ip", ["netns", "list"], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

export async function createTestNetworkNamespace(): Promise<TestNetworkNamespace> {
  const id = randomBytes(3).toString("hex");
  const name = `peerpay-${id}`;
  const hostLink = `pp${id}h`;
  const namespaceLink = `pp${id}n`;
  // 10.231.<n>.0/24 with a random third octet; collisions with another test's pair are avoided by retrying.
  const octet = 1 + (randomBytes(1)[0]! % 250);
  const hostAddress = `10.231.${octet}.1`;
  const namespaceAddress = `10.231.${octet}.2`;
  const ip = (...args: string[]) => run("ip", args, { timeout: 10_000 });
  await ip("netns", "add", name);
  try {
    await ip("link", "add", hostLink, "type", "veth", "peer", "name", namespaceLink);
    await ip("link", "set", namespaceLink, "netns", name);
    await ip("addr", "add", `${hostAddress}/24`, "dev", hostLink);
    await ip("link", "set", hostLink, "up");
    await ip("netns", "exec", name, "ip", "addr", "add", `${namespaceAddress}/24`, "dev", namespaceLink);
    await ip("netns", "exec", name, "ip", "link", "set", namespaceLink, "up");
    await ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
  } catch (error) {
    await ip("netns", "del", name).catch(() => undefined);
    await ip("link", "del", hostLink).catch(() => undefined);
    throw error;
  }
  return {
    name,
    hostAddress,
    namespaceAddress,
    async remove() {
      await ip("netns", "del", name).catch(() => undefined);
      await ip("link", "del", hostLink).catch(() => undefined);
    },
  };
}
