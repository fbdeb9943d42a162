/**
 * A peer's identity is its IP address as the seller's client sees it, normalised so one host has
 * one account: IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes IPv4, IPv6 is lower-case and compressed,
 * brackets and zone ids are dropped.
 */
import { isIP } from "node:net";
import { PeerpayError } from "./errors.js";

export function normalizeAddress(value: string): string {
  const normalized = tryNormalizeAddress(value);
  if (normalized === undefined) {
    throw new PeerpayError("INVALID_INPUT", `"${value.slice(0, 64)}" is not an IP address`, {
      details: { field: "address" },
    });
  }
  return normalized;
}

/** Like `normalizeAddress`, but undefined for anything that is not an IP address. */
export function tryNormalizeAddress(value: string): string | undefined {
  if (typeof value !== "string" || value.length === 0 || value.length > 64) return undefined;
  let text = value.trim();
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  const family = isIP(text);
  if (family === 4)
    return text
      .split(".")
      .map((part) => String(Number(part)))
      .join(".");
  if (family !== 6) return undefined;
  const mapped = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(text);
  if (mapped?.[1] && isIP(mapped[1]) === 4) return mapped[1];
  return compressIpv6(expandIpv6(text));
}

/** "a.b.c.d:port" or "[v6]:port" — the form clients use in ban lists and peer keys. */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

function expandIpv6(text: string): number[] {
  let head = text;
  let tail = "";
  const gap = text.indexOf("::");
  if (gap >= 0) {
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
  }
  const parse = (part: string): number[] => {
    if (part === "") return [];
    const groups: number[] = [];
    for (const group of part.split(":")) {
      if (group.includes(".")) {
        const bytes = group.split(".").map(Number);
        groups.push(((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0), ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0));
      } else {
        groups.push(Number.parseInt(group, 16));
      }
    }
    return groups;
  };
  const headGroups = parse(head);
  const tailGroups = parse(tail);
  const zeros = gap >= 0 ? 8 - headGroups.length - tailGroups.length : 0;
  return [...headGroups, ...new Array<number>(zeros).fill(0), ...tailGroups];
}

function compressIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < groups.length; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < groups.length && groups[end] === 0) end++;
    if (end - start > bestLength && end - start > 1) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
