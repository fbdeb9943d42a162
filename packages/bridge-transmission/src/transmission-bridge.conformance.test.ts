/**
 * The shared bridge conformance suite against a real transmission-daemon 3.00 seeding to a real
 * qbittorrent-nox that dialled in. The user's own blocklist is an HTTP-hosted P2P list; "what the
 * client holds" is read from the daemon's compiled blocklist.bin.
 */
import { runBridgeConformance } from "@peerpay/testkit";
import { daemonBlockedAddresses, type Swarm, startSwarm } from "./transmission-swarm.test.helper.js";

runBridgeConformance({
  name: "transmission 3.00",
  trafficWindowMs: 4000,
  async setup() {
    const swarm: Swarm = await startSwarm({
      torrents: 1,
      sizeBytes: 24 * 1024 * 1024,
      downloaders: ["127.0.0.3"],
      uploadLimitKB: 500,
      labels: ["peerpay", "price:1000"],
    });
    const [downloader] = swarm.downloaders;
    const [torrent] = swarm.torrents;
    await swarm.connect(downloader!, torrent!);
    await swarm.waitForBytes(downloader!, torrent!);
    return {
      client: "transmission",
      createBridge: async () => swarm.createBridge(),
      createBridgeWithPassword: async (password) => swarm.createBridge({ password }),
      seededTorrent: { infohash: torrent!.infohash, labels: ["peerpay", "price:1000"] },
      downloaderAddress: downloader!.address,
      downloaderReceivedBytes: () => swarm.received(downloader!, torrent!),
      async addUserBlockEntry(address) {
        // The user edits their hosted list and presses "update" in their client.
        swarm.userBlocklist.entries.add(address);
        await swarm.seeder.rpc("blocklist-update");
      },
      async readUserBlockEntries() {
        const held = new Set(await daemonBlockedAddresses(swarm.seeder));
        return [...swarm.userBlocklist.entries].filter((address) => held.has(address));
      },
      spareAddresses: ["198.51.100.7", "198.51.100.8"],
      teardown: () => swarm.stop(),
    };
  },
});
