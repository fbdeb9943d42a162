/**
 * Starts a real transmission-daemon (Debian's 3.00 here) for tests: its own config dir under a
 * temp dir, one loopback address (`bind-address-ipv4`) for peers, RPC and outgoing HTTP, free
 * ports, settings.json written before the start, and a stop() that ends the process by its PID
 * and waits for it to exit. Also a small RPC helper and a reader for the daemon's compiled
 * blocklist, so tests can check what the daemon really holds.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createDaemonProcess,
  findFreePort,
  prepareDaemonDirectories,
  waitForHttpAnswer,
} from "./daemon-process.js";
import { writeTransmissionSettings } from "./transmission-daemon-settings.js";

export interface TransmissionDaemonOptions {
  /** Loopback address for peers, RPC and outgoing HTTP, e.g. "127.0.0.2". */
  readonly bindAddress: string;
  /** Default "peerpay". */
  readonly username?: string;
  /** Default: a random password. */
  readonly password?: string;
  /** Default: free ports on `bindAddress`. */
  readonly peerPort?: number;
  readonly rpcPort?: number;
  /** kB/s (1000 B), default 0 (unlimited). Keep tests lean: set one. */
  readonly uploadLimitKB?: number;
  readonly downloadLimitKB?: number;
  /** Default "127.*.*.*". */
  readonly rpcWhitelist?: string;
  /** The user's own blocklist setting at start, default none / disabled. */
  readonly blocklistUrl?: string;
  readonly blocklistEnabled?: boolean;
  /** Default true. */
  readonly utpEnabled?: boolean;
  /** Extra raw settings.json keys (they win). */
  readonly extraSettings?: Readonly<Record<string, unknown>>;
  /** Parent of the config dir; default a new dir under the OS temp dir (removed on stop). */
  readonly rootDir?: string;
  /** How long to wait for the RPC to answer, default 30 s. */
  readonly startTimeoutMs?: number;
  /** Executable, default "transmission-daemon". */
  readonly executable?: string;
  /**
   * Run inside this network namespace (`ip netns exec`, root only; see transmission-daemon-netns.ts);
   * `bindAddress` is then the namespace's address and the ports are picked at random.
   */
  readonly networkNamespace?: string;
  /**
   * Run `executable` inside this chroot (`chroot <dir> transmission-daemon …`, root only; see
   * scripts/debian-chroot.sh). The config dir is then created under <dir>/srv/peerpay-tests/ (or
   * `rootDir`, which must be inside the chroot) and the daemon gets the in-chroot paths.
   */
  readonly chrootDir?: string;
}

export interface AddedTransmissionTorrent {
  readonly id: number;
  readonly hashString: string;
}

export interface TransmissionDaemon {
  /** "http://<bindAddress>:<rpcPort>/transmission/rpc" */
  readonly rpcUrl: string;
  /** "http://<bindAddress>:<rpcPort>/" (what @ctrl/transmission calls baseUrl). */
  readonly baseUrl: string;
  readonly bindAddress: string;
  readonly username: string;
  readonly password: string;
  readonly peerPort: number;
  readonly rpcPort: number;
  /** PID of the running process (changes after `restart()`; -1 while stopped). */
  readonly pid: number;
  readonly configDir: string;
  readonly downloadDir: string;
  readonly logPath: string;
  /** The path the daemon sees for a host path (differs only with `chrootDir`). */
  toDaemonPath(hostPath: string): string;
  /** Calls an RPC method; throws unless `result` is "success". */
  rpc<T = Record<string, unknown>>(method: string, args?: Record<string, unknown>): Promise<T>;
  /** Adds a .torrent (seeding it when `downloadDir` holds its content) and sets its labels. */
  addTorrent(
    torrentFile: Uint8Array,
    options?: { downloadDir?: string; labels?: readonly string[]; paused?: boolean },
  ): Promise<AddedTransmissionTorrent>;
  /** The daemon's compiled blocklist (blocklists/blocklist.bin) as inclusive IPv4 ranges. */
  readBlocklistRanges(): Promise<Array<{ start: string; end: string }>>;
  /** Stops the process (keeps the config) and starts it again on the same ports. */
  restart(): Promise<void>;
  /** Stops the process without deleting anything; `start()` brings it back. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Stops by PID, waits for exit, removes the temp dir (unless `keepFiles`). Idempotent. */
  stop(options?: { keepFiles?: boolean }): Promise<void>;
}

