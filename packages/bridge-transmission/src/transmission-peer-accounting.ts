/**
 * Bytes per peer per poll on daemons without a per-peer byte counter (3.00, 4.0): each poll's
 * exact `uploadedEver` (and `downloadedEver`) delta is split between the torrent's peers by
 * their rates, integrated with the trapezoid rule over the interval — weight = rate at the
 * previous poll + rate now — so a peer that left since the previous poll still gets its share.
 * The per-peer parts add up to the exact torrent delta whenever the torrent had a peer.
 * Where the daemon sends `bytes_to_peer` (4.1.0-beta.4+, a 60-second window), the weights come
 * from the window instead (transmission-peer-window.ts), with the rate split as its fallback.
 */
import { type PeerSample, type TorrentPeers, tryNormalizeAddress } from "@peerpay/core";
import { apportion } from "./transmission-apportion.js";
import { createPeerWindowTracker } from "./transmission-peer-window.js";

export interface RawPeer {
  readonly address: string;
  readonly port: number;
  readonly clientName?: string;
  readonly rateToPeer: number;
  readonly rateToClient: number;
  readonly progress: number;
  /** 4.1.0-beta.4+: payload bytes sent to the peer in the last 60 s. */
  readonly bytesToPeer?: number;
}

export interface RawTorrentSample {
  readonly infohash: string;
  /** When the daemon answered, ms since the epoch. */
  readonly at: number;
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
  readonly bytesToPeer?: number;
}

interface TorrentState {
  readonly at: number;
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
  let windows = createPeerWindowTracker();
  return {
    account(sample) {
      const peers = groupPeers(sample.peers);
      const previous = torrents.get(sample.infohash);
      torrents.set(sample.infohash, {
        at: sample.at,
        uploadedEver: sample.uploadedEver,
        downloadedEver: sample.downloadedEver,
        peers,
      });
      const key = (address: string) => `${sample.infohash}/${address}`;
      if (!previous) {
        // Connections already open: their window holds history from before the bridge.
        for (const [address, peer] of peers) {
          if (peer.bytesToPeer !== undefined)
            windows.sample(key(address), sample.at, peer.bytesToPeer, false, 0);
        }
        return undefined;
      }
      // A counter that went down (torrent re-added, stats reset, resume data lost in a crash)
      // starts a new baseline rather than inventing bytes.
      const uploaded = Math.max(0, sample.uploadedEver - previous.uploadedEver);
      const downloaded = Math.max(0, sample.downloadedEver - previous.downloadedEver);
      const addresses = [...new Set([...previous.peers.keys(), ...peers.keys()])];
      const seconds = Math.max(0, sample.at - previous.at) / 1000;
      const uploadWeights = addresses.map((address) => {
        const current = peers.get(address);
        const byRate =
          (((previous.peers.get(address)?.rateToPeer ?? 0) + (current?.rateToPeer ?? 0)) / 2) * seconds;
        if (current?.bytesToPeer === undefined) {
          windows.forget(key(address));
          return byRate;
        }
        return windows.sample(
          key(address),
          sample.at,
          current.bytesToPeer,
          !previous.peers.has(address),
          byRate,
        );
      });
      const uploadParts = apportion(uploaded, uploadWeights);
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
      const state = torrents.get(infohash);
      for (const address of state?.peers.keys() ?? []) windows.forget(`${infohash}/${address}`);
      torrents.delete(infohash);
    },
    reset() {
      torrents.clear();
      windows = createPeerWindowTracker();
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
      ...(peer.bytesToPeer !== undefined || existing?.bytesToPeer !== undefined
        ? { bytesToPeer: (existing?.bytesToPeer ?? 0) + Math.max(0, peer.bytesToPeer ?? 0) }
        : {}),
      progress: Math.min(1, Math.max(0, Math.max(existing?.progress ?? 0, peer.progress))),
    });
  }
  return grouped;
}
