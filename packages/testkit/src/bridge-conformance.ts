/**
 * The conformance suite every torrent bridge runs against its real client (or, where the client
 * cannot run, a faithful protocol-level double). Call it inside a vitest file:
 *
 *   runBridgeConformance({ name: "transmission 3.00", setup: async () => ({ ... }) });
 *
 * The fixture provides a running client that seeds one torrent to one connected downloader; the
 * suite checks the contract in torrent-bridge.ts: version detection, torrents and labels, per-peer
 * byte counts, and that block/unblock never touch the user's own entries.
 */
import { isPeerpayError, normalizeAddress, type TorrentBridge } from "@peerpay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

export interface BridgeConformanceEnvironment {
  /** A fresh bridge connected to the running client (not yet `connect()`ed). */
  createBridge(): Promise<TorrentBridge>;
  /** A bridge for the same client that logs in with this (wrong) password instead of the right one. */
  createBridgeWithPassword(password: string): Promise<TorrentBridge>;
  /** The client's name as the bridge reports it ("transmission", "qbittorrent"). */
  readonly client: string;
  /** A torrent the client seeds, with the labels/category/tags the fixture gave it. */
  readonly seededTorrent: { readonly infohash: string; readonly labels: readonly string[] };
  /** The downloader's address as the seeding client sees it (it is connected and downloading). */
  readonly downloaderAddress: string;
  /** Bytes the downloader has received from the seeder so far (its own count). */
  downloaderReceivedBytes(): Promise<number>;
  /** Adds an entry to the user's own ban list / blocklist, the way the user would. */
  addUserBlockEntry(address: string): Promise<void>;
  /** The user's own entries as the client holds them now (excluding the bridge's). */
  readUserBlockEntries(): Promise<string[]>;
  /** Addresses unused by the swarm, safe to block and unblock. */
  readonly spareAddresses: readonly [string, string, ...string[]];
  teardown(): Promise<void>;
}

export interface BridgeConformanceFixture {
  readonly name: string;
  setup(): Promise<BridgeConformanceEnvironment>;
  /** Bytes the bridge may disagree with the downloader's own count, as a fraction (default 0.15). */
  readonly byteTolerance?: number;
  /** How long to let traffic flow between polls, in ms (default 3000). */
  readonly trafficWindowMs?: number;
}

