/**
 * Writes the qBittorrent.conf a test daemon starts from: legal notice accepted, one loopback
 * address for listening and outgoing connections, no DHT/LSD/PeX/UPnP, queueing off, and a preset
 * WebUI password stored the way qBittorrent 4.2+ stores it (PBKDF2-HMAC-SHA512, 100 000
 * iterations, 16-byte salt, 64-byte key).
 */
import { pbkdf2, randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);

export interface QbittorrentConfigValues {
  readonly bindAddress: string;
  readonly peerPort: number;
  readonly webUiPort: number;
  readonly username: string;
  readonly password: string;
  readonly downloadDir: string;
  /** KiB/s; 0 means unlimited. */
  readonly uploadLimitKiB: number;
  readonly downloadLimitKiB: number;
  /** CIDR list that may use the WebUI without logging in (e.g. "127.0.0.0/8"); none by default. */
  readonly authSubnetWhitelist?: string;
  /** qBittorrent's "bypass authentication for clients on localhost" (exactly 127.0.0.1 and ::1). */
  readonly localHostAuthBypass: boolean;
  readonly maxAuthFailCount: number;
  /** Extra raw lines per section, e.g. { BitTorrent: ["Session\\MaxConnections=50"] }. */
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** The `WebUI\Password_PBKDF2` value for a password, as qBittorrent 4.2+ writes it. */
export async function hashQbittorrentPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await pbkdf2Async(password, salt, 100_000, 64, "sha512");
  return `"@ByteArray(${salt.toString("base64")}:${key.toString("base64")})"`;
}

/** Path of qBittorrent.conf inside a `--profile` directory. */
export function qbittorrentConfigPath(profileDir: string): string {
  return join(profileDir, "qBittorrent", "config", "qBittorrent.conf");
}

export async function writeQbittorrentConfig(
  profileDir: string,
  values: QbittorrentConfigValues,
): Promise<void> {
  const passwordHash = await hashQbittorrentPassword(values.password);
  const sections: Record<string, string[]> = {
    LegalNotice: ["Accepted=true"],
    BitTorrent: [
      `Session\\InterfaceAddress=${values.bindAddress}`,
      "Session\\Interface=",
      "Session\\InterfaceName=",
      `Session\\Port=${values.peerPort}`,
      "Session\\DHTEnabled=false",
      "Session\\LSDEnabled=false",
      "Session\\PeXEnabled=false",
      "Session\\QueueingSystemEnabled=false",
      "Session\\AddTorrentPaused=false",
      "Session\\TempPathEnabled=false",
      `Session\\DefaultSavePath=${values.downloadDir}`,
      `Session\\GlobalUPSpeedLimit=${values.uploadLimitKiB}`,
      `Session\\GlobalDLSpeedLimit=${values.downloadLimitKiB}`,
      "Session\\AnonymousModeEnabled=false",
    ],
    Preferences: [
      "Connection\\ResolvePeerCountries=false",
      "Connection\\UPnP=false",
      "General\\Locale=en",
      `Downloads\\SavePath=${values.downloadDir}`,
      `WebUI\\Address=${values.bindAddress}`,
      `WebUI\\Port=${values.webUiPort}`,
      "WebUI\\UseUPnP=false",
      "WebUI\\CSRFProtection=true",
      "WebUI\\HostHeaderValidation=false",
      `WebUI\\Username=${values.username}`,
      `WebUI\\Password_PBKDF2=${passwordHash}`,
      `WebUI\\LocalHostAuth=${values.localHostAuthBypass ? "false" : "true"}`,
      `WebUI\\AuthSubnetWhitelistEnabled=${values.authSubnetWhitelist ? "true" : "false"}`,
      `WebUI\\AuthSubnetWhitelist=${values.authSubnetWhitelist ?? "@Invalid()"}`,
      `WebUI\\MaxAuthenticationFailCount=${values.maxAuthFailCount}`,
      "WebUI\\BanDuration=3600",
    ],
  };
  for (const [section, lines] of Object.entries(values.extra ?? {})) {
    sections[section] = [...(sections[section] ?? []), ...lines];
  }
  const text = Object.entries(sections)
    .map(([section, lines]) => `[${section}]\n${lines.join("\n")}\n`)
    .join("\n");
  const path = qbittorrentConfigPath(profileDir);
  await mkdir(join(profileDir, "qBittorrent", "config"), { recursive: true });
  await writeFile(path, text, { mode: 0o600 });
}
