/**
 * Turns qBittorrent's per-peer cumulative counters into bytes per poll, keyed by IP.
 *
 * libtorrent keeps `uploaded`/`downloaded` per peer entry: an ordinary reconnect continues from the
 * previous total (rounded down to KiB), while a ban erases the entry and the next connection starts
 * at 0. So a counter that went down by less than 1 KiB is a reconnect (nothing new), a counter that
 * went down further — or any counter after the bridge banned that IP and saw it gone — restarted
 * from 0 and all of it is new. Entries with an empty client name are refused reconnects, not
 * connected peers; web seeds and entries without an address are skipped; `::ffff:a.b.c.d` is
 * counted as `a.b.c.d`. Pure state, no I/O.
 */
import { type PeerSample, tryNormalizeAddress } from "@peerpay/core";
import type { TorrentPeerWire } from "./qbittorrent-wire.js";

/** The KiB rounding libtorrent applies when a reconnecting peer continues its count. */
const reconnectSlack = 1024;
const webSeedConnections = new Set(["web", "http", "https", "url seed"]);

interface CounterState {
  uploaded: number;
  downloaded: number;
  /** The bridge banned this IP (or the daemon restarted): the next connection counts from 0. */
  restartPending: boolean;
  /** Absent from a snapshot since the restart was marked (so the old connection is gone). */
  goneSinceMark: boolean;
  lastSeenAt: number;
}

export interface PeerAccountingOptions {
  /** Forget an IP not seen for this long, default 6 h. */
  readonly forgetAfterMs?: number;
}

export interface TorrentAccountingResult {
  readonly peers: PeerSample[];
  /** Sum of the per-peer upload deltas. */
  readonly uploadedSum: number;
}

export class PeerAccounting {
  private readonly torrents = new Map<string, Map<string, CounterState>>();
  private readonly rawForms = new Map<string, Set<string>>();
  private readonly ports = new Map<string, number>();
  private readonly forgetAfterMs: number;

  constructor(options: PeerAccountingOptions = {}) {
    this.forgetAfterMs = options.forgetAfterMs ?? 6 * 3600_000;
  }

  /**
   * Accounts one full `sync/torrentPeers` snapshot. With `baseline`, current counters become the
   * starting point and nothing is reported as moved.
   */
  update(
    infohash: string,
    entries: Readonly<Record<string, TorrentPeerWire>>,
    baseline: boolean,
    now = Date.now(),
  ): TorrentAccountingResult {
    let states = this.torrents.get(infohash);
    if (!states) {
      states = new Map();
      this.torrents.set(infohash, states);
    }
    const byAddress = groupByAddress(entries);
    const peers: PeerSample[] = [];
    let uploadedSum = 0;
    for (const [address, entry] of byAddress) {
      const forms = this.rawForms.get(address) ?? new Set<string>();
      for (const raw of entry.rawIps) forms.add(raw);
      this.rawForms.set(address, forms);
      this.ports.set(address, entry.port);
      const state = states.get(address);
      let uploadedBytes = 0;
      let downloadedBytes = 0;
      if (state && !baseline) {
        const restarted = state.restartPending && (state.goneSinceMark || entry.uploaded < state.uploaded);
        uploadedBytes = counterDelta(entry.uploaded, state.uploaded, restarted);
        downloadedBytes = counterDelta(entry.downloaded, state.downloaded, restarted);
        if (restarted) state.restartPending = false;
      } else if (!baseline) {
        uploadedBytes = entry.uploaded;
        downloadedBytes = entry.downloaded;
      }
      states.set(address, {
        uploaded: entry.uploaded,
        downloaded: entry.downloaded,
        restartPending: state?.restartPending ?? false,
        goneSinceMark: false,
        lastSeenAt: now,
      });
      uploadedSum += uploadedBytes;
      peers.push({
        address,
        port: entry.port,
        ...(entry.client ? { clientName: entry.client } : {}),
        uploadedBytes,
        downloadedBytes,
        accuracy: "exact",
        uploadRate: entry.upSpeed,
        downloadRate: entry.dlSpeed,
        progress: Math.min(1, Math.max(0, entry.progress)),
      });
    }
    for (const [address, state] of states) {
      if (byAddress.has(address)) continue;
      if (state.restartPending) state.goneSinceMark = true;
      if (now - state.lastSeenAt > this.forgetAfterMs) {
        states.delete(address);
        if (![...this.torrents.values()].some((other) => other.has(address))) {
          this.rawForms.delete(address);
          this.ports.delete(address);
        }
      }
    }
    return { peers, uploadedSum };
  }

  /** After the bridge bans an IP: its next connection starts counting at 0 on every torrent. */
  markRestart(address: string): void {
    for (const states of this.torrents.values()) {
      const state = states.get(address);
      if (state) {
        state.restartPending = true;
        state.goneSinceMark = false;
      }
    }
  }

  /** After the daemon restarted: every peer entry is new. */
  markAllRestarted(): void {
    for (const states of this.torrents.values()) {
      for (const state of states.values()) {
        state.restartPending = true;
        state.goneSinceMark = true;
      }
    }
  }

  forgetTorrent(infohash: string): void {
    this.torrents.delete(infohash);
  }

  /** Every raw form the client showed for this address (e.g. "::ffff:10.0.0.1" and "10.0.0.1"). */
  rawFormsOf(address: string): string[] {
    return [...(this.rawForms.get(address) ?? [])];
  }

  lastPortOf(address: string): number | undefined {
    return this.ports.get(address);
  }
}

/** Delta of a cumulative counter that continues across reconnects (KiB-rounded) and restarts after bans. */
export function counterDelta(current: number, previous: number, restarted: boolean): number {
  if (restarted) return current;
  if (current >= previous) return current - previous;
  if (previous - current < reconnectSlack) return 0;
  return current;
}

interface AddressEntry {
  port: number;
  client: string;
  uploaded: number;
  downloaded: number;
  upSpeed: number;
  dlSpeed: number;
  progress: number;
  rawIps: Set<string>;
}

/** One entry per normalised IP: the largest counters (one connection per IP), summed rates. */
function groupByAddress(entries: Readonly<Record<string, TorrentPeerWire>>): Map<string, AddressEntry> {
  const byAddress = new Map<string, AddressEntry>();
  for (const entry of Object.values(entries)) {
    if (!entry.ip || !entry.client.trim()) continue;
    if (webSeedConnections.has(entry.connection.trim().toLowerCase())) continue;
    const address = tryNormalizeAddress(entry.ip);
    if (!address) continue;
    const existing = byAddress.get(address);
    if (!existing) {
      byAddress.set(address, {
        port: entry.port,
        client: entry.client,
        uploaded: entry.uploaded,
        downloaded: entry.downloaded,
        upSpeed: entry.up_speed,
        dlSpeed: entry.dl_speed,
        progress: entry.progress,
        rawIps: new Set([entry.ip]),
      });
      continue;
    }
    if (entry.uploaded > existing.uploaded) {
      existing.uploaded = entry.uploaded;
      existing.port = entry.port;
      existing.client = entry.client;
    }
    existing.downloaded = Math.max(existing.downloaded, entry.downloaded);
    existing.upSpeed += entry.up_speed;
    existing.dlSpeed += entry.dl_speed;
    existing.progress = Math.max(existing.progress, entry.progress);
    existing.rawIps.add(entry.ip);
  }
  return byAddress;
}
