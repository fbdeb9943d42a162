/**
 * Process plumbing for the regtest harness: free loopback ports, the cached binaries, starting a
 * daemon with its output in a log file, and stopping it by PID (SIGTERM, then SIGKILL).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface LndBinaries {
  readonly directory: string;
  readonly btcd: string;
  readonly btcctl: string;
  readonly lnd: string;
  readonly lncli: string;
}

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * Where scripts/lnd-build.sh puts the binaries: `$PEERPAY_LND_BIN_DIR` if set, else
 * `${PEERPAY_CACHE:-~/.cache/peerpay}/lnd-<lnd version>-btcd-v0.24.2`, the lnd version read from
 * test/lnd-harness/go.mod. Returns undefined (with the reason) when they are not all there.
 */
export function findLndBinaries(env: NodeJS.ProcessEnv = process.env): LndBinaries | { missing: string } {
  let directory = env.PEERPAY_LND_BIN_DIR;
  if (!directory) {
    const goMod = join(repositoryRoot, "test/lnd-harness/go.mod");
    if (!existsSync(goMod)) return { missing: `cannot find ${goMod} to read the lnd version` };
    const version = /^require github\.com\/lightningnetwork\/lnd (\S+)/m.exec(
      readFileSync(goMod, "utf8"),
    )?.[1];
    if (!version) return { missing: `no lnd requirement in ${goMod}` };
    const cache = env.PEERPAY_CACHE ?? join(homedir(), ".cache/peerpay");
    directory = join(cache, `lnd-${version}-btcd-v0.24.2`);
  }
  const binaries = {
    directory,
    btcd: join(directory, "btcd"),
    btcctl: join(directory, "btcctl"),
    lnd: join(directory, "lnd"),
    lncli: join(directory, "lncli"),
  };
  const absent = (["btcd", "btcctl", "lnd", "lncli"] as const).filter((name) => !existsSync(binaries[name]));
  if (absent.length > 0) {
    return { missing: `${absent.join(", ")} not built in ${directory}; run scripts/lnd-build.sh (needs Go)` };
  }
  return binaries;
}

/** A free TCP port on 127.0.0.1 (bound then released; the daemon binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startProcess(name: string, binary: string, args: string[], logPath: string): ManagedProcess {
  const log = openSync(logPath, "a");
  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", log, log] });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${binary}`);
  const pid = child.pid;
  const exited = new Promise<number | null>((resolveExit) => {
    child.once("exit", (code) => resolveExit(code));
    child.once("error", () => resolveExit(null));
  });
  let stopping: Promise<void> | undefined;
  return {
    name,
    pid,
    logPath,
    exited,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        process.kill(pid, "SIGTERM");
        const timer = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
        }, 15_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

export function run(binary: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(binary, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${binary} ${args.at(-1) ?? ""} failed: ${stderr || error.message}`));
      else resolveRun(stdout);
    });
  });
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason =
        lastError instanceof Error ? lastError.message : lastError ? JSON.stringify(lastError) : "";
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${reason ? ` (last error: ${reason})` : ""}`,
      );
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, intervalMs));
  }
}
