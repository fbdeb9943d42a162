/**
 * Pure builders of the nft scripts the enforcer sends (`nft -f -`), and address handling.
 *
 * The enforcer owns one `netdev` table. Its chains hook the **egress** and **ingress** of the
 * given network devices, i.e. below the socket layer: a packet the client sends to a blocked
 * peer is dropped after `send()` has returned, so the client sees at most what a full device
 * queue gives it (UDP: no error unless the socket asked for IP_RECVERR; TCP: a local congestion
 * signal, then a retransmit). A drop in the `output` hook instead hands the client EPERM, which
 * makes qBittorrent's uTP close the connection on the first dropped packet (see
 * docs/enforcement.md). Peers are set elements, so every change is one small transaction.
 */
import { isIP } from "node:net";
import { PeerpayError } from "@peerpay/core";

export interface NftablesLayout {
  /** Table name (family `netdev`). */
  readonly table: string;
  /** Devices whose egress and ingress the chains hook. */
  readonly devices: readonly string[];
  /** The client's BitTorrent ports (TCP and UDP), matched as the local port. */
  readonly ports: readonly number[];
  /** The client's own addresses, when it has some to itself (catches outgoing TCP from ephemeral ports). */
  readonly localAddresses: readonly string[];
  /** Hook priority of both chains. */
  readonly priority: number;
  /** Capacity of each per-peer counter set. */
  readonly counterSetSize: number;
}

export interface ThrottleEntry {
  readonly bytesPerSecond: number;
  readonly burstBytes: number;
  /** Name of the nftables limit object holding this peer's bucket. */
  readonly limitName: string;
}

export interface EnforcementState {
  readonly blocked: ReadonlySet<string>;
  readonly throttled: ReadonlyMap<string, ThrottleEntry>;
}

export type AddressFamily = 4 | 6;

