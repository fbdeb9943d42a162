/**
 * Reads the daemon's version string ("3.00 (bb6b5a062e)", "4.0.6 (38c164933e)",
 * "4.1.0-beta.4 (…)") and declares what the bridge can do with it. The bridge branches on these
 * features, never on the version name.
 */

export interface TransmissionVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** e.g. ["beta", 4] for "4.1.0-beta.4"; empty for a release. */
  readonly prerelease: readonly (string | number)[];
}

export interface TransmissionFeatures {
  /** A blocklist update disconnects blocked peers that are already connected (4.1.0-beta.2+, PR #7167). */
  readonly blockDisconnects: boolean;
  /** Per-peer byte counter: none (≤ 4.1.0-beta.3) or `bytes_to_peer`, a 60-second window (4.1.0-beta.4+). */
  readonly peerByteCounter: "none" | "window-60s";
  /**
   * The RPC envelope the daemon understands: "legacy" (`{method, arguments}`, every version) or
   * also "json-rpc-2.0" (`rpc-version-semver` 6.0.0+, Transmission 4.1.0-beta.4 / 4.1.0). The
   * bridge speaks legacy, which every version still accepts; this is reported, not needed.
   */
  readonly rpcProtocol: "legacy" | "json-rpc-2.0";
  /**
   * What `peers[].port` means for an incoming peer: its listening port (3.00) or the remote end
   * of the socket, an ephemeral port (4.1; measured on 4.1.0-beta.2). With "socket", address and
   * port name the TCP connection itself, which is what an OS-level enforcer matches.
   */
  readonly incomingPeerPort: "listen" | "socket";
}

export function parseTransmissionVersion(text: string): TransmissionVersion | undefined {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.]+))?/.exec(text.trim());
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    // 3.00 spells the minor as "00" and has no patch; "2.94" is minor 94.
    patch: Number(match[3] ?? 0),
    prerelease: match[4] ? match[4].split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : part)) : [],
  };
}

/** Semver-style comparison (a prerelease sorts before its release). */
export function compareVersions(left: TransmissionVersion, right: TransmissionVersion): number {
  for (const key of ["major", "minor", "patch"] as const) {
    if (left[key] !== right[key]) return left[key] - right[key];
  }
  if (left.prerelease.length === 0 || right.prerelease.length === 0) {
    return right.prerelease.length - left.prerelease.length;
  }
  for (let index = 0; index < Math.max(left.prerelease.length, right.prerelease.length); index++) {
    const a = left.prerelease[index];
    const b = right.prerelease[index];
    if (a === undefined || b === undefined) return a === undefined ? -1 : 1;
    if (a === b) continue;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a) < String(b) ? -1 : 1;
  }
  return 0;
}

const disconnectsFrom = parseTransmissionVersion("4.1.0-beta.2")!;
const windowCounterFrom = parseTransmissionVersion("4.1.0-beta.4")!;
// The first version measured with it (3.00 reports the listening port; 4.0.x was not measured).
const socketPortFrom = parseTransmissionVersion("4.1.0-beta.2")!;

/**
 * `rpcVersionSemver` is session-get's `rpc-version-semver` (absent before 4.0): the RPC protocol is
 * read from it, not from the version name.
 */
export function transmissionFeatures(
  version: TransmissionVersion | undefined,
  rpcVersionSemver?: string,
): TransmissionFeatures {
  const rpcMajor = Number.parseInt(rpcVersionSemver ?? "", 10);
  const rpcProtocol = Number.isFinite(rpcMajor) && rpcMajor >= 6 ? "json-rpc-2.0" : "legacy";
  // An unreadable version gets the most conservative answers.
  if (!version)
    return { blockDisconnects: false, peerByteCounter: "none", rpcProtocol, incomingPeerPort: "listen" };
  return {
    blockDisconnects: compareVersions(version, disconnectsFrom) >= 0,
    peerByteCounter: compareVersions(version, windowCounterFrom) >= 0 ? "window-60s" : "none",
    rpcProtocol,
    incomingPeerPort: compareVersions(version, socketPortFrom) >= 0 ? "socket" : "listen",
  };
}
