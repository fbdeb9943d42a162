/**
 * What a qBittorrent version can do, from `app/version` and `app/webapiVersion` (features, not
 * names): `transfer/banPeers` and `torrents/addPeers` arrived with WebAPI 2.3.0 (qBittorrent 4.2.0);
 * per-peer `uploaded` is libtorrent's exact payload counter on every version; a ban disconnects at
 * once (libtorrent's ip_filter). 5.0 renamed pause/resume; 5.2 changed the login (handled in the
 * session).
 */
import { BridgeError, type TorrentBridgeCapabilities } from "@peerpay/core";

export interface QbittorrentVersion {
  readonly version: string;
  readonly apiVersion: string;
  readonly major: number;
  readonly minor: number;
}

export function parseQbittorrentVersion(version: string, apiVersion: string): QbittorrentVersion {
  const match = /(\d+)\.(\d+)/.exec(version);
  return {
    version: version.trim(),
    apiVersion: apiVersion.trim(),
    major: Number(match?.[1] ?? 0),
    minor: Number(match?.[2] ?? 0),
  };
}

export function compareApiVersion(apiVersion: string, minimum: string): number {
  const left = apiVersion.split(".").map((part) => Number.parseInt(part, 10) || 0);
  const right = minimum.split(".").map((part) => Number.parseInt(part, 10) || 0);
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

export interface QbittorrentFeatures {
  /**
   * How torrents are stopped and started: `torrents/pause` + `resume` (WebAPI < 2.11, qBittorrent
   * ≤ 4.6) or `torrents/stop` + `start` (WebAPI 2.11+, qBittorrent 5.x, where pause/resume answer
   * 404 and the state reads `stoppedUP`). The bridge stops no torrent itself; this is for callers
   * that drive the client through `getInstance()`.
   */
  readonly torrentControl: "pause-resume" | "stop-start";
}

/** Read from the WebAPI version, not the application's name or number. */
export function qbittorrentFeatures(version: QbittorrentVersion | undefined): QbittorrentFeatures {
  if (!version) return { torrentControl: "pause-resume" };
  return {
    torrentControl: compareApiVersion(version.apiVersion, "2.11.0") >= 0 ? "stop-start" : "pause-resume",
  };
}

/** Throws UNSUPPORTED for a WebAPI without banPeers/addPeers (before qBittorrent 4.2). */
export function capabilitiesFor(version: QbittorrentVersion): TorrentBridgeCapabilities {
  if (compareApiVersion(version.apiVersion, "2.3.0") < 0) {
    throw new BridgeError(
      "qbittorrent",
      "connect",
      "UNSUPPORTED",
      `qBittorrent ${version.version} (WebAPI ${version.apiVersion}) has no transfer/banPeers; 4.2 or later is needed`,
    );
  }
  return {
    peerByteAccuracy: "exact",
    blockDisconnects: true,
    unblock: true,
    addPeers: true,
    kick: false,
  };
}

/** Before `connect()`: what any supported version offers. */
export const defaultCapabilities: TorrentBridgeCapabilities = {
  peerByteAccuracy: "exact",
  blockDisconnects: true,
  unblock: true,
  addPeers: true,
  kick: false,
};
