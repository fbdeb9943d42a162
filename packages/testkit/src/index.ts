export {
  type BridgeConformanceEnvironment,
  type BridgeConformanceFixture,
  runBridgeConformance,
} from "./bridge-conformance.js";
export { type CreateTestTorrentOptions, createTestTorrent, type TestTorrent } from "./torrent-file.js";
