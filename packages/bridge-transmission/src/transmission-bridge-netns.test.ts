/**
 * Transmission seller → Transmission buyer. Transmission never dials 127.x peers, so the buyer
 * runs in a network namespace the test creates (veth pair, 10.231.n.0/24), finds the seller
 * through a tiny tracker, and dials it. Both sides are real transmission-daemon 3.00; the
 * seller's bridge blocks and kicks; after the unblock the buyer tries, in turn, `reannounce()`, a
 * stop + start, and a remove + re-add of the torrent, printing which brought bytes back. Needs root
 * (CAP_NET_ADMIN): skipped, with that reason, where namespaces cannot be made.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  canCreateNetworkNamespaces,
  createTestNetworkNamespace,
  createTestTorrent,
  startTestTracker,
  startTransmissionDaemon,
  type TestNetworkNamespace,
  type TestTorrent,
  type TestTracker,
  type TransmissionDaemon,
} from "@peerpay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTransmissionBridge, type TransmissionBridge } from "./index.js";
import { sleep, waitFor } from "./transmission-swarm.test.helper.js";

const supported = await canCreateNetworkNamespaces();

describe.skipIf(!supported)(
  "transmission seller → transmission buyer in a network namespace (needs root)",
  () => {
    let rootDir: string;
    let namespace: TestNetworkNamespace;
    let tracker: TestTracker;
    let seller: TransmissionDaemon;
    let buyer: TransmissionDaemon;
    let torrent: TestTorrent;
    let sellerBridge: TransmissionBridge;
    let buyerBridge: TransmissionBridge;

    /** The buyer's exact downloadedEver (the seller is its only peer). */
    const received = async () => {
      const answer = await buyer.rpc<{ torrents: Array<{ downloadedEver: number }> }>("torrent-get", {
        ids: [torrent.infohash],
        fields: ["downloadedEver"],
      });
      return answer.torrents[0]?.downloadedEver ?? 0;
    };
    const sellerPeers = async () => {
      const answer = await seller.rpc<{ torrents: Array<{ peers: Array<{ address: string }> }> }>(
        "torrent-get",
        {
          ids: [torrent.infohash],
          fields: ["peers"],
        },
      );
      return (answer.torrents[0]?.peers ?? []).map((peer) => peer.address);
    };
    const waitForGrowth = async (timeoutMs: number) => {
      const start = await received();
      return waitFor("bytes to the buyer", timeoutMs, async () => (await received()) > start);
    };

    beforeAll(async () => {
      rootDir = await mkdtemp(join(tmpdir(), "peerpay-trnetns-"));
      namespace = await createTestNetworkNamespace();
      tracker = await startTestTracker({ host: namespace.hostAddress });
      seller = await startTransmissionDaemon({
        bindAddress: namespace.hostAddress,
        rootDir,
        uploadLimitKB: 1000,
        utpEnabled: false,
        rpcWhitelist: "127.*.*.*,10.*.*.*",
      });
      buyer = await startTransmissionDaemon({
        bindAddress: namespace.namespaceAddress,
        networkNamespace: namespace.name,
        rootDir,
        utpEnabled: false,
        rpcWhitelist: "10.*.*.*",
      });
      torrent = await createTestTorrent({
        directory: seller.downloadDir,
        name: "netns.bin",
        sizeBytes: 160 * 1024 * 1024,
        announce: tracker.announceUrl,
      });
      await seller.addTorrent(torrent.torrentFile, { labels: ["peerpay"] });
      await waitFor("the seller to seed", 30_000, async () => {
        const answer = await seller.rpc<{ torrents: Array<{ status: number }> }>("torrent-get", {
          fields: ["status"],
        });
        return answer.torrents[0]?.status === 6;
      });
      await seller.rpc("torrent-reannounce", { ids: [torrent.infohash] });
      await waitFor("the seller's announce", 10_000, async () => tracker.peers(torrent.infohash).length > 0);
      await buyer.addTorrent(torrent.torrentFile);
      // The blocklist servers listen on the host side of the veth pair, which both daemons reach.
      sellerBridge = createTransmissionBridge({
        baseUrl: seller.baseUrl,
        username: seller.username,
        password: seller.password,
        stateFile: join(rootDir, "seller-bridge.json"),
        blocklistServer: { host: namespace.hostAddress },
        kick: { enabled: true, minIntervalMs: 0 },
        onWarning: () => undefined,
      });
      buyerBridge = createTransmissionBridge({
        baseUrl: buyer.baseUrl,
        username: buyer.username,
        password: buyer.password,
        stateFile: join(rootDir, "buyer-bridge.json"),
        blocklistServer: { host: namespace.hostAddress },
        onWarning: () => undefined,
      });
    }, 120_000);

    afterAll(async () => {
      await sellerBridge?.close().catch(() => undefined);
      await buyerBridge?.close().catch(() => undefined);
      await buyer?.stop();
      await seller?.stop();
      await tracker?.stop();
      await namespace?.remove();
      await rm(rootDir, { recursive: true, force: true });
    }, 60_000);

    it("the buyer dials the seller it learned from the tracker, and the seller's per-peer count matches the buyer's", async () => {
      await waitFor("the buyer to connect", 40_000, async () =>
        (await sellerPeers()).includes(namespace.namespaceAddress),
      );
      await waitForGrowth(30_000);
      await sellerBridge.connect();
      const start = await received();
      await sellerBridge.poll();
      let counted = 0;
      for (let round = 0; round < 6; round++) {
        await sleep(1000);
        const poll = await sellerBridge.poll();
        const entry = poll.torrents.find((candidate) => candidate.infohash === torrent.infohash);
        counted +=
          entry?.peers.find((peer) => peer.address === namespace.namespaceAddress)?.uploadedBytes ?? 0;
      }
      const got = (await received()) - start;
      const error = (counted - got) / got;
      console.info(
        `[netns accounting] seller bridge ${counted} B, Transmission buyer ${got} B, error ${(error * 100).toFixed(2)}%`,
      );
      expect(got).toBeGreaterThan(0);
      expect(Math.abs(error)).toBeLessThanOrEqual(0.2);
    }, 90_000);

    it("block + kick cut the Transmission buyer off; what brings it back after the unblock", async () => {
      const blockedAt = Date.now();
      await sellerBridge.block([namespace.namespaceAddress]);
      const blockCall = Date.now() - blockedAt;
      await sleep(1000);
      const afterKick = await received();
      await sleep(4000);
      expect(await received()).toBe(afterKick);
      expect(await sellerPeers()).not.toContain(namespace.namespaceAddress);
      console.info(
        `[netns block] block() with kick returned in ${blockCall} ms; no bytes to the buyer in the 4 s after`,
      );

      const t0 = Date.now();
      await sellerBridge.unblock([namespace.namespaceAddress]);
      await buyerBridge.reannounce(torrent.infohash);
      const tryFor = async (label: string, ms: number) => {
        try {
          const waited = await waitForGrowth(ms);
          console.info(
            `[netns unblock] ${label}: bytes again at +${Date.now() - t0} ms after unblock() (waited ${waited} ms)`,
          );
          return true;
        } catch {
          console.info(
            `[netns unblock] ${label}: nothing within ${ms} ms (+${Date.now() - t0} ms after unblock())`,
          );
          return false;
        }
      };
      if (await tryFor("buyer reannounce", 15_000)) return;
      await buyer.rpc("torrent-stop", { ids: [torrent.infohash] });
      await waitFor("the buyer's torrent to stop", 10_000, async () => {
        const answer = await buyer.rpc<{ torrents: Array<{ status: number }> }>("torrent-get", {
          ids: [torrent.infohash],
          fields: ["status"],
        });
        return answer.torrents[0]?.status === 0;
      });
      await buyer.rpc("torrent-start-now", { ids: [torrent.infohash] });
      if (await tryFor("buyer stop + start", 15_000)) return;
      await buyer.rpc("torrent-remove", { ids: [torrent.infohash], "delete-local-data": false });
      await buyer.addTorrent(torrent.torrentFile);
      // 3.00 keeps a failed peer's back-off (10 s, 2 min, 15 min, …) until the torrent is removed.
      // Whatever brought it back, the seller must accept the buyer again after the unblock.
      expect(await tryFor("buyer remove + re-add", 40_000)).toBe(true);
    }, 200_000);
  },
);
