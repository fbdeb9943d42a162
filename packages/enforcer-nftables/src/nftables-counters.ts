/**
 * Reads the per-peer byte counters from `nft --json list set …` (nft's answer is a trust boundary:
 * checked with zod). The counters count what passed the enforcer, i.e. after blocks and rate
 * limits, in bytes on the wire at the device (IP and transport headers and the link-layer
 * header included), since the table was (re)built.
 */
import { PeerpayError } from "@peerpay/core";
import { z } from "zod";
import { canonicalAddress } from "./nftables-script.js";

const counterElement = z.object({
  elem: z.object({
    val: z.string(),
    counter: z.object({ packets: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() }),
  }),
});

const setListing = z.object({ nftables: z.array(z.unknown()) });
const setEntry = z.object({ set: z.object({ name: z.string(), elem: z.array(z.unknown()).optional() }) });

export interface PeerTraffic {
  readonly address: string;
  /** Bytes that passed from the client to the peer (blocked and over-rate packets excluded). */
  readonly sentBytes: number;
  readonly sentPackets: number;
  /** Bytes that passed from the peer to the client. */
  readonly receivedBytes: number;
  readonly receivedPackets: number;
}

export interface CounterReading {
  readonly packets: number;
  readonly bytes: number;
}

/** Elements of one dynamic counter set, keyed by canonical address. */
export function parseCounterSet(json: string): Map<string, CounterReading> {
  let parsed: z.infer<typeof setListing>;
  try {
    parsed = setListing.parse(JSON.parse(json));
  } catch (error) {
    throw new PeerpayError("BACKEND_PROTOCOL_ERROR", "nftables enforcer: unexpected `nft --json` answer", {
      cause: error,
    });
  }
  const readings = new Map<string, CounterReading>();
  for (const candidate of parsed.nftables) {
    const entry = setEntry.safeParse(candidate);
    if (!entry.success) continue;
    for (const raw of entry.data.set.elem ?? []) {
      const element = counterElement.safeParse(raw);
      if (!element.success) continue;
      const { address } = canonicalAddress(element.data.elem.val);
      readings.set(address, element.data.elem.counter);
    }
  }
  return readings;
}

/** Joins the sent and received readings of both families into one list, sorted by address. */
export function joinTraffic(
  sent: ReadonlyMap<string, CounterReading>,
  received: ReadonlyMap<string, CounterReading>,
): PeerTraffic[] {
  const addresses = new Set([...sent.keys(), ...received.keys()]);
  return [...addresses].sort().map((address) => ({
    address,
    sentBytes: sent.get(address)?.bytes ?? 0,
    sentPackets: sent.get(address)?.packets ?? 0,
    receivedBytes: received.get(address)?.bytes ?? 0,
    receivedPackets: received.get(address)?.packets ?? 0,
  }));
}
