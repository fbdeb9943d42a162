/**
 * Maps qBittorrent's torrents (`torrents/info`) onto the contract's TorrentInfo. The labels used
 * for pricing are the category followed by the tags, as the user set them.
 */
import type { TorrentInfo } from "@peerpay/core";
import type { TorrentInfoWire } from "./qbittorrent-wire.js";

export function toTorrentInfo(torrent: TorrentInfoWire): TorrentInfo {
  const labels = [
    ...(torrent.category ? [torrent.category] : []),
    ...torrent.tags
      .split(",")
      .map((tag) => tag.trim())
      .filter((tag) => tag.length > 0),
  ];
  return {
    infohash: torrent.hash.toLowerCase(),
    name: torrent.name,
    labels,
    sizeBytes: Math.round(torrent.total_size ?? torrent.size),
    uploadedBytes: Math.round(torrent.uploaded),
    downloadedBytes: Math.round(torrent.downloaded),
    progress: Math.min(1, Math.max(0, torrent.progress)),
    state: mapTorrentState(torrent.state),
  };
}

/** Maps qBittorrent's torrent state names (4.x and 5.x) onto the contract's states. */
export function mapTorrentState(
  state: string,
): "downloading" | "seeding" | "stopped" | "checking" | "queued" | "error" {
  switch (state) {
    case "uploading":
    case "stalledUP":
    case "forcedUP":
      return "seeding";
    case "downloading":
    case "stalledDL":
    case "forcedDL":
    case "metaDL":
    case "forcedMetaDL":
      return "downloading";
    case "pausedUP":
    case "pausedDL":
    case "stoppedUP":
    case "stoppedDL":
      return "stopped";
    case "queuedUP":
    case "queuedDL":
      return "queued";
    case "checkingUP":
    case "checkingDL":
    case "checkingResumeData":
    case "allocating":
    case "moving":
      return "checking";
    default:
      return "error";
  }
}
