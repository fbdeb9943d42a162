/**
 * The opt-in "kick" for daemons whose blocklist does not disconnect connected peers (≤ 4.0): it
 * restarts only the torrents that still have a blocked peer connected, at most once per torrent
 * per `minIntervalMs`, and only torrents that are running. It records each torrent it stops in
 * the state file first, waits for `status == 0` before starting it again (stop and start back to
 * back leaves a 3.00 torrent stopped), and resumes only torrents it stopped itself.
 */
import { BridgeError } from "@peerpay/core";
import type { TransmissionRpc } from "./transmission-rpc.js";
import { empty, statusSchema, TorrentStatus } from "./transmission-schemas.js";

export interface Kicker {
  /** Restarts these torrents (infohashes) unless kicked too recently; returns the ones restarted. */
  kick(infohashes: readonly string[]): Promise<string[]>;
  /** Starts torrents the bridge stopped and did not start again (after a crash or an error). */
  resume(infohashes: readonly string[]): Promise<void>;
}

export interface KickerOptions {
  readonly rpc: TransmissionRpc;
  readonly minIntervalMs: number;
  readonly stopTimeoutMs: number;
  /** Persist before stopping / after starting. */
  readonly markStopped: (infohash: string, stopped: boolean) => Promise<void>;
}

export function createKicker(options: KickerOptions): Kicker {
  const lastKick = new Map<string, number>();
  /** Torrents being restarted right now (a poll and a block() may both ask). */
  const inProgress = new Set<string>();
  const { rpc } = options;

  const statuses = async (infohashes: readonly string[]) => {
    const answer = await rpc.call(
      "torrent-get",
      { ids: [...infohashes], fields: ["hashString", "status"] },
      statusSchema,
    );
    return new Map(answer.torrents.map((torrent) => [torrent.hashString.toLowerCase(), torrent.status]));
  };

  const waitStopped = async (infohash: string): Promise<void> => {
    const deadline = Date.now() + options.stopTimeoutMs;
    for (let round = 0; round < 1000 && Date.now() < deadline; round++) {
      if ((await statuses([infohash])).get(infohash) === TorrentStatus.stopped) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new BridgeError(
      "transmission",
      "kick",
      "TIMEOUT",
      `torrent ${infohash} did not stop within ${options.stopTimeoutMs} ms`,
    );
  };

  const start = async (infohash: string): Promise<void> => {
    await rpc.call("torrent-start-now", { ids: [infohash] }, empty);
    await options.markStopped(infohash, false);
  };

  return {
    async kick(infohashes) {
      const now = Date.now();
      const due = infohashes.filter(
        (infohash) =>
          !inProgress.has(infohash) && now - (lastKick.get(infohash) ?? -Infinity) >= options.minIntervalMs,
      );
      if (due.length === 0) return [];
      const current = await statuses(due);
      const running = due.filter((infohash) => {
        const status = current.get(infohash);
        return status === TorrentStatus.seed || status === TorrentStatus.download;
      });
      const kicked: string[] = [];
      for (const infohash of running) {
        if (inProgress.has(infohash)) continue;
        inProgress.add(infohash);
        lastKick.set(infohash, now);
        try {
          await options.markStopped(infohash, true);
          await rpc.call("torrent-stop", { ids: [infohash] }, empty);
          try {
            await waitStopped(infohash);
          } finally {
            // If this fails (daemon gone), the state file still lists the torrent: resumed later.
            await start(infohash);
          }
        } finally {
          inProgress.delete(infohash);
        }
        kicked.push(infohash);
      }
      return kicked;
    },
    async resume(requested) {
      const infohashes = requested.filter((infohash) => !inProgress.has(infohash));
      if (infohashes.length === 0) return;
      const current = await statuses(infohashes);
      for (const infohash of infohashes) {
        const status = current.get(infohash);
        if (status === TorrentStatus.stopped) await rpc.call("torrent-start-now", { ids: [infohash] }, empty);
        await options.markStopped(infohash, false);
      }
    },
  };
}
