/**
 * `createQbittorrentBridge(options)`: core's TorrentBridge over qBittorrent's WebUI API v2 (4.2+,
 * tested on 4.5.2), built on @ctrl/qbittorrent's `request()`. Exact bytes per peer from libtorrent's
 * per-peer counters, bans that disconnect at once, unbans that never touch the user's own banned
 * IPs, and `addPeers` (plus the buyer-side `nudgePeer`) for a fast re-dial after a payment.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { QBittorrent } from "@ctrl/qbittorrent";
import {
  BridgeError,
  type ClientInfo,
  formatEndpoint,
  isPeerpayError,
  type PeerEndpoint,
  type PollResult,
  type TorrentBridge,
  type TorrentBridgeCapabilities,
  type TorrentPeers,
  tryNormalizeAddress,
} from "@peerpay/core";
import { QbittorrentBanList } from "./qbittorrent-ban-list.js";
import { createBanStateStore } from "./qbittorrent-ban-state.js";
import { normalizeAll, validateInfohash } from "./qbittorrent-input.js";
import { PeerAccounting } from "./qbittorrent-peer-accounting.js";
import { createQbittorrentSession, type QbittorrentLogger } from "./qbittorrent-session.js";
import { toTorrentInfo } from "./qbittorrent-torrent-info.js";
import {
  capabilitiesFor,
  defaultCapabilities,
  parseQbittorrentVersion,
  type QbittorrentFeatures,
  qbittorrentFeatures,
} from "./qbittorrent-version.js";
import {
  addPeersResultSchema,
  parseWire,
  type TorrentInfoWire,
  torrentListSchema,
  torrentPeersSchema,
  transferInfoSchema,
} from "./qbittorrent-wire.js";

export interface QbittorrentBridgeOptions {
  /** WebUI address, e.g. "http://127.0.0.1:8080/". */
  readonly baseUrl: string;
  /** Default "admin". */
  readonly username?: string;
  /** Omit only when the WebUI lets this host in without a login (subnet whitelist / localhost bypass). */
  readonly password?: string;
  /** JSON file recording the bans this bridge made; `false` keeps them in memory only. */
  readonly stateFile?: string | false;
  /** Timeout of every request, default 5000 ms. */
  readonly requestTimeoutMs?: number;
  /** Peer-list requests in flight at once during a poll, default 4. */
  readonly maxConcurrentRequests?: number;
  /** After the WebUI rejected the password, no new login before this long, default 15 min. */
  readonly loginRetryDelayMs?: number;
  /** After a 403 on login (the WebUI banned this address), back off this long, default 1 h. */
  readonly ipBanBackoffMs?: number;
  /** Lift this bridge's own bans on `close()`, default false (unpaid peers stay blocked). */
  readonly unblockOnClose?: boolean;
  readonly logger?: QbittorrentLogger;
}

export interface QbittorrentBridge extends TorrentBridge {
  /** What differs between the client's versions, detected on `connect()` (see qbittorrent-version.ts). */
  readonly features: QbittorrentFeatures;
  /**
   * Buyer side, after paying: ban and at once unban only the seller's address (libtorrent then
   * forgets the peer and its reconnect back-off), then `addPeers` toward it. Leaves an entry the
   * user banned alone. `cycled` says whether the ban/unban happened.
   */
  nudgePeer(infohash: string, peer: PeerEndpoint): Promise<{ cycled: boolean }>;
  getInstance(): QBittorrent;
}

