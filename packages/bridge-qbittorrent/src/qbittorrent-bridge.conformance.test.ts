/**
 * The shared bridge conformance suite against a real qbittorrent-nox 4.5.2 seeding to a real
 * qbittorrent-nox downloader that dialled in (fixture: qbittorrent-swarm.test.helper.ts).
 */
import { runBridgeConformance } from "@peerpay/testkit";
import { conformanceFixture } from "./qbittorrent-swarm.test.helper.js";

runBridgeConformance(
  conformanceFixture("qbittorrent 4.5.2", {
    seederAddress: "127.0.0.71",
    downloaderAddress: "127.0.0.72",
    spareAddresses: ["198.51.100.17", "198.51.100.18"],
  }),
);
