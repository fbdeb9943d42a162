/**
 * The settings.json a test transmission-daemon starts from: one loopback address for peers, RPC
 * and outgoing HTTP (tracker, blocklist), no DHT/LSD/PEX/UPnP, RPC behind Basic auth and an IP
 * whitelist, no queueing or seeding limits, and optional speed limits and blocklist settings.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface TransmissionSettingsValues {
  readonly bindAddress: string;
  readonly peerPort: number;
  readonly rpcPort: number;
  readonly username: string;
  readonly password: string;
  readonly downloadDir: string;
  /** kB/s (1 kB = 1000 B, Transmission's unit); 0 means unlimited. */
  readonly uploadLimitKB: number;
  readonly downloadLimitKB: number;
  /** Transmission whitelist syntax, e.g. "127.*.*.*". */
  readonly rpcWhitelist: string;
  readonly blocklistUrl: string;
  readonly blocklistEnabled: boolean;
  readonly utpEnabled: boolean;
  /** Extra raw settings merged last (they win). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export function transmissionSettings(values: TransmissionSettingsValues): Record<string, unknown> {
  return {
    "bind-address-ipv4": values.bindAddress,
    "bind-address-ipv6": "::1",
    "peer-port": values.peerPort,
    "peer-port-random-on-start": false,
    "port-forwarding-enabled": false,
    "dht-enabled": false,
    "lpd-enabled": false,
    "pex-enabled": false,
    "utp-enabled": values.utpEnabled,
    encryption: 1,
    "rpc-enabled": true,
    "rpc-bind-address": values.bindAddress,
    "rpc-port": values.rpcPort,
    "rpc-authentication-required": true,
    "rpc-username": values.username,
    "rpc-password": values.password,
    "rpc-whitelist-enabled": true,
    "rpc-whitelist": values.rpcWhitelist,
    "rpc-host-whitelist-enabled": false,
    "blocklist-enabled": values.blocklistEnabled,
    "blocklist-url": values.blocklistUrl,
    "speed-limit-up": values.uploadLimitKB,
    "speed-limit-up-enabled": values.uploadLimitKB > 0,
    "speed-limit-down": values.downloadLimitKB,
    "speed-limit-down-enabled": values.downloadLimitKB > 0,
    "alt-speed-enabled": false,
    "alt-speed-time-enabled": false,
    "download-dir": values.downloadDir,
    "incomplete-dir-enabled": false,
    "watch-dir-enabled": false,
    "start-added-torrents": true,
    "download-queue-enabled": false,
    "seed-queue-enabled": false,
    "queue-stalled-enabled": false,
    "ratio-limit-enabled": false,
    "idle-seeding-limit-enabled": false,
    "scrape-paused-torrents-enabled": false,
    "cache-size-mb": 4,
    "message-level": 2,
    "peer-limit-global": 60,
    "peer-limit-per-torrent": 20,
    ...values.extra,
  };
}

export async function writeTransmissionSettings(
  configDir: string,
  values: TransmissionSettingsValues,
): Promise<void> {
  await mkdir(configDir, { recursive: true });
  await writeFile(
    join(configDir, "settings.json"),
    `${JSON.stringify(transmissionSettings(values), null, 2)}\n`,
    { mode: 0o600 },
  );
}
