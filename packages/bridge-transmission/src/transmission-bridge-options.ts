/** Options and the returned object of `createTransmissionBridge`. */
import type { TorrentBridge } from "@peerpay/core";
import type { TransmissionFeatures } from "./transmission-version.js";

export interface TransmissionBridgeOptions {
  /** The daemon's RPC base, e.g. "http://127.0.0.1:9091/" (the RPC path is /transmission/rpc). */
  readonly baseUrl: string;
  readonly username?: string;
  readonly password?: string;
  /** JSON file for the bridge's own state (its blocks, the user's original blocklist settings). */
  readonly stateFile: string;
  /** Per RPC request, default 10 000 ms. */
  readonly timeoutMs?: number;
  /** 409 session-id renewals per call, default 2. */
  readonly maxSessionRetries?: number;
  /** Where the bridge serves the merged blocklist; the daemon must reach it. Default 127.0.0.1, any port. */
  readonly blocklistServer?: { readonly host?: string; readonly port?: number; readonly publicHost?: string };
  /** How often the bridge re-fetches the user's own blocklist for its own updates, default 1 h. */
  readonly userBlocklistRefreshMs?: number;
  /** Restore the user's blocklist-url / blocklist-enabled (and their list) on close, default true. */
  readonly restoreOnClose?: boolean;
  /** Opt-in restart of torrents that still have a blocked peer connected (only on daemons ≤ 4.0). */
  readonly kick?: { readonly enabled?: boolean; readonly minIntervalMs?: number };
  /** Called with messages worth a log line (never secrets). Default: process.emitWarning. */
  readonly onWarning?: (message: string) => void;
}

export interface BlockedConnection {
  readonly infohash: string;
  readonly address: string;
  readonly port: number;
}

export interface TransmissionBridge extends TorrentBridge {
  /** Features detected from the daemon's version (after `connect()`). */
  readonly features: TransmissionFeatures;
  /** Buyer side: asks the daemon to re-announce a torrent (the nudge after paying a seller). */
  reannounce(infohash: string): Promise<void>;
  /** Blocked peers that were still connected at the last poll (for an OS-level enforcer, or the kick). */
  blockedPeersConnected(): BlockedConnection[];
  /** Runs the kick now for torrents with a blocked peer connected (rate limits still apply). */
  kickBlockedPeers(): Promise<string[]>;
}
