/**
 * The version matrix: the shared conformance suite and the key integration checks against
 * Debian 13's qbittorrent-nox 5.1.0 (WebAPI 2.11.4) as the seller, run from the chroot that
 * scripts/debian-chroot.sh builds (cached; about a minute cold). The buyer is the host's 4.5.2.
 * What differs from 4.5.2: no default WebUI password (the harness presets one), and
 * `torrents/pause`/`resume` became `stop`/`start` (state `stoppedUP`). Skipped, with the script's
 * reason, where the chroot cannot be built (not root, mirror unreachable).
 */
import { ensureDebianChroot, runBridgeConformance } from "@peerpay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QbittorrentBridge } from "./qbittorrent-bridge.js";
import { conformanceFixture, type Swarm, startSwarm, waitFor } from "./qbittorrent-swarm.test.helper.js";

const chroot = await ensureDebianChroot();
const NAME = "qbittorrent 5.1.0 (Debian 13 chroot)";

if (!chroot.available) {
  console.warn(`[${NAME}] skipped: ${chroot.reason}`);
  describe(NAME, () => {
    it.skip(`skipped: ${chroot.reason}`, () => undefined);
  });
} else {
  const chrootDir = chroot.dir;

  runBridgeConformance(
    conformanceFixture(NAME, {
      seederAddress: "127.0.0.101",
      downloaderAddress: "127.0.0.102",
      spareAddresses: ["198.51.100.27", "198.51.100.28"],
      chrootDir,
    }),
  );

  describe(`qBittorrent bridge on ${NAME}`, () => {
    let swarm: Swarm;
    let seller: QbittorrentBridge;

    beforeAll(async () => {
      swarm = await startSwarm({
        seederAddress: "127.0.0.103",
        downloaderAddresses: ["127.0.0.104"],
        sizeBytes: 24 * 1024 * 1024,
        uploadLimitKiB: 512,
        chrootDir,
      });
      seller = swarm.createBridge();
    }, 120_000);

    afterAll(async () => {
      await seller?.close().catch(() => undefined);
      await swarm?.stop();
    }, 60_000);

    it("reports the daemon's own version and detects stop/start from the WebAPI version", async () => {
      const info = await seller.connect();
      expect(info.version).toBe("v5.1.0");
      expect(info.apiVersion).toBe("2.11.4");
      expect(seller.features).toEqual({ torrentControl: "stop-start" });
      expect(seller.capabilities).toMatchObject({ blockDisconnects: true, peerByteAccuracy: "exact" });
      // 5.x: pause is gone (404), stop works and the state reads stoppedUP, which maps to "stopped".
      const hashes = { hashes: swarm.torrent.infohash };
      await expect(swarm.seeder.client.request("torrents/pause", { form: hashes })).rejects.toThrow(/404/);
      await swarm.seeder.client.request("torrents/stop", { form: hashes });
      await waitFor(
        async () => (await seller.listTorrents()).some((torrent) => torrent.state === "stopped"),
        10_000,
        "the stopped state",
      );
      expect((await swarm.seeder.client.getTorrent(swarm.torrent.infohash))?.state).toBe("stoppedUP");
      await swarm.seeder.client.request("torrents/start", { form: hashes });
      await waitFor(
        async () => (await seller.listTorrents()).some((torrent) => torrent.state === "seeding"),
        10_000,
        "seeding again",
      );
    }, 60_000);

    it("a ban disconnects the buyer at once; after the unban addPeers brings it back", async () => {
      const [buyer] = swarm.downloaders;
      await swarm.join(buyer!);
      const blockedAt = Date.now();
      await seller.block([buyer!.address]);
      const blockCallMs = Date.now() - blockedAt;
      await waitFor(async () => !(await swarm.seederSees(buyer!)), 10_000, "the seller to drop the buyer");
      const blockMs = Date.now() - blockedAt;
      const afterBlock = await swarm.receivedFromSeeder(buyer!);

      const unblockedAt = Date.now();
      await seller.unblock([buyer!.address]);
      // The seller dials the buyer (the bridge's addPeers); the buyer's own dial may be backed off.
      let lastDial = 0;
      await waitFor(
        async () => {
          if (await swarm.seederSees(buyer!)) return true;
          if (Date.now() - lastDial > 3_000) {
            lastDial = Date.now();
            await seller.addPeers(swarm.torrent.infohash, [
              { address: buyer!.address, port: buyer!.daemon.peerPort },
            ]);
          }
          return false;
        },
        40_000,
        "the buyer to reconnect",
      );
      const reconnectMs = Date.now() - unblockedAt;
      await waitFor(
        async () => (await swarm.receivedFromSeeder(buyer!)) > afterBlock,
        40_000,
        "bytes to flow again",
      );
      const bytesMs = Date.now() - unblockedAt;
      console.info(
        `[${NAME}] block: call ${blockCallMs} ms, peer gone ${blockMs} ms; unblock: reconnected ${reconnectMs} ms, bytes again ${bytesMs} ms`,
      );
      expect(await seller.listBlocked()).not.toContain(buyer!.address);
    }, 120_000);
  });
}
