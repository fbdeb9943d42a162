/**
 * The harnesses alone, without the vitest suites: start real torrent daemons and make test
 * torrents from any program (the demo uses these).
 */

export {
  type DebianChroot,
  type EnsureDebianChrootOptions,
  ensureDebianChroot,
  toChrootPath,
} from "./debian-chroot.js";
export {
  createTestNetworkPair,
  type TestNamespaceEnd,
  type TestNetworkPair,
  type TestNetworkPairOptions,
  writeNamespaceExecutable,
} from "./netns-pair.js";
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
export { type CreateTestTorrentOptions, createTestTorrent, type TestTorrent } from "./torrent-file.js";
export {
  type AddedTransmissionTorrent,
  startTransmissionDaemon,
  type TransmissionDaemon,
  type TransmissionDaemonOptions,
} from "./transmission-daemon.js";
