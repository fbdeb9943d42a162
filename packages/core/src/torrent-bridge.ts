/**
 * The torrent-client bridge contract (specificationVersion "v1"). A bridge drives one running,
 * unmodified client (Transmission, qBittorrent, …) through its own RPC API. It is a factory
 * `create<Name>Bridge(options)` returning this object, and runs the conformance suite in
 * `@peerpay/testkit` against the real client.
 */

export interface TorrentBridgeCapabilities {
  /** How exact the per-peer upload counts are: the client's own per-peer counter, or a split estimate. */
  readonly peerByteAccuracy: "exact" | "estimated";
  /** A block disconnects an already-connected peer at once (qBittorrent, Transmission ≥ 4.1). */
  readonly blockDisconnects: boolean;
  /** The bridge can lift a block it made without touching any other entry. */
  readonly unblock: boolean;
  /** The client can be told to dial a peer (re-dial after payment). */
  readonly addPeers: boolean;
  /** The bridge can drop connected blocked peers by restarting their torrents (opt-in). */
  readonly kick: boolean;
}

export interface ClientInfo {
  /** "transmission", "qbittorrent", … */
  readonly client: string;
  /** The daemon's own version string, e.g. "3.00 (bb6b5a062e)" or "v4.5.2". */
  readonly version: string;
  /** The RPC/API version, e.g. "17" or "2.8.19". */
  readonly apiVersion: string;
}

export interface TorrentInfo {
  /** Lower-case hex v1 infohash (40 chars). */
  readonly infohash: string;
  readonly name: string;
  /** The client's labels / category / tags, as the user set them (used for pricing). */
  readonly labels: readonly string[];
  readonly sizeBytes: number;
  /** The torrent's own cumulative uploaded counter. */
  readonly uploadedBytes: number;
  readonly downloadedBytes: number;
  /** 0..1 */
  readonly progress: number;
  readonly state: "downloading" | "seeding" | "stopped" | "checking" | "queued" | "error";
}

export interface PeerSample {
  /** The peer's IP address, normalised (IPv4-mapped IPv6 → IPv4, lower-case IPv6). */
  readonly address: string;
  /** The port the client sees (for incoming peers: their ephemeral port). */
  readonly port: number;
  readonly clientName?: string;
  /** Bytes uploaded to this peer since the previous poll (a non-negative integer). */
  readonly uploadedBytes: number;
  /** Bytes downloaded from this peer since the previous poll, where the client reports it. */
  readonly downloadedBytes: number;
  readonly accuracy: "exact" | "estimated";
  /** Current upload rate to the peer, bytes/s. */
  readonly uploadRate: number;
  readonly downloadRate: number;
  /** The peer's progress, 0..1. */
  readonly progress: number;
}

export interface TorrentPeers {
  readonly infohash: string;
  /** The torrent's exact uploaded delta since the previous poll, for cross-checks. */
  readonly uploadedBytes: number;
  readonly peers: readonly PeerSample[];
}

export interface PollResult {
  readonly at: Date;
  readonly torrents: readonly TorrentPeers[];
}

export interface PeerEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface TorrentBridge {
  readonly specificationVersion: "v1";
  /** Short name, e.g. "transmission", "qbittorrent". */
  readonly name: string;
  /** Known after `connect()`; declared from the daemon's detected version, not its name. */
  readonly capabilities: TorrentBridgeCapabilities;
  /** Logs in, detects the version, reconciles the bridge's own blocks; idempotent. */
  connect(): Promise<ClientInfo>;
  listTorrents(): Promise<TorrentInfo[]>;
  /**
   * Peers of the active torrents with the bytes moved since the previous poll. The first poll
   * after `connect()` establishes the baseline and may report zero bytes.
   */
  poll(): Promise<PollResult>;
  /** Blocks these addresses (in addition to any already blocked). Never touches the user's own entries. */
  block(addresses: readonly string[]): Promise<void>;
  /** Lifts blocks this bridge made. Addresses it did not block are left alone. */
  unblock(addresses: readonly string[]): Promise<void>;
  /** The addresses this bridge currently blocks. */
  listBlocked(): Promise<string[]>;
  /** Asks the client to dial these peers for a torrent (after a payment, for a fast reconnect). */
  addPeers(infohash: string, peers: readonly PeerEndpoint[]): Promise<void>;
  /** Stops polling; restores what it changed in the client where configured to. */
  close(): Promise<void>;
  getInstance?(): unknown;
}
