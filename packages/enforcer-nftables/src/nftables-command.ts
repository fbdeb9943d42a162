/**
 * Runs `nft` (optionally inside a network namespace, or through a wrapper such as `sudo -n`) with a
 * script on stdin, and turns its failures into PeerpayErrors: a missing binary is UNSUPPORTED, a
 * missing CAP_NET_ADMIN is BACKEND_PERMISSION_DENIED with how to grant it, anything else is
 * BACKEND_PROTOCOL_ERROR carrying nft's own message (nft scripts hold addresses only, no secrets).
 */
import { spawn } from "node:child_process";
import { PeerpayError } from "@peerpay/core";

export interface NftablesCommandOptions {
  /** Command that runs nft, default `["nft"]`; e.g. `["sudo", "-n", "nft"]`. */
  readonly command?: readonly string[];
  /** Run inside this network namespace (`ip netns exec <name> nft …`). */
  readonly netns?: string;
  /** Per call, default 10 s. */
  readonly timeoutMs?: number;
}

export type NftablesRunner = (args: readonly string[], stdin?: string) => Promise<string>;

export const capabilityHint =
  "the nftables enforcer needs CAP_NET_ADMIN: run peerpay as root, or grant it to the service " +
  "(systemd: AmbientCapabilities=CAP_NET_ADMIN and CapabilityBoundingSet=CAP_NET_ADMIN), or give nft " +
  "the capability (`sudo setcap cap_net_admin+ep $(command -v nft)`), or set the `command` option " +
  'to ["sudo", "-n", "nft"] with a sudoers rule for nft';

export function createNftablesRunner(options: NftablesCommandOptions = {}): NftablesRunner {
  const base = options.command ?? ["nft"];
  if (base.length === 0) {
    throw new PeerpayError("INVALID_CONFIG", "nftables enforcer: `command` must name a program");
  }
  const prefix = options.netns === undefined ? [] : ["ip", "netns", "exec", options.netns];
  const full = [...prefix, ...base];
  const timeoutMs = options.timeoutMs ?? 10_000;
  return (args, stdin) => runOnce(full, args, stdin, timeoutMs);
}

function runOnce(
  command: readonly string[],
  args: readonly string[],
  stdin: string | undefined,
  timeoutMs: number,
): Promise<string> {
  const [program, ...leading] = command as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(program, [...leading, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C" },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === "ENOENT"
          ? new PeerpayError(
              "UNSUPPORTED",
              `nftables enforcer: ${program} was not found; install nftables (Debian: apt-get install nftables)`,
              { cause: error },
            )
          : new PeerpayError("BACKEND_UNAVAILABLE", `nftables enforcer: could not run ${program}`, {
              cause: error,
            }),
      );
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString("utf8").trim();
      if (code === 0) {
        resolve(Buffer.concat(out).toString("utf8"));
        return;
      }
      if (signal === "SIGKILL") {
        reject(new PeerpayError("TIMEOUT", `nftables enforcer: nft did not finish within ${timeoutMs} ms`));
        return;
      }
      reject(classifyFailure(program, stderr, code));
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin ?? "");
  });
}

function classifyFailure(program: string, stderr: string, code: number | null): PeerpayError {
  const detail = stderr.split("\n").slice(0, 6).join(" | ") || `exit code ${code}`;
  if (/Operation not permitted|Permission denied|must be run as root|password is required/i.test(stderr)) {
    return new PeerpayError("BACKEND_PERMISSION_DENIED", `${capabilityHint} (nft said: ${detail})`, {
      retryable: false,
    });
  }
  if (/netns|Cannot open network namespace/i.test(stderr) && program === "ip") {
    return new PeerpayError(
      "INVALID_CONFIG",
      `nftables enforcer: cannot enter the network namespace: ${detail}`,
    );
  }
  if (/command not found|No such file or directory/i.test(stderr)) {
    return new PeerpayError(
      "UNSUPPORTED",
      `nftables enforcer: nft was not found; install nftables (Debian: apt-get install nftables): ${detail}`,
    );
  }
  return new PeerpayError("BACKEND_PROTOCOL_ERROR", `nftables enforcer: nft failed: ${detail}`);
}
