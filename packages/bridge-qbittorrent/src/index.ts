export {
  createQbittorrentBridge,
  type QbittorrentBridge,
  type QbittorrentBridgeOptions,
} from "./qbittorrent-bridge.js";
export { parseSessionCookie, type QbittorrentLogger } from "./qbittorrent-session.js";
export {
  parseQbittorrentVersion,
  type QbittorrentFeatures,
  type QbittorrentVersion,
  qbittorrentFeatures,
} from "./qbittorrent-version.js";
