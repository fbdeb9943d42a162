/**
 * The version matrix: the shared conformance suite and the key integration checks against
 * Debian 13's transmission-daemon 4.1.0~beta2, run from the chroot that scripts/debian-chroot.sh
 * builds (cached; about a minute cold). The downloaders are the host's qbittorrent-nox 4.5.2.
 * What differs from 3.00 (transmission-bridge.integration.test.ts): a blocklist update disconnects
 * a connected blocked peer, so the kick is never needed; an incoming peer's port is its socket's.
 * Skipped, with the script's reason, where the chroot cannot be built (not root, mirror down).
 */
import { ensureDebianChroot, runBridgeConformance } from "@peerpay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TransmissionBridge } from "./index.js";
import {
  conformanceFixture,
  daemonBlockedAddresses,
  type Swarm,
  startSwarm,
  waitFor,
} from "./transmission-swarm.test.helper.js";

const chroot = await ensureDebianChroot();
const NAME = "transmission 4.1.0-beta.2 (Debian 13 chroot)";

if (!chroot.available) {
  console.warn(`[${NAME}] skipped: ${chroot.reason}`);
  describe(NAME, () => {
    it.skip(`skipped: ${chroot.reason}`, () => undefined);
  });
} else {
  const chrootDir = chroot.dir;

  runBridgeConformance(conformanceFixture(NAME, { downloaderAddress: "127.0.0.111", chrootDir }));

  describe(`transmission bridge on ${NAME}`, () => {
    let swarm: Swarm;
    let bridge: TransmissionBridge;

    beforeAll(async () => {
      swarm = await startSwarm({
        torrents: 1,
        sizeBytes: 24 * 1024 * 1024,
        downloaders: ["127.0.0.112"],
        uploadLimitKB: 500,
        chrootDir,
      });
      // The kick is asked for, but a daemon that disconnects on its own never needs it.
      bridge = swarm.createBridge({ kick: { enabled: true, minIntervalMs: 60_000 } });
    }, 120_000);

    afterAll(async () => {
      await bridge?.close().catch(() => undefined);
      await swarm?.stop();
    }, 60_000);

    it("reports the daemon's own version and detects its features, not its name", async () => {
      const info = await bridge.connect();
      expect(info.version).toMatch(/^4\.1\.0-beta\.2 \(/);
      expect(info.apiVersion).toBe("18");
      expect(bridge.features).toEqual({
        blockDisconnects: true,
        peerByteCounter: "none",
        rpcProtocol: "legacy",
        incomingPeerPort: "socket",
      });
      expect(bridge.capabilities).toMatchObject({
        blockDisconnects: true,
        peerByteAccuracy: "estimated",
        kick: false,
      });
    });

    it("a block disconnects the connected peer by itself; an unblock lets it back", async () => {
      const [downloader] = swarm.downloaders;
      const [torrent] = swarm.torrents;
      await swarm.connect(downloader!, torrent!);
      await swarm.waitForBytes(downloader!, torrent!);
      // 4.1 reports an incoming peer's socket port (ephemeral), not its listening port.
      const raw = await swarm.seeder.rpc<{
        torrents: Array<{ peers: Array<{ address: string; port: number; isIncoming: boolean }> }>;
      }>("torrent-get", { ids: [torrent!.infohash], fields: ["peers"] });
      const seen = raw.torrents[0]?.peers.find((peer) => peer.address === downloader!.address);
      expect(seen).toMatchObject({ isIncoming: true });
      expect(seen!.port).not.toBe(downloader!.daemon.peerPort);

      const blockedAt = Date.now();
      await bridge.block([downloader!.address]);
      const blockCallMs = Date.now() - blockedAt;
      await waitFor("the daemon to drop the blocked peer", 10_000, async () => {
        return !(await swarm.seederPeers(torrent!)).includes(downloader!.address);
      });
      const blockMs = Date.now() - blockedAt;
      expect(await daemonBlockedAddresses(swarm.seeder)).toContain(downloader!.address);
      const afterBlock = await swarm.received(downloader!, torrent!);

      const unblockedAt = Date.now();
      await bridge.unblock([downloader!.address]);
      // Transmission re-dials a peer it learned from an incoming connection (~22–25 s in the
      // research runs); the downloader dials too (swarm.connect re-dials every 5 s).
      await swarm.connect(downloader!, torrent!);
      const reconnectMs = Date.now() - unblockedAt;
      await waitFor("bytes to flow again", 40_000, async () => {
        return (await swarm.received(downloader!, torrent!)) > afterBlock;
      });
      const bytesMs = Date.now() - unblockedAt;
      console.info(
        `[${NAME}] block: call ${blockCallMs} ms, peer gone ${blockMs} ms; unblock: reconnected ${reconnectMs} ms, bytes again ${bytesMs} ms`,
      );
      expect(bridge.blockedPeersConnected()).toEqual([]);
    }, 120_000);

    it("on close, lifts its blocks and gives the user's blocklist back (4.x keeps an old list on an empty one)", async () => {
      await bridge.block(["198.51.100.21"]);
      expect(await daemonBlockedAddresses(swarm.seeder)).toContain("198.51.100.21");
      await bridge.close();
      const session = await swarm.seeder.rpc<Record<string, unknown>>("session-get");
      expect(session).toMatchObject({ "blocklist-url": swarm.userBlocklist.url, "blocklist-enabled": true });
      const held = await swarm.seeder.readBlocklistRanges();
      expect(held).toContainEqual({ start: "203.0.113.0", end: "203.0.113.255" });
      expect(held.map((range) => range.start)).not.toContain("198.51.100.21");
      // The daemon's own count agrees with its compiled list (the update answer alone can claim 0).
      expect(session["blocklist-size"]).toBe(held.length);
    }, 60_000);
  });
}
