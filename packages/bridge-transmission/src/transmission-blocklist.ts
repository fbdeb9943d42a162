/**
 * The blocklist text the bridge serves: the user's own list (as fetched), the bridge's blocks as
 * P2P plain-text ranges (`peerpay:a.b.c.d-a.b.c.d`, one address each, colon-free label), and a
 * placeholder from a documentation range so the list is never empty (3.00 rejects an empty list
 * and keeps the old one; 4.x does the same). Also counts the rules the daemon should end up with
 * — it merges overlapping ranges — to check `blocklist-size` after an update.
 */

/** TEST-NET-1 (RFC 5737): never a real peer. */
export const PLACEHOLDER_ADDRESS = "192.0.2.255";
const LABEL = "peerpay";

export function formatBlocklist(userList: string, blocked: readonly string[]): string {
  const lines: string[] = [];
  const user = userList.trim();
  if (user.length > 0) lines.push(user);
  for (const address of blocked) lines.push(`${LABEL}:${address}-${address}`);
  lines.push(`${LABEL}-placeholder:${PLACEHOLDER_ADDRESS}-${PLACEHOLDER_ADDRESS}`);
  return `${lines.join("\n")}\n`;
}

/** How many ranges Transmission keeps for this text: P2P, DAT and CIDR lines, overlaps merged. */
export function countBlocklistRules(text: string): number {
  const ranges: Array<[number, number]> = [];
  for (const line of text.split(/\r?\n/)) {
    const range = parseRuleLine(line);
    if (range) ranges.push(range);
  }
  if (ranges.length === 0) return 0;
  ranges.sort((left, right) => left[0] - right[0]);
  let count = 1;
  let end = ranges[0]![1];
  for (const [start, stop] of ranges.slice(1)) {
    if (start > end) {
      count++;
      end = stop;
    } else if (stop > end) {
      end = stop;
    }
  }
  return count;
}

function parseRuleLine(line: string): [number, number] | undefined {
  const text = line.trim();
  if (text.length === 0 || text.startsWith("#")) return undefined;
  // P2P: "label:a.b.c.d-a.b.c.d"
  const p2p = /:(\d{1,3}(?:\.\d{1,3}){3})\s*-\s*(\d{1,3}(?:\.\d{1,3}){3})\s*$/.exec(text);
  if (p2p) return ordered(ipv4ToNumber(p2p[1]!), ipv4ToNumber(p2p[2]!));
  // DAT: "a.b.c.d - a.b.c.d , level , description"
  const dat = /^(\d{1,3}(?:\.\d{1,3}){3})\s*-\s*(\d{1,3}(?:\.\d{1,3}){3})\s*,/.exec(text);
  if (dat) return ordered(ipv4ToNumber(dat[1]!), ipv4ToNumber(dat[2]!));
  // CIDR: "a.b.c.d/n"
  const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (cidr) {
    const base = ipv4ToNumber(cidr[1]!);
    const bits = Number(cidr[2]);
    if (base === undefined || bits > 32) return undefined;
    const size = 2 ** (32 - bits);
    const start = base - (base % size);
    return [start, start + size - 1];
  }
  return undefined;
}

function ordered(start: number | undefined, end: number | undefined): [number, number] | undefined {
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

function ipv4ToNumber(text: string): number | undefined {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part > 255)) return undefined;
  return ((parts[0]! * 256 + parts[1]!) * 256 + parts[2]!) * 256 + parts[3]!;
}