export async function startTransmissionDaemon(
  options: TransmissionDaemonOptions,
): Promise<TransmissionDaemon> {
  const directories = await prepareDaemonDirectories({
    prefix: "tr",
    bindAddress: options.bindAddress,
    ...(options.rootDir === undefined ? {} : { rootDir: options.rootDir }),
    ...(options.chrootDir === undefined ? {} : { chrootDir: options.chrootDir }),
  });
  const { toDaemonPath, downloadDir } = directories;
  const configDir = directories.dir;
  const daemonConfigDir = directories.daemonDir;
  const username = options.username ?? "peerpay";
  const password = options.password ?? randomBytes(12).toString("base64url");
  // Inside a fresh namespace every port is free; outside, ask the OS.
  const inNamespace = options.networkNamespace !== undefined;
  const randomPort = () => 20_000 + (randomBytes(2).readUInt16BE(0) % 40_000);
  const peerPort = options.peerPort ?? (inNamespace ? randomPort() : await findFreePort(options.bindAddress));
  const rpcPort =
    options.rpcPort ?? (inNamespace ? peerPort + 1 : await findFreePort(options.bindAddress, peerPort));
  await writeTransmissionSettings(configDir, {
    bindAddress: options.bindAddress,
    peerPort,
    rpcPort,
    username,
    password,
    downloadDir: toDaemonPath(downloadDir),
    uploadLimitKB: options.uploadLimitKB ?? 0,
    downloadLimitKB: options.downloadLimitKB ?? 0,
    rpcWhitelist: options.rpcWhitelist ?? "127.*.*.*",
    blocklistUrl: options.blocklistUrl ?? "",
    blocklistEnabled: options.blocklistEnabled ?? false,
    utpEnabled: options.utpEnabled ?? true,
    extra: options.extraSettings,
  });
  const baseUrl = `http://${options.bindAddress}:${rpcPort}/`;
  const rpcUrl = `${baseUrl}transmission/rpc`;
  const logPath = join(configDir, "transmission-daemon.out");
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const client = createRpcClient(rpcUrl, username, password);
  const executable = options.executable ?? "transmission-daemon";
  // chroot and `ip netns exec` both exec in place, so the PID is the daemon's.
  const daemonCommand = [
    ...(options.chrootDir === undefined ? [] : ["chroot", options.chrootDir]),
    executable,
    "-f",
    "-g",
    daemonConfigDir,
  ];
  const daemon = createDaemonProcess({
    name: "transmission-daemon",
    command: inNamespace ? "ip" : daemonCommand[0]!,
    args: inNamespace
      ? ["netns", "exec", options.networkNamespace!, ...daemonCommand]
      : daemonCommand.slice(1),
    env: { ...process.env, HOME: daemonConfigDir, LC_ALL: "C.UTF-8" },
    logPath,
    // Any HTTP answer (401, 409, 200) from the RPC endpoint means the daemon is up.
    waitUntilReady: () =>
      waitForHttpAnswer(
        rpcUrl,
        { method: "POST", body: '{"method":"session-get"}' },
        timeoutMs,
        "transmission RPC",
      ),
  });
  let stopped = false;

  await daemon.launch();
  return {
    rpcUrl,
    baseUrl,
    bindAddress: options.bindAddress,
    username,
    password,
    peerPort,
    rpcPort,
    get pid() {
      return daemon.pid;
    },
    configDir,
    downloadDir,
    logPath,
    toDaemonPath,
    rpc: client,
    async addTorrent(torrentFile, addOptions = {}) {
      const added = await client<{
        "torrent-added"?: AddedTransmissionTorrent;
        "torrent-duplicate"?: AddedTransmissionTorrent;
      }>("torrent-add", {
        metainfo: Buffer.from(torrentFile).toString("base64"),
        "download-dir": toDaemonPath(addOptions.downloadDir ?? downloadDir),
        paused: addOptions.paused ?? false,
      });
      const torrent = added["torrent-added"] ?? added["torrent-duplicate"];
      if (!torrent) throw new Error("transmission-daemon: torrent-add answered without a torrent");
      if (addOptions.labels?.length) {
        await client("torrent-set", { ids: [torrent.id], labels: [...addOptions.labels] });
      }
      return { id: torrent.id, hashString: torrent.hashString };
    },
    async readBlocklistRanges() {
      return readBlocklistBin(join(configDir, "blocklists", "blocklist.bin"));
    },
    async restart() {
      await daemon.halt();
      await daemon.launch();
    },
    kill: () => daemon.halt(),
    async start() {
      if (!daemon.running) await daemon.launch();
    },
    async stop(stopOptions) {
      if (stopped) return;
      stopped = true;
      await daemon.halt();
      if (!stopOptions?.keepFiles) await directories.remove();
    },
  };
}

