/**
 * Measures (prints, does not judge) how fast blocks and unblocks take effect between a real
 * transmission-daemon 3.00 seller and a real qbittorrent-nox buyer (127.0.0.3) that dialled in:
 * Bytes are the seller's `uploadedEver` (the buyer is the only peer), polled every 100 ms.
 *   - bytes the blocked buyer still gets without the kick (3.00 does not drop open connections);
 *   - block() with the kick → the buyer's last new byte;
 *   - unblock() → bytes flowing again, with the buyer's nudge (ban + unban the seller on its own
 *     client to clear libtorrent's reconnect back-off, then addPeers) and without any nudge.
 * Run: npm run bench -w @peerpay/bridge-transmission (about 3 minutes).
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { type Swarm, sleep, startSwarm } from "./transmission-swarm.test.helper.js";

describe("transmission 3.00 block/unblock latency", () => {
  let swarm: Swarm;

  beforeAll(async () => {
    swarm = await startSwarm({
      torrents: 1,
      sizeBytes: 160 * 1024 * 1024,
      downloaders: ["127.0.0.3"],
      uploadLimitKB: 1000,
    });
  }, 120_000);

  afterAll(async () => {
    await swarm?.stop();
  }, 60_000);

  it("measures", async () => {
    const [buyer] = swarm.downloaders;
    const [torrent] = swarm.torrents;
    // Ground truth: the seller's exact, monotonic uploadedEver (the buyer is its only peer). The
    // buyer's own per-peer counter is not monotonic: it vanishes on disconnect, resumes from the
    // old total on reconnect (before any new byte) and restarts at 0 after a ban.
    const received = async () => {
      const answer = await swarm.seeder.rpc<{ torrents: Array<{ uploadedEver: number }> }>("torrent-get", {
        ids: [torrent!.infohash],
        fields: ["uploadedEver"],
      });
      return answer.torrents[0]?.uploadedEver ?? 0;
    };
    const seller = `${swarm.seeder.bindAddress}:${swarm.seeder.peerPort}`;
    await swarm.connect(buyer!, torrent!);
    await swarm.waitForBytes(buyer!, torrent!);
    const results: string[] = [];

    /** Samples the buyer's count every 100 ms in the background until stopped. */
    const startSampler = () => {
      const samples: Array<{ at: number; count: number }> = [];
      let running = true;
      const loop = (async () => {
        for (let round = 0; round < 3000 && running; round++) {
          samples.push({ at: Date.now(), count: await received() });
          await sleep(100);
        }
      })();
      return {
        /** Bytes after `from` and the time of the last growth, relative to `from`. */
        async stop(from: number) {
          running = false;
          await loop;
          const before = [...samples].reverse().find((sample) => sample.at <= from) ?? samples[0]!;
          let lastGrowth = from;
          for (let index = 1; index < samples.length; index++) {
            if (samples[index]!.count > samples[index - 1]!.count)
              lastGrowth = Math.max(lastGrowth, samples[index]!.at);
          }
          return { ms: lastGrowth - from, bytes: samples[samples.length - 1]!.count - before.count };
        },
      };
    };
    /** Time until the buyer's count grows again (bounded). */
    const firstGrowthAfter = async (from: number, ms: number) => {
      const start = await received();
      const until = from + ms;
      for (let round = 0; round < 4000 && Date.now() < until; round++) {
        await sleep(100);
        if ((await received()) > start) return Date.now() - from;
      }
      return Number.NaN;
    };

    // 1. Without the kick: the open connection keeps delivering.
    const plain = swarm.createBridge({ restoreOnClose: false });
    let sampler = startSampler();
    await sleep(300);
    let t0 = Date.now();
    await plain.block([buyer!.address]);
    await sleep(8_000);
    const noKick = await sampler.stop(t0);
    results.push(`block without kick: buyer still received ${noKick.bytes} B in the 8 s after block()`);
    await plain.close();

    const bridge = swarm.createBridge({ kick: { enabled: true, minIntervalMs: 0 } });
    await bridge.connect();
    for (let round = 1; round <= 3; round++) {
      // 2. block() with the kick (round 1: already in the list from step 1, so it only kicks).
      if (round > 1) await swarm.waitForBytes(buyer!, torrent!, 90_000);
      sampler = startSampler();
      await sleep(300);
      t0 = Date.now();
      await bridge.block([buyer!.address]);
      const blockCall = Date.now() - t0;
      await sleep(5_000);
      const kicked = await sampler.stop(t0);
      results.push(
        `round ${round} block() with kick: call ${blockCall} ms, buyer's last new byte at +${kicked.ms} ms, ${kicked.bytes} B after block() began`,
      );

      // 3. unblock(): rounds 1 and 3 with the buyer's nudge, round 2 without.
      const nudge = round !== 2;
      t0 = Date.now();
      await bridge.unblock([buyer!.address]);
      if (nudge) {
        const own = await buyer!.client.getBannedIps();
        await buyer!.client.setBannedIps([...own, swarm.seeder.bindAddress]);
        await buyer!.client.setBannedIps(own);
        await buyer!.client.addPeers(torrent!.infohash, [seller]);
      }
      const back = await firstGrowthAfter(t0, 150_000);
      results.push(
        `round ${round} unblock() ${nudge ? "with buyer nudge (ban/unban + addPeers)" : "without nudge"}: bytes again after ${Number.isNaN(back) ? "> 150 s" : `${back} ms`}`,
      );
    }
    await bridge.close();
    console.info(`\n[transmission 3.00 latency]\n  ${results.join("\n  ")}\n`);
  }, 600_000);
});
