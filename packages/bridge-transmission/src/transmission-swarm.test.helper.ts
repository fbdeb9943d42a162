/**
 * Test set-up shared by the integration tests and the latency benchmark: a real
 * transmission-daemon seeding real torrents on 127.0.0.2, real qbittorrent-nox downloaders on
 * their own loopback addresses that dial into it (`torrents/addPeers`; Transmission never dials
 * 127.x peers), and the "user's own" blocklist served over HTTP the way a user would host one.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BridgeConformanceFixture,
  createQbittorrentTestClient,
  createTestTorrent,
  type QbittorrentDaemon,
  type QbittorrentTestClient,
  startQbittorrentDaemon,
  startTransmissionDaemon,
  type TestTorrent,
  type TransmissionDaemon,
} from "@peerpay/testkit";
import {
  createTransmissionBridge,
  type TransmissionBridge,
  type TransmissionBridgeOptions,
} from "./index.js";

export interface UserBlocklist {
  readonly url: string;
  readonly entries: Set<string>;
  close(): Promise<void>;
}

export interface Downloader {
  readonly daemon: QbittorrentDaemon;
  readonly client: QbittorrentTestClient;
  readonly address: string;
}

export interface Swarm {
  readonly rootDir: string;
  readonly seeder: TransmissionDaemon;
  readonly downloaders: Downloader[];
  readonly torrents: TestTorrent[];
  readonly userBlocklist: UserBlocklist;
  readonly stateFile: string;
  readonly warnings: string[];
  createBridge(overrides?: Partial<TransmissionBridgeOptions>): TransmissionBridge;
  /** The downloader adds the torrent (once) and dials the seeder until the seeder lists it. */
  connect(downloader: Downloader, torrent: TestTorrent): Promise<void>;
  /** Waits until the downloader's count from the seeder grows (Transmission unchokes every ~10 s). */
  waitForBytes(downloader: Downloader, torrent: TestTorrent, timeoutMs?: number): Promise<number>;
  /** Bytes this downloader received from the seeder on this torrent (its per-peer counter). */
  received(downloader: Downloader, torrent: TestTorrent): Promise<number>;
  seederPeers(torrent: TestTorrent): Promise<string[]>;
  stop(): Promise<void>;
}

export interface SwarmOptions {
  readonly torrents: number;
  readonly sizeBytes: number;
  readonly downloaders: readonly string[];
  /** Seeder upload limit, kB/s (1000 B). */
  readonly uploadLimitKB: number;
  readonly labels?: readonly string[];
  /** The user's own blocklist entries at start. */
  readonly userEntries?: readonly string[];
  /** Run the seeder from this Debian chroot (scripts/debian-chroot.sh) instead of the host's package. */
  readonly chrootDir?: string;
}

export const SEEDER_ADDRESS = "127.0.0.2";