/** A bare RPC client for test set-up: Basic auth, the 409 session-id handshake (twice at most). */
function createRpcClient(rpcUrl: string, username: string, password: string) {
  let sessionId = "";
  const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  return async <T = Record<string, unknown>>(
    method: string,
    args: Record<string, unknown> = {},
  ): Promise<T> => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await fetch(rpcUrl, {
        method: "POST",
        headers: {
          authorization,
          "x-transmission-session-id": sessionId,
          "content-type": "application/json",
        },
        body: JSON.stringify({ method, arguments: args }),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status === 409) {
        sessionId = response.headers.get("x-transmission-session-id") ?? "";
        await response.arrayBuffer();
        continue;
      }
      if (!response.ok) throw new Error(`transmission-daemon RPC ${method}: HTTP ${response.status}`);
      const body = (await response.json()) as { result?: string; arguments?: T };
      if (body.result !== "success") throw new Error(`transmission-daemon RPC ${method}: ${body.result}`);
      return (body.arguments ?? {}) as T;
    }
    throw new Error(`transmission-daemon RPC ${method}: session id rejected repeatedly`);
  };
}

/** 4.x's header; then {tr_address begin, tr_address end} pairs (see below). */
const BLOCKLIST_V3_PREFIX = "-tr-blocklist-file-format-v3-";

/** 3.00 stores the list as packed {uint32 begin, uint32 end} pairs in host (little-endian) order. */
async function readBlocklistBin(path: string): Promise<Array<{ start: string; end: string }>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return [];
  }
  if (bytes.subarray(0, BLOCKLIST_V3_PREFIX.length).toString("latin1") === BLOCKLIST_V3_PREFIX) {
    return readBlocklistV3(bytes.subarray(BLOCKLIST_V3_PREFIX.length));
  }
  const ranges: Array<{ start: string; end: string }> = [];
  for (let offset = 0; offset + 8 <= bytes.length; offset += 8) {
    ranges.push({ start: ipv4(bytes.readUInt32LE(offset)), end: ipv4(bytes.readUInt32LE(offset + 4)) });
  }
  return ranges;
}

function ipv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/**
 * 4.x (seen on 4.1.0-beta.2): each tr_address is 20 bytes, a uint32 type (0 = IPv4, 1 = IPv6) and
 * a 16-byte union whose first 4 bytes hold an IPv4 address in network order. IPv6 ranges are left out.
 */
function readBlocklistV3(records: Buffer): Array<{ start: string; end: string }> {
  const ranges: Array<{ start: string; end: string }> = [];
  for (let offset = 0; offset + 40 <= records.length; offset += 40) {
    if (records.readUInt32LE(offset) !== 0 || records.readUInt32LE(offset + 20) !== 0) continue;
    ranges.push({
      start: ipv4(records.readUInt32BE(offset + 4)),
      end: ipv4(records.readUInt32BE(offset + 24)),
    });
  }
  return ranges;
}
