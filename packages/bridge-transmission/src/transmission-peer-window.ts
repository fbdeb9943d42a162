/**
 * Per-peer upload between two polls from Transmission ≥ 4.1.0-beta.4's `bytes_to_peer`, which is
 * not a total but the bytes sent in the last 60 seconds, W(t). The bytes sent since an anchor,
 * S(t), satisfy S(t) = W(t) + S(t − 60 s); S(t − 60 s) is read from the bridge's own earlier
 * values (interpolated between polls, which need not be 60 s apart), and each poll's share is
 * S(now) − S(previous poll). A connection first seen after the bridge's first poll started
 * empty: S is 0 before it and the result is exact up to timing jitter. For a connection already
 * open at the bridge's start, S(t − 60 s) is unknown during the first minute: the caller's
 * fallback (bytes from the rate split) fills it, and its error then stays constant instead of
 * adding up. The results only weight the split of the torrent's exact `uploadedEver` delta.
 */

const WINDOW_MS = 60_000;

interface Point {
  readonly at: number;
  readonly total: number;
}

interface WindowState {
  /** Before this time, S is unknown (open before the bridge) or 0 (a new connection). */
  readonly anchor: number;
  readonly knownBeforeAnchor: boolean;
  points: Point[];
}

export interface PeerWindowTracker {
  /**
   * Records a sample and returns the bytes sent since this key's previous sample (`fallback`
   * where that cannot be known). `isNew`: the connection started after the previous poll.
   */
  sample(key: string, at: number, window: number, isNew: boolean, fallback: number): number;
  forget(key: string): void;
}

export function createPeerWindowTracker(): PeerWindowTracker {
  const states = new Map<string, WindowState>();
  return {
    sample(key, at, window, isNew, fallback) {
      const state = states.get(key);
      if (!state) {
        // A new connection: everything in its window was sent since it started (S = 0 just before).
        states.set(key, {
          anchor: at,
          knownBeforeAnchor: isNew,
          points: isNew
            ? [
                { at: at - 1, total: 0 },
                { at, total: window },
              ]
            : [{ at, total: 0 }],
        });
        return isNew ? window : fallback;
      }
      const last = state.points[state.points.length - 1]!;
      if (at <= last.at) return 0;
      const earlier = totalAt(state, at - WINDOW_MS);
      const total = Math.max(last.total, earlier === undefined ? last.total + fallback : window + earlier);
      state.points.push({ at, total });
      // Keep a little over a minute of history (and always two points to interpolate from).
      const keepFrom = at - WINDOW_MS - 30_000;
      while (state.points.length > 2 && state.points[1]!.at < keepFrom) state.points.shift();
      return total - last.total;
    },
    forget(key) {
      states.delete(key);
    },
  };
}

/** S at time `at`, interpolated between recorded points; undefined where it cannot be known. */
function totalAt(state: WindowState, at: number): number | undefined {
  const first = state.points[0]!;
  if (at < first.at) return state.knownBeforeAnchor ? 0 : undefined;
  for (let index = state.points.length - 1; index >= 0; index--) {
    const point = state.points[index]!;
    if (point.at > at) continue;
    const next = state.points[index + 1];
    if (!next) return point.total;
    return point.total + ((next.total - point.total) * (at - point.at)) / (next.at - point.at);
  }
  return undefined;
}
