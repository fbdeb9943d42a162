/**
 * `createTransmissionBridge(options)`: the TorrentBridge for a running transmission-daemon.
 * Peers and bytes come from one `torrent-get` per poll; blocks go through the daemon's one global
 * blocklist, served by the bridge on loopback and merged with the user's own list, whose settings
 * are restored on close. See README.md for the caveats of Transmission ≤ 4.0.
 */
import {
  BridgeError,
  type ClientInfo,
  type PeerEndpoint,
  type TorrentBridgeCapabilities,
  type TorrentInfo,
  type TorrentPeers,
  tryNormalizeAddress,
} from "@peerpay/core";
import type { z } from "zod";
import { type BlocklistServer, startBlocklistServer } from "./transmission-blocklist-server.js";
import { createBlocklistSync } from "./transmission-blocklist-sync.js";
import type {
  BlockedConnection,
  TransmissionBridge,
  TransmissionBridgeOptions,
} from "./transmission-bridge-options.js";
import {
  readBridgeState,
  type TransmissionBridgeState,
  writeBridgeState,
} from "./transmission-bridge-state.js";
import { createKicker } from "./transmission-kick.js";
import { createPeerAccounting } from "./transmission-peer-accounting.js";
import { createTransmissionRpc } from "./transmission-rpc.js";
import {
  empty,
  listFields,
  listSchema,
  pollFields,
  pollSchema,
  sessionSchema,
  TorrentStatus,
} from "./transmission-schemas.js";
import {
  parseTransmissionVersion,
  type TransmissionFeatures,
  transmissionFeatures,
} from "./transmission-version.js";

const stateByStatus: Record<number, TorrentInfo["state"]> = {
  [TorrentStatus.stopped]: "stopped",
  [TorrentStatus.checkWait]: "checking",
  [TorrentStatus.check]: "checking",
  [TorrentStatus.downloadWait]: "queued",
  [TorrentStatus.download]: "downloading",
  [TorrentStatus.seedWait]: "queued",
  [TorrentStatus.seed]: "seeding",
};

