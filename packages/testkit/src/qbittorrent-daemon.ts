/**
 * Starts a real qbittorrent-nox (Debian's 4.5.2 here) for tests: its own profile dir under a temp
 * dir, one loopback address for peers and the WebUI, free ports, a preset WebUI password, and a
 * stop() that ends the process by its PID and waits for it to exit.
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
import { type QbittorrentConfigValues, writeQbittorrentConfig } from "./qbittorrent-daemon-config.js";

export interface QbittorrentDaemonOptions {
  /** Loopback address the daemon listens on, dials from, and serves its WebUI on, e.g. "127.0.0.3". */
  readonly bindAddress: string;
  /** Default "admin". */
  readonly username?: string;
  /** Default: a random password. */
  readonly password?: string;
  /** Default: free ports on `bindAddress`. */
  readonly peerPort?: number;
  readonly webUiPort?: number;
  /** KiB/s, default 0 (unlimited). Keep tests lean: set one. */
  readonly uploadLimitKiB?: number;
  readonly downloadLimitKiB?: number;
  /** CIDR list that may use the WebUI without a login, e.g. "127.0.0.0/8". Default: none. */
  readonly authSubnetWhitelist?: string;
  /** Bypass login for exactly 127.0.0.1 / ::1. Default false. */
  readonly localHostAuthBypass?: boolean;
  /** Failed logins before the WebUI bans the caller's IP for an hour. Default 5 (qBittorrent's). */
  readonly maxAuthFailCount?: number;
  /** Parent of the profile dir; default a new dir under the OS temp dir (removed on stop). */
  readonly rootDir?: string;
  /** Extra raw qBittorrent.conf lines per section. */
  readonly extraConfig?: QbittorrentConfigValues["extra"];
  /** How long to wait for the WebUI to answer, default 30 s. */
  readonly startTimeoutMs?: number;
  /** Executable, default "qbittorrent-nox". */
  readonly executable?: string;
  /**
   * Run `executable` inside this chroot (`chroot <dir> qbittorrent-nox …`, root only; see
   * scripts/debian-chroot.sh). The profile dir is then created under <dir>/srv/peerpay-tests/ (or
   * `rootDir`, which must be inside the chroot) and the daemon gets the in-chroot paths.
   */
  readonly chrootDir?: string;
}

export interface QbittorrentDaemon {
  /** "http://<bindAddress>:<webUiPort>/" */
  readonly baseUrl: string;
  readonly bindAddress: string;
  readonly username: string;
  readonly password: string;
  readonly peerPort: number;
  readonly webUiPort: number;
  /** PID of the running process (changes after `restart()`). */
  readonly pid: number;
  readonly profileDir: string;
  readonly downloadDir: string;
  /** stdout/stderr of the process, for diagnosing a failed start. */
  readonly logPath: string;
  /** The path the daemon sees for a host path (differs only with `chrootDir`; e.g. for `savepath`). */
  toDaemonPath(hostPath: string): string;
  /** qBittorrent's own log (e.g. "WebAPI login failure … attempt count: N"), "" if not written yet. */
  readApplicationLog(): Promise<string>;
  /** Stops the process (keeps the profile) and starts it again on the same ports. */
  restart(): Promise<void>;
  /** Stops the process without deleting anything (for "WebUI down" tests); `start()` brings it back. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Stops by PID, waits for exit, removes the temp dir (unless `keepFiles`). Idempotent. */
  stop(options?: { keepFiles?: boolean }): Promise<void>;
}

export async function startQbittorrentDaemon(options: QbittorrentDaemonOptions): Promise<QbittorrentDaemon> {
  const directories = await prepareDaemonDirectories({
    prefix: "qbt",
    bindAddress: options.bindAddress,
    ...(options.rootDir === undefined ? {} : { rootDir: options.rootDir }),
    ...(options.chrootDir === undefined ? {} : { chrootDir: options.chrootDir }),
  });
  const { toDaemonPath, downloadDir } = directories;
  const profileDir = directories.dir;
  const daemonProfileDir = directories.daemonDir;
  const username = options.username ?? "admin";
  const password = options.password ?? randomBytes(12).toString("base64url");
  const peerPort = options.peerPort ?? (await findFreePort(options.bindAddress));
  const webUiPort = options.webUiPort ?? (await findFreePort(options.bindAddress, peerPort));
  await writeQbittorrentConfig(profileDir, {
    bindAddress: options.bindAddress,
    peerPort,
    webUiPort,
    username,
    password,
    downloadDir: toDaemonPath(downloadDir),
    uploadLimitKiB: options.uploadLimitKiB ?? 0,
    downloadLimitKiB: options.downloadLimitKiB ?? 0,
    authSubnetWhitelist: options.authSubnetWhitelist,
    localHostAuthBypass: options.localHostAuthBypass ?? false,
    maxAuthFailCount: options.maxAuthFailCount ?? 5,
    extra: options.extraConfig,
  });
  const baseUrl = `http://${options.bindAddress}:${webUiPort}/`;
  const logPath = join(profileDir, "qbittorrent-nox.out");
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const executable = options.executable ?? "qbittorrent-nox";
  const profileArgument = `--profile=${daemonProfileDir}`;
  const daemon = createDaemonProcess({
    name: "qbittorrent-nox",
    // chroot execs in place (the environment passes through), so the PID is the daemon's.
    command: options.chrootDir === undefined ? executable : "chroot",
    args:
      options.chrootDir === undefined ? [profileArgument] : [options.chrootDir, executable, profileArgument],
    env: { ...process.env, HOME: daemonProfileDir, LC_ALL: "C.UTF-8", QT_QPA_PLATFORM: "offscreen" },
    logPath,
    // Any HTTP answer from the WebUI (200, or 403 before login) means it is up.
    waitUntilReady: () =>
      waitForHttpAnswer(`${baseUrl}api/v2/app/version`, {}, timeoutMs, "qBittorrent WebUI"),
  });
  let stopped = false;

  try {
    await daemon.launch();
  } catch (error) {
    await directories.remove();
    throw error;
  }
  return {
    baseUrl,
    bindAddress: options.bindAddress,
    username,
    password,
    peerPort,
    webUiPort,
    get pid() {
      return daemon.pid;
    },
    profileDir,
    downloadDir,
    logPath,
    toDaemonPath,
    readApplicationLog: () =>
      readFile(join(profileDir, "qBittorrent", "data", "logs", "qbittorrent.log"), "utf8").catch(() => ""),
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
