/**
 * Daemons from a Debian chroot: the test harnesses can start transmission-daemon and
 * qbittorrent-nox from the Debian 13 chroot that scripts/debian-chroot.sh builds (Transmission
 * 4.1, qBittorrent 5.1) instead of the host's packages. The chroot shares the host's network, so
 * the daemons still listen on 127.0.0.x; their config dirs must live inside the chroot, so the
 * harnesses create them under <chroot>/srv/peerpay-tests/ and hand the daemon the in-chroot path.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Where test dirs go inside a chroot (created on demand). */
export const CHROOT_TEST_DIR = "srv/peerpay-tests";

/** A fresh temp dir under <chroot>/srv/peerpay-tests/ (a host path). */
export async function makeChrootTempDir(chrootDir: string, prefix: string): Promise<string> {
  const parent = join(chrootDir, CHROOT_TEST_DIR);
  await mkdir(parent, { recursive: true });
  return mkdtemp(join(parent, prefix));
}

/** The path a daemon inside `chrootDir` sees for a host path; throws for a path outside the chroot. */
export function toChrootPath(chrootDir: string, hostPath: string): string {
  const inside = relative(resolve(chrootDir), resolve(hostPath));
  if (inside.startsWith("..") || isAbsolute(inside)) {
    throw new Error(`${hostPath} is outside the chroot ${chrootDir}; the daemon could not reach it`);
  }
  return `/${inside}`;
}

/** Maps host paths to what the daemon sees: identity without a chroot. */
export function daemonPathMapper(chrootDir: string | undefined): (hostPath: string) => string {
  return chrootDir === undefined ? (hostPath) => hostPath : (hostPath) => toChrootPath(chrootDir, hostPath);
}

export type DebianChroot =
  | { readonly available: true; readonly dir: string; readonly buildLog: string }
  | { readonly available: false; readonly reason: string };

export interface EnsureDebianChrootOptions {
  /** Default: scripts/debian-chroot.sh of this checkout. */
  readonly script?: string;
  /** A cold build takes about a minute; default 10 min. */
  readonly timeoutMs?: number;
}

let pending: Promise<DebianChroot> | undefined;

/**
 * Runs scripts/debian-chroot.sh (a no-op when the cached chroot exists) and reports the chroot dir,
 * or why there is none (not root, no mirror, …): tests skip with that reason. Once per process.
 */
export function ensureDebianChroot(options: EnsureDebianChrootOptions = {}): Promise<DebianChroot> {
  // Running a daemon with chroot needs CAP_SYS_CHROOT even when the chroot is already built.
  if (process.getuid?.() !== 0) {
    return Promise.resolve({ available: false, reason: "running daemons with chroot needs root" });
  }
  pending ??= new Promise<DebianChroot>((resolvePromise) => {
    const script =
      options.script ?? fileURLToPath(new URL("../../../scripts/debian-chroot.sh", import.meta.url));
    execFile(
      "bash",
      [script],
      { timeout: options.timeoutMs ?? 600_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        const lines = stderr.trim().split("\n").filter(Boolean);
        const dir = stdout.trim().split("\n").pop() ?? "";
        if (error || dir === "") {
          const reason =
            lines.pop() ?? (error ? error.message : "scripts/debian-chroot.sh printed no directory");
          resolvePromise({ available: false, reason: reason.replace(/^debian-chroot: /, "") });
          return;
        }
        resolvePromise({ available: true, dir, buildLog: lines.join("\n") });
      },
    );
  });
  return pending;
}
