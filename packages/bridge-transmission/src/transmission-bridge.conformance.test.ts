/**
 * The shared bridge conformance suite against a real transmission-daemon 3.00 seeding to a real
 * qbittorrent-nox that dialled in (fixture: transmission-swarm.test.helper.ts).
 */
import { runBridgeConformance } from "@peerpay/testkit";
import { conformanceFixture } from "./transmission-swarm.test.helper.js";

runBridgeConformance(conformanceFixture("transmission 3.00", { downloaderAddress: "127.0.0.3" }));
