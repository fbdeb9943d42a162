/**
 * The 60-second-window reconstruction against a synthetic byte stream shaped like Transmission
 * ≥ 4.1.0-beta.4's `bytes_to_peer` (the sum of the last 60 one-second buckets), polled at an
 * irregular ~2 s cadence with ±1 s jitter. (No 4.1 daemon runs here; this is the unit check.)
 */
import { describe, expect, it } from "vitest";
import { createPeerWindowTracker } from "./transmission-peer-window.js";

/** Bytes sent in second `s`, for a connection that starts at `start`. */
const stream = (start: number) => (second: number) =>
  second < start ? 0 : Math.round(100_000 + 60_000 * Math.sin(second / 7) + 30_000 * Math.cos(second / 3));

/** W(t): the bytes of the last 60 whole seconds up to time t (seconds). */
function windowAt(bytes: (second: number) => number, t: number): number {
  let sum = 0;
  for (let second = Math.floor(t) - 59; second <= Math.floor(t); second++) sum += bytes(second);
  return sum;
}

function sentBetween(bytes: (second: number) => number, from: number, to: number): number {
  let sum = 0;
  for (let second = Math.floor(from) + 1; second <= Math.floor(to); second++) sum += bytes(second);
  return sum;
}

/** Poll times from `from` to `to`, ~2 s apart with ±1 s jitter (deterministic). */
function pollTimes(from: number, to: number): number[] {
  const times: number[] = [];
  for (let t = from, k = 0; t < to; k++) {
    times.push(t);
    t += 2 + Math.sin(k * 12.9898) * 1;
  }
  return times;
}

describe("per-peer bytes from a 60-second window", () => {
  it("rebuilds a new connection's bytes from its start, within 1 %", () => {
    const bytes = stream(10);
    const tracker = createPeerWindowTracker();
    const times = pollTimes(10.4, 300);
    let total = 0;
    for (const t of times) total += tracker.sample("peer", t * 1000, windowAt(bytes, t), t === times[0], 0);
    const truth = sentBetween(bytes, 0, times[times.length - 1]!);
    console.info(
      `[window] new connection: rebuilt ${total} B of ${truth} B (${((total / truth - 1) * 100).toFixed(2)}%)`,
    );
    expect(Math.abs(total / truth - 1)).toBeLessThan(0.01);
  });

  it("for a connection open before the bridge, uses the fallback for the first minute and then the window", () => {
    const bytes = stream(-500);
    const tracker = createPeerWindowTracker();
    const times = pollTimes(0, 300);
    let total = 0;
    let previous = times[0]!;
    for (const t of times) {
      // A fallback 10 % too high (as a rate estimate might be): its error stays bounded.
      const fallback = Math.round(sentBetween(bytes, previous, t) * 1.1);
      total += tracker.sample("peer", t * 1000, windowAt(bytes, t), false, t === times[0] ? 0 : fallback);
      previous = t;
    }
    const truth = sentBetween(bytes, times[0]!, times[times.length - 1]!);
    const error = total / truth - 1;
    console.info(
      `[window] open before the bridge: rebuilt ${total} B of ${truth} B (${(error * 100).toFixed(2)}%)`,
    );
    // The first minute's +10 % is carried as a constant offset, not added again each minute.
    expect(Math.abs(error)).toBeLessThan(0.05);
    expect(total).toBeGreaterThan(0);
  });

  it("never reports negative bytes, and a repeated sample adds nothing", () => {
    const tracker = createPeerWindowTracker();
    expect(tracker.sample("peer", 1000, 5000, true, 0)).toBe(5000);
    expect(tracker.sample("peer", 1000, 5000, false, 0)).toBe(0);
    expect(tracker.sample("peer", 3000, 100, false, 0)).toBeGreaterThanOrEqual(0);
  });
});
