/**
 * Starts a real qbittorrent-nox (Debian's 4.5.2 here) for tests: its own profile dir under a temp
 * dir, one loopback address for peers and the WebUI, free ports, a preset WebUI password, and a
 * stop() that ends the process by its PID and waits for it to exit.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  const ownsRoot = options.rootDir === undefined;
  const rootDir = options.rootDir ?? (await mkdtemp(join(tmpdir(), "peerpay-qbt-")));
  const profileDir = join(rootDir, `qbt-${options.bindAddress}-${randomBytes(3).toString("hex")}`);
  const downloadDir = join(profileDir, "downloads");
  await mkdir(downloadDir, { recursive: true });
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
    downloadDir,
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
  let child: ChildProcess | undefined;
  let stopped = false;

  const launch = async (): Promise<void> => {
    const log = createWriteStream(logPath, { flags: "a" });
    const process_ = spawn(options.executable ?? "qbittorrent-nox", [`--profile=${profileDir}`], {
      env: { ...process.env, HOME: profileDir, LC_ALL: "C.UTF-8", QT_QPA_PLATFORM: "offscreen" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    process_.stdout?.pipe(log);
    process_.stderr?.pipe(log);
    child = process_;
    const exited = new Promise<never>((_, reject) => {
      process_.once("exit", (code, signal) =>
        reject(
          new Error(`qbittorrent-nox exited during start (code ${code}, signal ${signal}); see ${logPath}`),
        ),
      );
      process_.once("error", reject);
    });
    exited.catch(() => undefined);
    try {
      await Promise.race([waitForWebUi(baseUrl, timeoutMs), exited]);
    } catch (error) {
      await terminate(process_);
      throw new Error(`${(error as Error).message}\n${await tail(logPath)}`);
    }
  };

  const halt = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (current) await terminate(current);
  };

  try {
    await launch();
  } catch (error) {
    await rm(ownsRoot ? rootDir : profileDir, { recursive: true, force: true });
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
      return child?.pid ?? -1;
    },
    profileDir,
    downloadDir,
    logPath,
    readApplicationLog: () =>
      readFile(join(profileDir, "qBittorrent", "data", "logs", "qbittorrent.log"), "utf8").catch(() => ""),
    async restart() {
      await halt();
      await launch();
    },
    kill: halt,
    async start() {
      if (!child) await launch();
    },
    async stop(stopOptions) {
      if (stopped) return;
      stopped = true;
      await halt();
      if (!stopOptions?.keepFiles)
        await rm(ownsRoot ? rootDir : profileDir, { recursive: true, force: true });
    },
  };
}

/** SIGTERM by PID, wait up to 15 s for exit, then SIGKILL. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(child.pid, "SIGTERM");
  const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000).unref());
  const done = await Promise.race([exited.then(() => true), timer]);
  if (!done && child.exitCode === null && child.signalCode === null) {
    process.kill(child.pid, "SIGKILL");
    await exited;
  }
}

/** Any HTTP answer from the WebUI (200, or 403 before login) means it is up. */
async function waitForWebUi(baseUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseUrl}api/v2/app/version`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(
    `qBittorrent WebUI at ${baseUrl} did not answer within ${timeoutMs} ms: ${String(lastError)}`,
  );
}

/** A port that was free on `address` a moment ago (the OS picks it). */
export async function findFreePort(address: string, avoid?: number): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, address, () => {
        const bound = server.address();
        server.close(() => resolve(typeof bound === "object" && bound ? bound.port : 0));
      });
    });
    if (port !== 0 && port !== avoid) return port;
  }
  throw new Error(`no free port found on ${address}`);
}

async function tail(path: string): Promise<string> {
  try {
    return (await readFile(path, "utf8")).slice(-2_000);
  } catch {
    return "";
  }
}
