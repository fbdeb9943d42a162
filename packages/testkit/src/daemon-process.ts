/**
 * What the daemon harnesses share: launching a daemon with its output in a log file and waiting
 * until it answers, stopping it by PID (SIGTERM, then SIGKILL after 15 s), and free ports.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { daemonPathMapper, makeChrootTempDir } from "./debian-chroot.js";

export interface DaemonProcessOptions {
  /** For messages: "qbittorrent-nox", "transmission-daemon". */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** stdout and stderr go here (appended across restarts). */
  readonly logPath: string;
  /** Resolves once the daemon answers; rejects after its own timeout. */
  readonly waitUntilReady: () => Promise<void>;
}

export interface DaemonProcess {
  /** Starts the daemon and waits until it answers; on failure it is stopped and the log tail is in the error. */
  launch(): Promise<void>;
  /** Stops the running daemon by PID, if any. */
  halt(): Promise<void>;
  readonly running: boolean;
  /** -1 while stopped. */
  readonly pid: number;
}

export function createDaemonProcess(options: DaemonProcessOptions): DaemonProcess {
  let child: ChildProcess | undefined;
  return {
    async launch() {
      const log = createWriteStream(options.logPath, { flags: "a" });
      const process_ = spawn(options.command, [...options.args], {
        env: options.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      // Two sources into one file: neither may end it (the second would write after end).
      process_.stdout?.pipe(log, { end: false });
      process_.stderr?.pipe(log, { end: false });
      process_.once("close", () => log.end());
      child = process_;
      const exited = new Promise<never>((_, reject) => {
        process_.once("exit", (code, signal) =>
          reject(new Error(`${options.name} exited during start (code ${code}, signal ${signal})`)),
        );
        process_.once("error", reject);
      });
      exited.catch(() => undefined);
      try {
        await Promise.race([options.waitUntilReady(), exited]);
      } catch (error) {
        child = undefined;
        await terminate(process_);
        throw new Error(
          `${(error as Error).message}; see ${options.logPath}\n${await tail(options.logPath)}`,
        );
      }
    },
    async halt() {
      const current = child;
      child = undefined;
      if (current) await terminate(current);
    },
    get running() {
      return child !== undefined;
    },
    get pid() {
      return child?.pid ?? -1;
    },
  };
}

/** SIGTERM by PID, wait up to 15 s for exit, then SIGKILL. */
export async function terminate(child: ChildProcess): Promise<void> {
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

/** Polls `url` until any HTTP answer comes back (a 401/403/409 also means the daemon is up). */
export async function waitForHttpAnswer(
  url: string,
  init: RequestInit,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 120));
  }
  throw new Error(`${what} at ${url} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
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

export interface DaemonDirectories {
  /** The daemon's own config/profile dir on the host, with `downloads/` inside. */
  readonly dir: string;
  readonly downloadDir: string;
  /** `dir` as the daemon sees it (differs only inside a chroot). */
  readonly daemonDir: string;
  readonly toDaemonPath: (hostPath: string) => string;
  /** Removes what this harness created: the temp root it made, or only its own dir under a given root. */
  remove(): Promise<void>;
}

/** A fresh config dir for one daemon: under `rootDir`, under a temp dir, or inside the chroot. */
export async function prepareDaemonDirectories(options: {
  readonly prefix: string;
  readonly bindAddress: string;
  readonly rootDir?: string;
  readonly chrootDir?: string;
}): Promise<DaemonDirectories> {
  const ownsRoot = options.rootDir === undefined;
  const rootDir =
    options.rootDir ??
    (options.chrootDir === undefined
      ? await mkdtemp(join(tmpdir(), `peerpay-${options.prefix}-`))
      : await makeChrootTempDir(options.chrootDir, `${options.prefix}-`));
  const toDaemonPath = daemonPathMapper(options.chrootDir);
  const dir = join(rootDir, `${options.prefix}-${options.bindAddress}-${randomBytes(3).toString("hex")}`);
  const downloadDir = join(dir, "downloads");
  await mkdir(downloadDir, { recursive: true });
  return {
    dir,
    downloadDir,
    daemonDir: toDaemonPath(dir),
    toDaemonPath,
    remove: () => rm(ownsRoot ? rootDir : dir, { recursive: true, force: true }),
  };
}