export async function startSwarm(options: SwarmOptions): Promise<Swarm> {
  // A chroot daemon only sees files inside the chroot: the whole swarm lives there then.
  const parent = options.chrootDir ? join(options.chrootDir, "srv", "peerpay-tests") : tmpdir();
  await mkdir(parent, { recursive: true });
  const rootDir = await mkdtemp(join(parent, "peerpay-trswarm-"));
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const userBlocklist = await startUserBlocklist(options.userEntries ?? []);
    cleanups.push(() => userBlocklist.close());
    const seeder = await startTransmissionDaemon({
      bindAddress: SEEDER_ADDRESS,
      rootDir,
      uploadLimitKB: options.uploadLimitKB,
      // TCP only: uTP between Transmission 3.00 and libtorrent 2.0.8 stalled in the research runs.
      utpEnabled: false,
      blocklistUrl: userBlocklist.url,
      blocklistEnabled: true,
      ...(options.chrootDir ? { chrootDir: options.chrootDir } : {}),
    });
    cleanups.push(() => seeder.stop());
    await seeder.rpc("blocklist-update");
    const torrents: TestTorrent[] = [];
    for (let index = 0; index < options.torrents; index++) {
      const torrent = await createTestTorrent({
        directory: seeder.downloadDir,
        name: `swarm-${index}.bin`,
        sizeBytes: options.sizeBytes,
      });
      await seeder.addTorrent(torrent.torrentFile, { labels: options.labels ?? ["peerpay"] });
      torrents.push(torrent);
    }
    const downloaders: Downloader[] = [];
    for (const address of options.downloaders) {
      const daemon = await startQbittorrentDaemon({
        bindAddress: address,
        rootDir,
        extraConfig: { BitTorrent: ["Session\\BTProtocol=TCP"] },
      });
      cleanups.push(() => daemon.stop());
      const client = createQbittorrentTestClient({
        baseUrl: daemon.baseUrl,
        username: daemon.username,
        password: daemon.password,
      });
      downloaders.push({ daemon, client, address });
    }
    await waitFor("seeder to verify its torrents", 30_000, async () => {
      const answer = await seeder.rpc<{ torrents: Array<{ status: number }> }>("torrent-get", {
        fields: ["status"],
      });
      return answer.torrents.every((torrent) => torrent.status === 6);
    });
    const stateFile = join(rootDir, "bridge-state.json");
    const warnings: string[] = [];
    const added = new Set<string>();

    const seederPeers = async (torrent: TestTorrent): Promise<string[]> => {
      const answer = await seeder.rpc<{ torrents: Array<{ peers: Array<{ address: string }> }> }>(
        "torrent-get",
        {
          ids: [torrent.infohash],
          fields: ["peers"],
        },
      );
      return (answer.torrents[0]?.peers ?? []).map((peer) => peer.address);
    };

    const received = async (downloader: Downloader, torrent: TestTorrent): Promise<number> => {
      const peers = await downloader.client.listPeers(torrent.infohash);
      return Object.values(peers)
        .filter((peer) => peer.ip === SEEDER_ADDRESS)
        .reduce((sum, peer) => sum + peer.downloaded, 0);
    };

    return {
      rootDir,
      seeder,
      downloaders,
      torrents,
      userBlocklist,
      stateFile,
      warnings,
      createBridge: (overrides = {}) =>
        createTransmissionBridge({
          baseUrl: seeder.baseUrl,
          username: seeder.username,
          password: seeder.password,
          stateFile,
          onWarning: (message) => warnings.push(message),
          ...overrides,
        }),
      async connect(downloader, torrent) {
        const key = `${downloader.address}/${torrent.infohash}`;
        if (!added.has(key)) {
          await downloader.client.addTorrent(torrent.torrentFile);
          added.add(key);
        }
        const endpoint = `${SEEDER_ADDRESS}:${seeder.peerPort}`;
        let lastDial = 0;
        await waitFor(`${downloader.address} to connect to the seeder`, 40_000, async () => {
          if ((await seederPeers(torrent)).includes(downloader.address)) return true;
          if (Date.now() - lastDial > 5_000) {
            lastDial = Date.now();
            await downloader.client.addPeers(torrent.infohash, [endpoint]).catch(() => undefined);
          }
          return false;
        });
      },
      async waitForBytes(downloader, torrent, timeoutMs = 40_000) {
        const before = await received(downloader, torrent);
        return waitFor(`bytes from the seeder to ${downloader.address}`, timeoutMs, async () => {
          return (await received(downloader, torrent)) > before;
        });
      },
      received,
      seederPeers,
      async stop() {
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
        await rm(rootDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await rm(rootDir, { recursive: true, force: true });
    throw error;
  }
}

/** The user's own blocklist, hosted the way users host one: P2P text over HTTP. */
export async function startUserBlocklist(initial: readonly string[]): Promise<UserBlocklist> {
  const entries = new Set(initial);
  const server: Server = createServer((request, response) => {
    if (request.url !== "/my-list.p2p") {
      response.writeHead(404).end();
      return;
    }
    // A range of the user's own (TEST-NET-3) keeps the list non-empty, as real lists are.
    const lines = [
      "my own range:203.0.113.0-203.0.113.255",
      ...[...entries].map((address) => `my own rule:${address}-${address}`),
    ];
    response.writeHead(200, { "content-type": "text/plain" }).end(`${lines.join("\n")}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/my-list.p2p`,
    entries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `check` every 200 ms until it returns true; bounded by `timeoutMs` and 1000 rounds. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<number> {
  const started = Date.now();
  for (let round = 0; round < 1000 && Date.now() - started < timeoutMs; round++) {
    if (await check()) return Date.now() - started;
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Single-address ranges in the daemon's compiled blocklist. */
export async function daemonBlockedAddresses(seeder: TransmissionDaemon): Promise<string[]> {
  return (await seeder.readBlocklistRanges())
    .filter((range) => range.start === range.end)
    .map((range) => range.start);
}

/**
 * The shared conformance fixture: a seeder on 127.0.0.2 (from the chroot when `chrootDir` is set)
 * seeding 24 MiB at 500 kB/s to one qBittorrent downloader that dialled in. The user's own
 * blocklist is an HTTP-hosted P2P list; "what the client holds" is read from blocklist.bin.
 */
export function conformanceFixture(
  name: string,
  options: { readonly downloaderAddress: string; readonly chrootDir?: string },
): BridgeConformanceFixture {
  const labels = ["peerpay", "price:1000"];
  return {
    name,
    trafficWindowMs: 4000,
    async setup() {
      const swarm: Swarm = await startSwarm({
        torrents: 1,
        sizeBytes: 24 * 1024 * 1024,
        downloaders: [options.downloaderAddress],
        uploadLimitKB: 500,
        labels,
        ...(options.chrootDir ? { chrootDir: options.chrootDir } : {}),
      });
      const [downloader] = swarm.downloaders;
      const [torrent] = swarm.torrents;
      await swarm.connect(downloader!, torrent!);
      await swarm.waitForBytes(downloader!, torrent!);
      return {
        client: "transmission",
        createBridge: async () => swarm.createBridge(),
        createBridgeWithPassword: async (password) => swarm.createBridge({ password }),
        seededTorrent: { infohash: torrent!.infohash, labels },
        downloaderAddress: downloader!.address,
        downloaderReceivedBytes: () => swarm.received(downloader!, torrent!),
        async addUserBlockEntry(address) {
          // The user edits their hosted list and presses "update" in their client.
          swarm.userBlocklist.entries.add(address);
          await swarm.seeder.rpc("blocklist-update");
        },
        async readUserBlockEntries() {
          const held = new Set(await daemonBlockedAddresses(swarm.seeder));
          return [...swarm.userBlocklist.entries].filter((address) => held.has(address));
        },
        spareAddresses: ["198.51.100.7", "198.51.100.8"],
        teardown: () => swarm.stop(),
      };
    },
  };
}
