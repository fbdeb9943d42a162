export {
  createQbittorrentBridge,
  type QbittorrentBridge,
  type QbittorrentBridgeOptions,
} from "./qbittorrent-bridge.js";
export { parseSessionCookie, type QbittorrentLogger } from "./qbittorrent-session.js";
