export {
  type BridgeConformanceEnvironment,
  type BridgeConformanceFixture,
  runBridgeConformance,
} from "./bridge-conformance.js";
export {
  type DebianChroot,
  type EnsureDebianChrootOptions,
  ensureDebianChroot,
  toChrootPath,
} from "./debian-chroot.js";
export {
  type LedgerStoreConformanceContext,
  type LedgerStoreConformanceOptions,
  runLedgerStoreConformance,
} from "./ledger-store-conformance.js";
export {
  type PaymentAdapterConformanceContext,
  type PaymentAdapterConformanceFixture,
  runPaymentAdapterConformance,
} from "./payment-adapter-conformance.js";
export {
  type QbittorrentDaemon,
  type QbittorrentDaemonOptions,
  startQbittorrentDaemon,
} from "./qbittorrent-daemon.js";
export {
  createQbittorrentTestClient,
  type QbittorrentTestClient,
  type QbittorrentTestClientOptions,
  type QbittorrentTestPeer,
  type QbittorrentTestRequest,
  type QbittorrentTestTorrent,
} from "./qbittorrent-daemon-client.js";
export { hashQbittorrentPassword } from "./qbittorrent-daemon-config.js";
export { startTestTracker, type TestTracker, type TestTrackerOptions } from "./test-tracker.js";
export { type CreateTestTorrentOptions, createTestTorrent, type TestTorrent } from "./torrent-file.js";
export {
  type AddedTransmissionTorrent,
  startTransmissionDaemon,
  type TransmissionDaemon,
  type TransmissionDaemonOptions,
} from "./transmission-daemon.js";
export {
  canCreateNetworkNamespaces,
  createTestNetworkNamespace,
  type TestNetworkNamespace,
} from "./transmission-daemon-netns.js";