export function createTransmissionBridge(options: TransmissionBridgeOptions): TransmissionBridge {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const onWarning =
    options.onWarning ?? ((message: string) => process.emitWarning(message, "PeerpayTransmissionBridge"));
  const kickEnabled = options.kick?.enabled ?? false;
  const rpc = createTransmissionRpc({
    baseUrl: options.baseUrl,
    username: options.username ?? "",
    password: options.password ?? "",
    timeoutMs,
    maxSessionRetries: options.maxSessionRetries ?? 2,
  });
  const accounting = createPeerAccounting();
  let state: TransmissionBridgeState | undefined;
  let features: TransmissionFeatures = transmissionFeatures(undefined);
  let info: ClientInfo | undefined;
  let connecting: Promise<ClientInfo> | undefined;
  let closed = false;
  let fullPollDone = false;
  let blockedConnected: BlockedConnection[] = [];
  const hashById = new Map<number, string>();

  const persist = async (change: (current: TransmissionBridgeState) => void): Promise<void> => {
    if (!state) throw new BridgeError("transmission", "state", "INTERNAL", "state used before connect");
    change(state);
    await writeBridgeState(options.stateFile, state);
  };

  const kicker = createKicker({
    rpc,
    minIntervalMs: options.kick?.minIntervalMs ?? 15 * 60_000,
    stopTimeoutMs: Math.max(timeoutMs, 10_000),
    markStopped: (infohash, stopped) =>
      persist((current) => {
        current.stoppedForKick = current.stoppedForKick.filter((entry) => entry !== infohash);
        if (stopped) current.stoppedForKick.push(infohash);
      }),
  });

  // Started on first use, so a bridge that never connects holds no listening socket.
  let serverPromise: Promise<BlocklistServer> | undefined;
  const server = (): Promise<BlocklistServer> => {
    serverPromise ??= startBlocklistServer({
      host: options.blocklistServer?.host ?? "127.0.0.1",
      port: options.blocklistServer?.port ?? 0,
      ...(options.blocklistServer?.publicHost ? { publicHost: options.blocklistServer.publicHost } : {}),
      fetchTimeoutMs: timeoutMs,
      refreshMs: options.userBlocklistRefreshMs ?? 3_600_000,
      onWarning,
    });
    return serverPromise;
  };
  const sync = createBlocklistSync({ rpc, server, onWarning });

  let takingOver: Promise<void> | undefined;
  const takeOver = (known?: z.infer<typeof sessionSchema>): Promise<void> => {
    takingOver ??= (async () => {
      const session = known ?? (await rpc.call("session-get", {}, sessionSchema));
      await sync.takeOver(state!, session, (original) =>
        persist((current) => {
          current.original = original;
        }),
      );
    })().catch((error: unknown) => {
      takingOver = undefined;
      throw error;
    });
    return takingOver;
  };

  const connect = async (): Promise<ClientInfo> => {
    if (closed) throw new BridgeError("transmission", "connect", "INVALID_INPUT", "the bridge is closed");
    const session = await rpc.call("session-get", {}, sessionSchema);
    const version = parseTransmissionVersion(session.version);
    if (!version)
      onWarning(
        `unrecognised Transmission version "${session.version.slice(0, 40)}": assuming the oldest features`,
      );
    features = transmissionFeatures(version, session["rpc-version-semver"]);
    state ??= await readBridgeState(options.stateFile);
    // The blocklist is taken over only when there is something to block (or to reconcile): a
    // buyer-side bridge that never blocks leaves the user's blocklist settings alone.
    if (state.blocked.length > 0 || state.original) await takeOver(session);
    if (state.stoppedForKick.length > 0) await kicker.resume([...state.stoppedForKick]);
    info = { client: "transmission", version: session.version, apiVersion: String(session["rpc-version"]) };
    return info;
  };

  const ensureConnected = async (): Promise<ClientInfo> => {
    if (info) return info;
    connecting ??= connect().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  const validate = (operation: string, addresses: readonly string[]): string[] => {
    if (!Array.isArray(addresses))
      throw new BridgeError("transmission", operation, "INVALID_INPUT", "addresses must be an array");
    return addresses.map((address) => {
      const normalized = tryNormalizeAddress(address);
      if (normalized === undefined) {
        throw new BridgeError(
          "transmission",
          operation,
          "INVALID_INPUT",
          `"${String(address).slice(0, 64)}" is not an IP address`,
          { details: { field: "addresses" } },
        );
      }
      if (normalized.includes(":")) {
        throw new BridgeError(
          "transmission",
          operation,
          "UNSUPPORTED",
          `${normalized}: Transmission blocklist rules are IPv4 only here`,
        );
      }
      return normalized;
    });
  };

  const kickBlockedPeers = async (): Promise<string[]> => {
    if (!kickEnabled || features.blockDisconnects) return [];
    const infohashes = [...new Set(blockedConnected.map((entry) => entry.infohash))];
    return infohashes.length === 0 ? [] : kicker.kick(infohashes);
  };

  /** A fresh look at who is connected, so a block can be followed by a kick at once. */
  const refreshBlockedConnected = async (): Promise<void> => {
    const answer = await rpc.call("torrent-get", { fields: pollFields }, pollSchema);
    blockedConnected = findBlocked(answer.torrents);
  };

  const findBlocked = (
    torrents: ReadonlyArray<{ hashString: string; peers: ReadonlyArray<{ address: string; port: number }> }>,
  ) => {
    const owned = new Set(state?.blocked ?? []);
    const found: BlockedConnection[] = [];
    for (const torrent of torrents) {
      for (const peer of torrent.peers) {
        const address = tryNormalizeAddress(peer.address);
        if (address && owned.has(address))
          found.push({ infohash: torrent.hashString.toLowerCase(), address, port: peer.port });
      }
    }
    return found;
  };

  const bridge: TransmissionBridge = {
    specificationVersion: "v1",
    name: "transmission",
    get capabilities(): TorrentBridgeCapabilities {
      return {
        peerByteAccuracy: "estimated",
        blockDisconnects: features.blockDisconnects,
        unblock: true,
        addPeers: false,
        kick: kickEnabled && !features.blockDisconnects,
      };
    },
    get features() {
      return features;
    },
    connect: ensureConnected,
    async listTorrents() {
      await ensureConnected();
      const answer = await rpc.call("torrent-get", { fields: listFields }, listSchema);
      return answer.torrents.map((torrent) => ({
        infohash: torrent.hashString.toLowerCase(),
        name: torrent.name,
        labels: torrent.labels ?? [],
        sizeBytes: Math.max(0, Math.round(torrent.totalSize)),
        uploadedBytes: Math.max(0, Math.round(torrent.uploadedEver)),
        downloadedBytes: Math.max(0, Math.round(torrent.downloadedEver)),
        progress: Math.min(1, Math.max(0, torrent.percentDone)),
        state: torrent.error ? "error" : (stateByStatus[torrent.status] ?? "error"),
      }));
    },
    async poll() {
      await ensureConnected();
      // The first poll reads every torrent (the baselines); later ones only the recently active.
      const args = fullPollDone ? { ids: "recently-active", fields: pollFields } : { fields: pollFields };
      const answer = await rpc.call("torrent-get", args, pollSchema);
      const at = new Date();
      fullPollDone = true;
      for (const id of answer.removed ?? []) {
        const infohash = hashById.get(id);
        if (infohash) accounting.forget(infohash);
        hashById.delete(id);
      }
      const torrents: TorrentPeers[] = [];
      for (const torrent of answer.torrents) {
        const infohash = torrent.hashString.toLowerCase();
        hashById.set(torrent.id, infohash);
        const peers = accounting.account({
          infohash,
          at: at.getTime(),
          uploadedEver: Math.max(0, Math.round(torrent.uploadedEver)),
          downloadedEver: Math.max(0, Math.round(torrent.downloadedEver)),
          peers: torrent.peers.map((peer) => ({
            ...peer,
            ...(features.peerByteCounter === "window-60s" && peer.bytes_to_peer !== undefined
              ? { bytesToPeer: peer.bytes_to_peer }
              : {}),
          })),
        });
        if (peers) torrents.push(peers);
      }
      blockedConnected = findBlocked(answer.torrents);
      if (state && state.stoppedForKick.length > 0) {
        // A kick whose start failed (the daemon went away mid-kick): start those torrents again.
        await kicker
          .resume([...state.stoppedForKick])
          .catch((error: unknown) =>
            onWarning(`resuming kicked torrents failed: ${(error as Error).message}`),
          );
      }
      if (blockedConnected.length > 0 && kickEnabled && !features.blockDisconnects) {
        await kickBlockedPeers().catch((error: unknown) =>
          onWarning(`kick failed: ${(error as Error).message}`),
        );
      }
      return { at, torrents };
    },
    async block(addresses) {
      const wanted = validate("block", addresses);
      await ensureConnected();
      await takeOver();
      const owned = new Set(state!.blocked);
      const added = wanted.filter((address) => !owned.has(address));
      if (added.length > 0) {
        await persist((current) => {
          current.blocked = [...new Set([...current.blocked, ...added])].sort();
        });
        await sync.apply(state!.blocked);
      }
      if (kickEnabled && !features.blockDisconnects) {
        // The block itself is in force; a failed kick is reported, and the next poll tries again.
        await refreshBlockedConnected()
          .then(kickBlockedPeers)
          .catch((error: unknown) => onWarning(`kick failed: ${(error as Error).message}`));
      }
    },
    async unblock(addresses) {
      const wanted = new Set(validate("unblock", addresses));
      await ensureConnected();
      if (!state!.blocked.some((address) => wanted.has(address))) return;
      await persist((current) => {
        current.blocked = current.blocked.filter((address) => !wanted.has(address));
      });
      await sync.apply(state!.blocked);
    },
    async listBlocked() {
      await ensureConnected();
      return [...state!.blocked];
    },
    async addPeers(_infohash: string, _peers: readonly PeerEndpoint[]) {
      throw new BridgeError(
        "transmission",
        "addPeers",
        "UNSUPPORTED",
        "Transmission's RPC has no way to add a peer; the buyer's side must reconnect (see reannounce())",
      );
    },
    async reannounce(infohash) {
      if (!/^[0-9a-fA-F]{40}$/.test(infohash)) {
        throw new BridgeError(
          "transmission",
          "reannounce",
          "INVALID_INPUT",
          "infohash must be 40 hex characters",
        );
      }
      await ensureConnected();
      await rpc.call("torrent-reannounce", { ids: [infohash.toLowerCase()] }, empty);
    },
    blockedPeersConnected: () => [...blockedConnected],
    kickBlockedPeers: async () => {
      await ensureConnected();
      return kickBlockedPeers();
    },
    async close() {
      if (closed) return;
      closed = true;
      await connecting?.catch(() => undefined);
      try {
        if (info && state && takingOver && (options.restoreOnClose ?? true)) {
          await sync.restore(state, () =>
            persist((current) => {
              current.original = null;
            }),
          );
        }
      } finally {
        info = undefined;
        accounting.reset();
        await (await serverPromise?.catch(() => undefined))?.close();
      }
    },
    getInstance: () => rpc.client,
  };
  return bridge;
}