/** Canonical form of one peer address; IPv4-mapped IPv6 becomes IPv4. Throws INVALID_INPUT. */
export function canonicalAddress(input: string): { address: string; family: AddressFamily } {
  const trimmed = typeof input === "string" ? input.trim().replace(/^\[(.*)\]$/, "$1") : "";
  const kind = isIP(trimmed);
  if (kind === 4) return { address: trimmed, family: 4 };
  if (kind === 6 && !trimmed.includes("%")) {
    const hostname = new URL(`http://[${trimmed}]/`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(hostname);
    if (mapped) {
      const high = Number.parseInt(mapped[1]!, 16);
      const low = Number.parseInt(mapped[2]!, 16);
      return { address: `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, family: 4 };
    }
    return { address: hostname, family: 6 };
  }
  throw new PeerpayError("INVALID_INPUT", `nftables enforcer: not an IP address: ${JSON.stringify(input)}`, {
    details: { address: String(input).slice(0, 64) },
  });
}

export function familyOf(address: string): AddressFamily {
  return isIP(address) === 6 ? 6 : 4;
}

/** Token-bucket depth used when the caller gives none: a quarter second of traffic, at least 16 KiB. */
export function defaultBurstBytes(bytesPerSecond: number): number {
  return Math.max(16 * 1024, Math.floor(bytesPerSecond / 4));
}

const quote = (name: string) => `"${name}"`;

/** The whole table, replacing any table of that name atomically (also a stale one after a crash). */
export function tableScript(layout: NftablesLayout, state: EnforcementState): string {
  const t = layout.table;
  const devices = layout.devices.map(quote).join(", ");
  const locals = partition(layout.localAddresses);
  const lines = [
    `table netdev ${t} {}`,
    `delete table netdev ${t}`,
    `table netdev ${t} {`,
    `  set ports { type inet_service; ${elements(layout.ports.map(String))} }`,
    `  set local4 { type ipv4_addr; ${elements(locals[4])} }`,
    `  set local6 { type ipv6_addr; ${elements(locals[6])} }`,
    "  set blocked4 { type ipv4_addr; }",
    "  set blocked6 { type ipv6_addr; }",
    "  map throttle4 { type ipv4_addr : limit; }",
    "  map throttle6 { type ipv6_addr : limit; }",
    ...["sent4", "received4"].map(
      (name) => `  set ${name} { type ipv4_addr; size ${layout.counterSetSize}; flags dynamic; counter; }`,
    ),
    ...["sent6", "received6"].map(
      (name) => `  set ${name} { type ipv6_addr; size ${layout.counterSetSize}; flags dynamic; counter; }`,
    ),
    "  chain to_peer {",
    "    ip daddr @blocked4 counter drop",
    "    ip6 daddr @blocked6 counter drop",
    "    limit name ip daddr map @throttle4 counter drop",
    "    limit name ip6 daddr map @throttle6 counter drop",
    "    update @sent4 { ip daddr }",
    "    update @sent6 { ip6 daddr }",
    "  }",
    "  chain from_peer {",
    "    ip saddr @blocked4 counter drop",
    "    ip6 saddr @blocked6 counter drop",
    "    update @received4 { ip saddr }",
    "    update @received6 { ip6 saddr }",
    "  }",
    "  chain egress {",
    `    type filter hook egress devices = { ${devices} } priority ${layout.priority}; policy accept;`,
    "    meta l4proto { tcp, udp } th sport @ports goto to_peer",
    "    ip saddr @local4 goto to_peer",
    "    ip6 saddr @local6 goto to_peer",
    "  }",
    "  chain ingress {",
    `    type filter hook ingress devices = { ${devices} } priority ${layout.priority}; policy accept;`,
    "    meta l4proto { tcp, udp } th dport @ports goto from_peer",
    "    ip daddr @local4 goto from_peer",
    "    ip6 daddr @local6 goto from_peer",
    "  }",
    "}",
  ];
  lines.push(...blockLines(t, "add", [...state.blocked]));
  for (const [address, entry] of state.throttled) lines.push(...throttleLines(t, address, entry, undefined));
  return `${lines.join("\n")}\n`;
}

/** Adds or deletes addresses in the blocked sets (one transaction for both families). */
export function blockLines(table: string, verb: "add" | "delete", addresses: readonly string[]): string[] {
  const groups = partition(addresses);
  const lines: string[] = [];
  if (groups[4].length) lines.push(`${verb} element netdev ${table} blocked4 { ${groups[4].join(", ")} }`);
  if (groups[6].length) lines.push(`${verb} element netdev ${table} blocked6 { ${groups[6].join(", ")} }`);
  return lines;
}

/** Points one peer at a fresh limit object, dropping its previous one (if any) in the same transaction. */
export function throttleLines(
  table: string,
  address: string,
  entry: ThrottleEntry,
  previous: ThrottleEntry | undefined,
): string[] {
  const map = familyOf(address) === 6 ? "throttle6" : "throttle4";
  return [
    `add limit netdev ${table} ${entry.limitName} { rate over ${entry.bytesPerSecond} bytes/second burst ${entry.burstBytes} bytes }`,
    ...(previous ? unthrottleLines(table, address, previous) : []),
    `add element netdev ${table} ${map} { ${address} : ${quote(entry.limitName)} }`,
  ];
}

export function unthrottleLines(table: string, address: string, previous: ThrottleEntry): string[] {
  const map = familyOf(address) === 6 ? "throttle6" : "throttle4";
  return [
    `delete element netdev ${table} ${map} { ${address} }`,
    `delete limit netdev ${table} ${previous.limitName}`,
  ];
}

function partition(addresses: readonly string[]): Record<AddressFamily, string[]> {
  const groups: Record<AddressFamily, string[]> = { 4: [], 6: [] };
  for (const address of addresses) groups[familyOf(address)].push(address);
  return groups;
}

function elements(values: readonly string[]): string {
  return values.length ? `elements = { ${values.join(", ")} }` : "";
}
