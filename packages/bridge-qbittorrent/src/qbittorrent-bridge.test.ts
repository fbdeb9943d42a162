/**
 * The bridge against real qbittorrent-nox 4.5.2 daemons: a seller seeding to a buyer on another
 * loopback address. Bans disconnect, unbans plus a re-dial bring the buyer back, the user's own
 * banned IPs survive every cycle, a bridge restart and a manual edit, and the bridge's per-peer
 * bytes agree with what the buyer received. Prints the measured figures (no timing assertions).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QbittorrentBridge } from "./qbittorrent-bridge.js";
import { type Swarm, type SwarmMember, sleep, startSwarm, waitFor } from "./qbittorrent-swarm.test.helper.js";

const userEntries = ["10.11.12.13", "2001:db8::13"];
const figures: string[] = [];

/** Polls the seller's bridge in the background and adds up the bytes it reports for one address. */
class Meter {
  total = 0;
  private running: Promise<void> | undefined;
  private stopped = false;
  constructor(
    public bridge: QbittorrentBridge,
    private readonly address: string,
  ) {}
  async pollNow(): Promise<void> {
    const result = await this.bridge.poll();
    for (const torrent of result.torrents) {
      for (const peer of torrent.peers) if (peer.address === this.address) this.total += peer.uploadedBytes;
    }
  }
  start(): void {
    this.stopped = false;
    this.running = (async () => {
      for (let round = 0; round < 2000 && !this.stopped; round++) {
        await this.pollNow();
        await sleep(400);
      }
    })();
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

describe("qBittorrent bridge against real qbittorrent-nox", () => {
  let swarm: Swarm;
  let buyer: SwarmMember;
  let seller: QbittorrentBridge;
  let buyerBridge: QbittorrentBridge;
  let meter: Meter;

  const liveBans = () => swarm.seeder.client.getBannedIps();
  const dataFlowing = async (): Promise<boolean> => {
    const before = await swarm.receivedFromSeeder(buyer);
    await sleep(100);
    return (await swarm.receivedFromSeeder(buyer)) > before;
  };

  beforeAll(async () => {
    swarm = await startSwarm({
      seederAddress: "127.0.0.81",
      downloaderAddresses: ["127.0.0.82"],
      sizeBytes: 32 * 1024 * 1024,
      uploadLimitKiB: 512,
      category: "films",
      tags: ["peerpay:100sat/GiB", "seedbox"],
    });
    buyer = swarm.downloaders[0]!;
    await swarm.seeder.client.setBannedIps(userEntries);
    await buyer.client.setBannedIps(["10.20.30.40"]);
    seller = swarm.createBridge();
    buyerBridge = swarm.createDownloaderBridge(buyer);
    await Promise.all([seller.connect(), buyerBridge.connect()]);
    meter = new Meter(seller, buyer.address);
    await meter.pollNow(); // baseline before the buyer's first byte, so every byte is counted
    await swarm.join(buyer);
    meter.start();
  }, 90_000);

  afterAll(async () => {
    await meter?.stop().catch(() => undefined);
    await Promise.all([seller?.close(), buyerBridge?.close()]);
    await swarm?.stop();
    console.info(`[qbittorrent 4.5.2 figures]\n  ${figures.join("\n  ")}`);
  }, 60_000);

  it("lists the torrent with its category and tags as labels", async () => {
    const torrents = await seller.listTorrents();
    const torrent = torrents.find((entry) => entry.infohash === swarm.torrent.infohash);
    // the category, then the tags: core reads "peerpay:<price>" tags and label rules from these
    expect(torrent?.labels).toEqual(["films", "peerpay:100sat/GiB", "seedbox"]);
    expect(torrent?.sizeBytes).toBe(swarm.torrent.sizeBytes);
    expect(torrent?.state).toBe("seeding");
  });

  it("bans: the buyer is disconnected at once and stays out; the user's entries stay", async () => {
    await waitFor(dataFlowing, 15_000, "data flowing before the ban");
    await meter.pollNow();
    const started = performance.now();
    await seller.block([buyer.address]);
    const callMs = performance.now() - started;
    await waitFor(async () => !(await swarm.seederSees(buyer)), 5000, "buyer gone");
    const goneMs = performance.now() - started;
    figures.push(
      `ban: block() returned in ${callMs.toFixed(0)} ms (banPeers + verify); peer gone ${goneMs.toFixed(0)} ms after the call`,
    );
    for (let round = 0; round < 8; round++) {
      expect(await swarm.seederSees(buyer)).toBe(false);
      await sleep(250);
    }
    expect(await liveBans()).toEqual(expect.arrayContaining([...userEntries, buyer.address]));
    expect(await seller.listBlocked()).toEqual([buyer.address]);
  }, 30_000);

  it("unban + the seller's re-dial (addPeers) brings the buyer back within seconds", async () => {
    const started = performance.now();
    await seller.unblock([buyer.address]);
    await seller.addPeers(swarm.torrent.infohash, [{ address: buyer.address, port: buyer.daemon.peerPort }]);
    await waitFor(() => swarm.seederSees(buyer), 10_000, "buyer reconnected");
    const connectedMs = performance.now() - started;
    await waitFor(dataFlowing, 15_000, "data flowing after the re-dial");
    const dataMs = performance.now() - started;
    figures.push(
      `unban + seller addPeers: connected after ${connectedMs.toFixed(0)} ms, data after ${dataMs.toFixed(0)} ms`,
    );
    const live = await liveBans();
    expect(live).toEqual(expect.arrayContaining(userEntries));
    expect(live).not.toContain(buyer.address);
    expect(await seller.listBlocked()).toEqual([]);
  }, 40_000);

  it("unban + the buyer's nudge (ban/unban the seller on the buyer's side, then addPeers) brings it back", async () => {
    await meter.pollNow();
    await seller.block([buyer.address]);
    await sleep(1500); // the buyer retries, is refused, and puts the seller in reconnect back-off
    await seller.unblock([buyer.address]);
    const started = performance.now();
    // Without the nudge: the buyer's plain addPeers does nothing while the seller is in back-off.
    await buyer.client.addPeers(swarm.torrent.infohash, [
      `${swarm.seederEndpoint.address}:${swarm.seederEndpoint.port}`,
    ]);
    const plain = await waitFor(() => swarm.seederSees(buyer), 5000, "plain addPeers").catch(() => undefined);
    figures.push(
      plain === undefined
        ? "unban + buyer's plain addPeers (no nudge): no reconnect within 5000 ms"
        : `unban + buyer's plain addPeers (no nudge): connected after ${plain} ms`,
    );
    const nudgeStarted = performance.now();
    const { cycled } = await buyerBridge.nudgePeer(swarm.torrent.infohash, swarm.seederEndpoint);
    expect(cycled).toBe(true);
    await waitFor(() => swarm.seederSees(buyer), 10_000, "buyer reconnected after the nudge");
    const connectedMs = performance.now() - nudgeStarted;
    await waitFor(dataFlowing, 15_000, "data flowing after the nudge");
    const dataMs = performance.now() - nudgeStarted;
    figures.push(
      `unban + buyer nudge: connected after ${connectedMs.toFixed(0)} ms, data after ${dataMs.toFixed(0)} ms (${(performance.now() - started).toFixed(0)} ms after the unban incl. the 5 s plain-addPeers wait)`,
    );
    // The nudge touched only the entry it added on the buyer's side.
    expect(await buyer.client.getBannedIps()).toEqual(["10.20.30.40"]);
    expect(await buyerBridge.listBlocked()).toEqual([]);
  }, 60_000);

  it("keeps the user's entries through a concurrent manual edit and a bridge restart; reconciles on start", async () => {
    await meter.pollNow();
    await seller.block([buyer.address]);
    // The user edits the list by hand while the bridge holds a ban.
    await swarm.seeder.client.setBannedIps([...(await liveBans()), "10.11.12.14"]);
    // The bridge restarts; meanwhile the user (or a crash) dropped the bridge's entry.
    await meter.stop();
    await seller.close();
    await swarm.seeder.client.setBannedIps((await liveBans()).filter((entry) => entry !== buyer.address));
    seller = swarm.createBridge();
    await seller.connect();
    meter.bridge = seller;
    expect(await seller.listBlocked()).toEqual([buyer.address]);
    expect(await liveBans()).toEqual(expect.arrayContaining([...userEntries, "10.11.12.14", buyer.address]));
    await meter.pollNow(); // the restarted bridge's baseline
    meter.start();
    await seller.unblock([buyer.address, ...userEntries]); // user entries are not the bridge's to lift
    const live = await liveBans();
    expect(live.sort()).toEqual([...userEntries, "10.11.12.14"].sort());
    await seller.addPeers(swarm.torrent.infohash, [{ address: buyer.address, port: buyer.daemon.peerPort }]);
    await waitFor(dataFlowing, 15_000, "data flowing after the restart cycle");
  }, 60_000);

  // Opt-in (PEERPAY_QBT_SLOW=1): how long an unban takes with no re-dial from either side — the
  // buyer's own libtorrent retry, 30–60 s.
  it.runIf(process.env.PEERPAY_QBT_SLOW === "1")(
    "unban with no re-dial at all: the buyer comes back only on its own retry",
    async () => {
      await meter.pollNow();
      await seller.block([buyer.address]);
      await sleep(1500);
      const started = performance.now();
      await seller.unblock([buyer.address]);
      const waited = await waitFor(() => swarm.seederSees(buyer), 90_000, "the buyer's own retry").catch(
        () => undefined,
      );
      figures.push(
        waited === undefined
          ? "unban with no re-dial: no reconnect within 90 s"
          : `unban with no re-dial: reconnected after ${(performance.now() - started).toFixed(0)} ms`,
      );
      if (waited === undefined) {
        await seller.addPeers(swarm.torrent.infohash, [
          { address: buyer.address, port: buyer.daemon.peerPort },
        ]);
      }
      await waitFor(dataFlowing, 15_000, "data flowing again");
    },
    120_000,
  );

  it("per-peer bytes over the whole run agree with what the buyer received", async () => {
    await sleep(2000);
    // Slow the seller to a trickle, let the torrent-level counters settle, then compare.
    await swarm.seeder.client.setPreferences({ up_limit: 1024 });
    await sleep(3500);
    await meter.stop();
    await meter.pollNow();
    const received = (await buyer.client.getTorrent(swarm.torrent.infohash))?.downloaded ?? 0;
    const error = Math.abs(meter.total - received) / received;
    const sellerTorrent = await swarm.seeder.client.getTorrent(swarm.torrent.infohash);
    figures.push(
      `per-peer accounting over 3 bans, 3 reconnects and a bridge restart: bridge ${meter.total} B, buyer received ${received} B, error ${(error * 100).toFixed(3)}% (seller's own torrent counter: ${sellerTorrent?.uploaded} B)`,
    );
    expect(received).toBeGreaterThan(1024 * 1024);
    expect(error).toBeLessThan(0.02);
    // Against the seller's own torrent counter (the same side of the wire): bytes in flight at a
    // ban cannot explain a difference here, only the bridge's reconnect/restart rules could.
    const sellerUploaded = sellerTorrent?.uploaded ?? 0;
    expect(Math.abs(meter.total - sellerUploaded) / sellerUploaded).toBeLessThan(0.01);
  }, 30_000);
});