export function runBridgeConformance(fixture: BridgeConformanceFixture): void {
  describe(`bridge conformance: ${fixture.name}`, () => {
    let environment: BridgeConformanceEnvironment;
    let bridge: TorrentBridge;

    beforeAll(async () => {
      environment = await fixture.setup();
      bridge = await environment.createBridge();
    }, 120_000);

    afterAll(async () => {
      await bridge?.close().catch(() => undefined);
      await environment?.teardown();
    }, 60_000);

    it("declares the v1 contract and detects the client version on connect", async () => {
      expect(bridge.specificationVersion).toBe("v1");
      const info = await bridge.connect();
      expect(info.client).toBe(environment.client);
      expect(info.version).toMatch(/\d+\.\d+/);
      expect(info.apiVersion.length).toBeGreaterThan(0);
      expect(["exact", "estimated"]).toContain(bridge.capabilities.peerByteAccuracy);
      expect(typeof bridge.capabilities.blockDisconnects).toBe("boolean");
      // connect is idempotent
      await expect(bridge.connect()).resolves.toMatchObject({ client: environment.client });
    });

    it("lists the seeded torrent with its labels", async () => {
      const torrents = await bridge.listTorrents();
      const torrent = torrents.find((entry) => entry.infohash === environment.seededTorrent.infohash);
      expect(torrent, "seeded torrent listed").toBeDefined();
      expect(torrent!.infohash).toMatch(/^[0-9a-f]{40}$/);
      for (const label of environment.seededTorrent.labels) expect(torrent!.labels).toContain(label);
      expect(Number.isSafeInteger(torrent!.sizeBytes) && torrent!.sizeBytes > 0).toBe(true);
      expect(torrent!.progress).toBeGreaterThanOrEqual(0);
      expect(torrent!.progress).toBeLessThanOrEqual(1);
    });

    it("reports per-peer upload deltas that add up and match the downloader's count", async () => {
      const before = await environment.downloaderReceivedBytes();
      await bridge.poll(); // baseline
      let served = 0;
      let torrentDelta = 0;
      const deadline = Date.now() + (fixture.trafficWindowMs ?? 3000);
      for (let round = 0; round < 20 && Date.now() < deadline; round++) {
        await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
        const poll = await bridge.poll();
        expect(poll.at).toBeInstanceOf(Date);
        const torrent = poll.torrents.find((entry) => entry.infohash === environment.seededTorrent.infohash);
        if (!torrent) continue;
        torrentDelta += torrent.uploadedBytes;
        for (const peer of torrent.peers) {
          expect(Number.isSafeInteger(peer.uploadedBytes) && peer.uploadedBytes >= 0).toBe(true);
          expect(Number.isSafeInteger(peer.downloadedBytes) && peer.downloadedBytes >= 0).toBe(true);
          expect(peer.accuracy).toBe(bridge.capabilities.peerByteAccuracy);
          expect(normalizeAddress(peer.address)).toBe(peer.address);
          if (peer.address === environment.downloaderAddress) served += peer.uploadedBytes;
        }
      }
      const received = (await environment.downloaderReceivedBytes()) - before;
      expect(received, "the downloader received bytes during the window").toBeGreaterThan(0);
      expect(served).toBeGreaterThan(0);
      const error = Math.abs(served - received) / received;
      console.info(
        `[${fixture.name}] served ${served} B by the bridge's count, received ${received} B by the downloader's: error ${(error * 100).toFixed(2)}%; torrent delta ${torrentDelta} B`,
      );
      expect(error).toBeLessThanOrEqual(fixture.byteTolerance ?? 0.15);
    }, 60_000);

    it("blocks and unblocks spare addresses without touching the user's own entries", async () => {
      const [userEntry, spare] = environment.spareAddresses;
      await environment.addUserBlockEntry(userEntry);
      const userBefore = await environment.readUserBlockEntries();
      expect(userBefore).toContain(userEntry);

      await bridge.block([spare]);
      expect(await bridge.listBlocked()).toContain(spare);
      expect(await environment.readUserBlockEntries()).toEqual(expect.arrayContaining(userBefore));

      // A bridge must not take over entries it did not make.
      await bridge.unblock([userEntry]);
      expect(await environment.readUserBlockEntries()).toContain(userEntry);

      await bridge.unblock([spare]);
      expect(await bridge.listBlocked()).not.toContain(spare);
      expect(await environment.readUserBlockEntries()).toEqual(expect.arrayContaining(userBefore));
    }, 60_000);

    it("keeps its own blocks across a restart of the bridge", async () => {
      const spare = environment.spareAddresses[1];
      await bridge.block([spare]);
      await bridge.close();
      bridge = await environment.createBridge();
      await bridge.connect();
      expect(await bridge.listBlocked()).toContain(spare);
      await bridge.unblock([spare]);
      expect(await bridge.listBlocked()).not.toContain(spare);
      expect(await environment.readUserBlockEntries()).toContain(environment.spareAddresses[0]);
    }, 60_000);

    it("rejects invalid addresses with INVALID_INPUT and changes nothing", async () => {
      const before = await bridge.listBlocked();
      const failure = await bridge.block(["not-an-address"]).catch((error: unknown) => error);
      expect(isPeerpayError(failure) && failure.code).toBe("INVALID_INPUT");
      expect(await bridge.listBlocked()).toEqual(before);
    });

    it("fails with BACKEND_AUTH_FAILED on a wrong password, without leaking it", async () => {
      const password = "wrong-password-for-conformance";
      const wrong = await environment.createBridgeWithPassword(password);
      const failure = await wrong.connect().catch((error: unknown) => error);
      await wrong.close().catch(() => undefined);
      expect(isPeerpayError(failure) && failure.code).toBe("BACKEND_AUTH_FAILED");
      expect(String((failure as Error).message)).not.toContain(password);
      expect(JSON.stringify(failure)).not.toContain(password);
    }, 60_000);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
