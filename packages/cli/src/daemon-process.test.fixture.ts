/**
 * Test support (not shipped): runs the built `peerpay` binary as a child process, waits for lines
 * it prints, stops it by PID, and reads the pino log file it wrote.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const peerpayBin = fileURLToPath(new URL("../dist/peerpay-bin.js", import.meta.url));

export interface PeerpayProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

export function startPeerpay(args: readonly string[], environment: NodeJS.ProcessEnv = {}): PeerpayProcess {
  const child = spawn(process.execPath, [peerpayBin, ...args], {
    env: { ...process.env, ...environment },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const match = out.match(pattern);
        if (match) return match;
        if (child.exitCode !== null) break;
        await sleep(100);
      }
      throw new Error(
        `peerpay did not print ${pattern} (exit ${child.exitCode})\nstdout:\n${out}\nstderr:\n${err}`,
      );
    },
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null) return child.exitCode;
      if (child.pid) process.kill(child.pid, "SIGTERM");
      const timer = setTimeout(() => {
        if (child.pid && child.exitCode === null) process.kill(child.pid, "SIGKILL");
      }, timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs `peerpay <args>` to completion. */
export async function runPeerpay(
  args: readonly string[],
  environment: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startPeerpay(args, environment);
  const code = await new Promise<number | null>((resolve) =>
    run.child.once("exit", (value) => resolve(value)),
  );
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

export interface LogLine {
  readonly time: number;
  readonly msg: string;
  readonly event?: string;
  readonly peer?: string;
  readonly [key: string]: unknown;
}

export function readLog(path: string): LogLine[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as LogLine);
}

/** For each unblock, the time since the latest settlement credited to that peer before it. */
export function settleToUnblockMs(lines: readonly LogLine[]): number[] {
  const lastSettled = new Map<string, number>();
  const latencies: number[] = [];
  for (const line of lines) {
    if (!line.peer) continue;
    if (line.event === "settled") lastSettled.set(line.peer, line.time);
    if (line.event === "unblock") {
      const settled = lastSettled.get(line.peer);
      if (settled !== undefined) latencies.push(line.time - settled);
      lastSettled.delete(line.peer);
    }
  }
  return latencies;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

export async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, address, () => {
      const bound = server.address();
      server.close(() => resolve(typeof bound === "object" && bound ? bound.port : 0));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