export function createQbittorrentBridge(options: QbittorrentBridgeOptions): QbittorrentBridge {
  if (!/^https?:\/\//.test(options.baseUrl)) {
    throw new BridgeError("qbittorrent", "create", "INVALID_CONFIG", "baseUrl must be an http(s) URL");
  }
  let reconcilePending = false;
  const session = createQbittorrentSession({
    baseUrl: options.baseUrl,
    username: options.username,
    password: options.password,
    requestTimeoutMs: options.requestTimeoutMs ?? 5000,
    loginRetryDelayMs: options.loginRetryDelayMs ?? 15 * 60_000,
    ipBanBackoffMs: options.ipBanBackoffMs ?? 3600_000,
    logger: options.logger,
    onSessionRenewed: () => {
      reconcilePending = true;
    },
  });
  const accounting = new PeerAccounting();
  const banList = new QbittorrentBanList(
    session,
    createBanStateStore(options.stateFile ?? defaultStateFile(options.baseUrl)),
    {
      rawFormsOf: (address) => accounting.rawFormsOf(address),
      lastPortOf: (address) => accounting.lastPortOf(address),
      onBanned: (address) => accounting.markRestart(address),
    },
    options.logger,
  );
  const concurrency = Math.max(1, options.maxConcurrentRequests ?? 4);
  let capabilities: TorrentBridgeCapabilities = defaultCapabilities;
  let features: QbittorrentFeatures = qbittorrentFeatures(undefined);
  let info: ClientInfo | undefined;
  let connecting: Promise<ClientInfo> | undefined;
  let baseline = true;
  let closed = false;
  let lastSessionUploaded: number | undefined;
  const lastTorrentUploaded = new Map<string, number>();
  const torrentsWithPeers = new Set<string>();
  const crossCheck = new Map<string, { peers: number; torrent: number }>();

  const connect = (): Promise<ClientInfo> => {
    if (info) return Promise.resolve(info);
    connecting ??= (async () => {
      closed = false;
      await session.login();
      const [version, apiVersion] = await Promise.all([
        session.request("app/version"),
        session.request("app/webapiVersion"),
      ]);
      const parsed = parseQbittorrentVersion(version, apiVersion);
      capabilities = capabilitiesFor(parsed);
      features = qbittorrentFeatures(parsed);
      await banList.reconcile();
      baseline = true;
      info = { client: "qbittorrent", version: parsed.version, apiVersion: parsed.apiVersion };
      options.logger?.info?.(`[qbittorrent] connected to ${parsed.version} (WebAPI ${parsed.apiVersion})`);
      return info;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  const fetchTorrents = async (): Promise<TorrentInfoWire[]> =>
    parseWire(torrentListSchema, await session.request("torrents/info"), "torrents/info");

  const pollTorrent = async (torrent: TorrentInfoWire, delta: number): Promise<TorrentPeers | undefined> => {
    let text: string;
    try {
      text = await session.request("sync/torrentPeers", { query: { hash: torrent.hash } });
    } catch (error) {
      // A torrent removed meanwhile (404) or one slow answer: its counters are cumulative, so the
      // next poll picks up what this one missed.
      if (isPeerpayError(error) && (error.code === "NOT_FOUND" || error.code === "TIMEOUT")) {
        options.logger?.warn?.(`[qbittorrent] peers of ${torrent.hash} skipped this poll: ${error.message}`);
        return undefined;
      }
      throw error;
    }
    const peers = parseWire(torrentPeersSchema, text, "sync/torrentPeers").peers;
    const result = accounting.update(torrent.hash, peers, baseline);
    if (result.peers.length > 0) torrentsWithPeers.add(torrent.hash);
    else torrentsWithPeers.delete(torrent.hash);
    checkAgainstTorrent(torrent, result.uploadedSum, delta);
    return { infohash: torrent.hash, uploadedBytes: delta, peers: result.peers };
  };

  /** The per-peer sum should not run ahead of the torrent's own counter (which lags 1–2.5 s). */
  const checkAgainstTorrent = (torrent: TorrentInfoWire, peerSum: number, delta: number): void => {
    const totals = crossCheck.get(torrent.hash) ?? { peers: 0, torrent: 0 };
    totals.peers += peerSum;
    totals.torrent += delta;
    crossCheck.set(torrent.hash, totals);
    const slack = Math.max(1024 * 1024, torrent.upspeed * 5);
    if (totals.peers > totals.torrent + slack) {
      options.logger?.warn?.(
        `[qbittorrent] per-peer bytes for ${torrent.hash} (${totals.peers}) exceed the torrent's own count (${totals.torrent})`,
      );
      totals.peers = totals.torrent;
    }
  };

  // Polls run one at a time: each applies a snapshot to the running per-IP totals, in order.
  let pollQueue: Promise<unknown> = Promise.resolve();
  const poll = (): Promise<PollResult> => {
    const run = pollQueue.then(pollOnce, pollOnce);
    pollQueue = run.catch(() => undefined);
    return run;
  };

  const pollOnce = async (): Promise<PollResult> => {
    if (closed) throw new BridgeError("qbittorrent", "poll", "INVALID_INPUT", "the bridge is closed");
    await connect();
    const at = new Date();
    const transfer = parseWire(transferInfoSchema, await session.request("transfer/info"), "transfer/info");
    if (lastSessionUploaded !== undefined && transfer.up_info_data < lastSessionUploaded) {
      options.logger?.info?.("[qbittorrent] the daemon restarted; peer counters start again from 0");
      accounting.markAllRestarted();
    }
    lastSessionUploaded = transfer.up_info_data;
    if (reconcilePending) {
      // A new WebUI session usually means a restarted daemon: check our bans are all still there.
      reconcilePending = false;
      await banList.reconcile();
    }
    const torrents = await fetchTorrents();
    const work: [TorrentInfoWire, number][] = [];
    for (const torrent of torrents) {
      const previous = lastTorrentUploaded.get(torrent.hash);
      const delta = previous === undefined || baseline ? 0 : Math.max(0, torrent.uploaded - previous);
      lastTorrentUploaded.set(torrent.hash, torrent.uploaded);
      // Downloading torrents count too: a buyer polls the sellers it receives from.
      const active =
        torrent.upspeed > 0 ||
        torrent.dlspeed > 0 ||
        torrent.num_leechs > 0 ||
        torrent.num_seeds > 0 ||
        delta > 0 ||
        torrentsWithPeers.has(torrent.hash);
      if (active) work.push([torrent, delta]);
    }
    const known = new Set(torrents.map((torrent) => torrent.hash));
    for (const hash of [...lastTorrentUploaded.keys()]) {
      if (known.has(hash)) continue;
      lastTorrentUploaded.delete(hash);
      torrentsWithPeers.delete(hash);
      accounting.forgetTorrent(hash);
    }
    const results = await mapLimit(work, concurrency, ([torrent, delta]) => pollTorrent(torrent, delta));
    baseline = false;
    return { at, torrents: results.filter((entry): entry is TorrentPeers => entry !== undefined) };
  };

  const addPeers = async (infohash: string, peers: readonly PeerEndpoint[]): Promise<void> => {
    const hash = validateInfohash(infohash, "addPeers");
    if (peers.length === 0) return;
    const endpoints = peers.map((peer) => {
      const address = tryNormalizeAddress(peer.address);
      if (!address || !Number.isInteger(peer.port) || peer.port < 1 || peer.port > 65535) {
        throw new BridgeError(
          "qbittorrent",
          "addPeers",
          "INVALID_INPUT",
          "a peer needs an IP address and a port 1-65535",
        );
      }
      return formatEndpoint(address, peer.port);
    });
    await connect();
    const text = await session.request("torrents/addPeers", {
      form: { hashes: hash, peers: endpoints.join("|") },
    });
    const result = parseWire(addPeersResultSchema, text || "{}", "torrents/addPeers");
    if (!result[hash]) {
      throw new BridgeError("qbittorrent", "addPeers", "NOT_FOUND", `no torrent ${hash} in the client`);
    }
  };

  return {
    specificationVersion: "v1",
    name: "qbittorrent",
    get capabilities() {
      return capabilities;
    },
    get features() {
      return features;
    },
    connect,
    async listTorrents() {
      await connect();
      return (await fetchTorrents()).map(toTorrentInfo);
    },
    poll,
    async block(addresses) {
      const normalized = normalizeAll(addresses, "block");
      if (normalized.length === 0) return;
      await connect();
      await banList.block(normalized);
    },
    async unblock(addresses) {
      const normalized = normalizeAll(addresses, "unblock");
      if (normalized.length === 0) return;
      await connect();
      await banList.unblock(normalized);
    },
    listBlocked: () => banList.owned(),
    addPeers,
    async nudgePeer(infohash, peer) {
      const hash = validateInfohash(infohash, "nudgePeer");
      const [address] = normalizeAll([peer.address], "nudgePeer");
      await connect();
      const cycled = await banList.cycle(address!);
      await addPeers(hash, [{ address: address!, port: peer.port }]);
      return { cycled };
    },
    async close() {
      if (closed) return;
      const wasConnected = info !== undefined;
      if (options.unblockOnClose && wasConnected) await banList.unblock(await banList.owned());
      closed = true;
      info = undefined;
      // Only end a session we have: a login just to log out would be wasteful, or a failed login.
      if (wasConnected) await session.request("auth/logout", { method: "POST" }).catch(() => undefined);
    },
    getInstance: () => session.client,
  };
}

function defaultStateFile(baseUrl: string): string {
  const url = new URL(baseUrl);
  const name = `${url.hostname}-${url.port || (url.protocol === "https:" ? "443" : "80")}`.replace(
    /[^a-zA-Z0-9.-]/g,
    "_",
  );
  return join(homedir(), ".peerpay", `qbittorrent-bans-${name}.json`);
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
