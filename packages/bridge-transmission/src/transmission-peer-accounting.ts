/**
 * Bytes per peer per poll on daemons without a per-peer byte counter (3.00, 4.0): each poll's
 * exact `uploadedEver` (and `downloadedEver`) delta is split between the torrent's peers by
 * their rates, integrated with the trapezoid rule over the interval — weight = rate at the
 * previous poll + rate now — so a peer that left since the previous poll still gets its share.
 * The per-peer parts add up to the exact torrent delta whenever the torrent had a peer.
 */
import { type PeerSample, type TorrentPeers, tryNormalizeAddress } from "@peerpay/core";
import { apportion } from "./transmission-apportion.js";

export interface RawPeer {
  readonly address: string;
  readonly port: number;
  readonly clientName?: string;
  readonly rateToPeer: number;
  readonly rateToClient: number;
  readonly progress: number;
}

export interface RawTorrentSample {
  readonly infohash: string;
  readonly uploadedEver: number;
  readonly downloadedEver: number;
  readonly peers: readonly RawPeer[];
}

interface PeerState {
  readonly port: number;
  readonly clientName?: string;
  readonly rateToPeer: number;
  readonly rateToClient: number;
  readonly progress: number;
}

interface TorrentState {
  readonly uploadedEver: number;
  readonly downloadedEver: number;
  readonly peers: ReadonlyMap<string, PeerState>;
}

export interface PeerAccounting {
  /** The torrent's peers with their bytes since the previous sample; undefined for the first sample. */
  account(sample: RawTorrentSample): TorrentPeers | undefined;
  forget(infohash: string): void;
  reset(): void;
}

export function createPeerAccounting(): PeerAccounting {
  const torrents = new Map<string, TorrentState>();
  return {
    account(sample) {
      const peers = groupPeers(sample.peers);
      const previous = torrents.get(sample.infohash);
      torrents.set(sample.infohash, {
        uploadedEver: sample.uploadedEver,
        downloadedEver: sample.downloadedEver,
        peers,
      });
      if (!previous) return undefined;
      // A counter that went down (torrent re-added, stats reset, resume data lost in a crash)
      // starts a new baseline rather than inventing bytes.
      const uploaded = Math.max(0, sample.uploadedEver - previous.uploadedEver);
      const downloaded = Math.max(0, sample.downloadedEver - previous.downloadedEver);
      const addresses = [...new Set([...previous.peers.keys(), ...peers.keys()])];
      const uploadParts = apportion(
        uploaded,
        addresses.map(
          (address) => (previous.peers.get(address)?.rateToPeer ?? 0) + (peers.get(address)?.rateToPeer ?? 0),
        ),
      );
      const downloadParts = apportion(
        downloaded,
        addresses.map(
          (address) =>
            (previous.peers.get(address)?.rateToClient ?? 0) + (peers.get(address)?.rateToClient ?? 0),
        ),
      );
      const samples: PeerSample[] = [];
      addresses.forEach((address, index) => {
        const current = peers.get(address);
        const uploadedBytes = uploadParts[index] ?? 0;
        const downloadedBytes = downloadParts[index] ?? 0;
        // A peer that left since the previous poll is reported once more if it still got bytes.
        if (!current && uploadedBytes === 0 && downloadedBytes === 0) return;
        const state = current ?? previous.peers.get(address)!;
        samples.push({
          address,
          port: state.port,
          ...(state.clientName ? { clientName: state.clientName } : {}),
          uploadedBytes,
          downloadedBytes,
          accuracy: "estimated",
          uploadRate: current?.rateToPeer ?? 0,
          downloadRate: current?.rateToClient ?? 0,
          progress: state.progress,
        });
      });
      return { infohash: sample.infohash, uploadedBytes: uploaded, peers: samples };
    },
    forget(infohash) {
      torrents.delete(infohash);
    },
    reset() {
      torrents.clear();
    },
  };
}

/** One entry per normalised address (Transmission keeps one connection per IP per torrent anyway). */
function groupPeers(peers: readonly RawPeer[]): Map<string, PeerState> {
  const grouped = new Map<string, PeerState>();
  for (const peer of peers) {
    const address = tryNormalizeAddress(peer.address);
    if (address === undefined) continue;
    const existing = grouped.get(address);
    grouped.set(address, {
      port: existing?.port ?? peer.port,
      ...(existing?.clientName || peer.clientName
        ? { clientName: existing?.clientName ?? peer.clientName }
        : {}),
      rateToPeer: (existing?.rateToPeer ?? 0) + Math.max(0, peer.rateToPeer),
      rateToClient: (existing?.rateToClient ?? 0) + Math.max(0, peer.rateToClient),
      progress: Math.min(1, Math.max(0, Math.max(existing?.progress ?? 0, peer.progress))),
    });
  }
  return grouped;
}
