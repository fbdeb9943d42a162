/**
 * The shared bridge conformance suite against a real qbittorrent-nox 4.5.2 seeding to a real
 * qbittorrent-nox downloader that dialled in. The user's own entries are `banned_IPs` lines added
 * through the WebUI API, the way the WebUI's own "ban peer" / preferences dialog adds them.
 */
import { runBridgeConformance } from "@peerpay/testkit";
import { startSwarm } from "./qbittorrent-swarm.test.helper.js";

const spareAddresses = ["198.51.100.17", "198.51.100.18"] as const;

runBridgeConformance({
  name: "qbittorrent 4.5.2",
  trafficWindowMs: 4000,
  byteTolerance: 0.02,
  async setup() {
    const swarm = await startSwarm({
      seederAddress: "127.0.0.71",
      downloaderAddresses: ["127.0.0.72"],
      sizeBytes: 24 * 1024 * 1024,
      uploadLimitKiB: 512,
      category: "peerpay",
      tags: ["price-msat-per-gib:1000", "paid"],
    });
    const [downloader] = swarm.downloaders;
    await swarm.join(downloader!);
    return {
      client: "qbittorrent",
      createBridge: async () => swarm.createBridge(),
      createBridgeWithPassword: async (password) => swarm.createBridge({ password, stateFile: false }),
      seededTorrent: { infohash: swarm.torrent.infohash, labels: swarm.labels },
      downloaderAddress: downloader!.address,
      downloaderReceivedBytes: () => swarm.receivedFromSeeder(downloader!),
      async addUserBlockEntry(address) {
        const live = await swarm.seeder.client.getBannedIps();
        await swarm.seeder.client.setBannedIps([...live, address]);
      },
      async readUserBlockEntries() {
        const live = await swarm.seeder.client.getBannedIps();
        return live.filter((entry) => !spareAddresses.slice(1).includes(entry as (typeof spareAddresses)[1]));
      },
      spareAddresses,
      teardown: () => swarm.stop(),
    };
  },
});
