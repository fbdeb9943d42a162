/**
 * The two torrent clients of the demo behind one small shape: start one on its own loopback
 * address, seed or download a torrent, read what it counted, stop it by PID.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import type { PeerEndpoint } from "@peerpay/core";
import type {
  createQbittorrentTestClient,
  startQbittorrentDaemon,
  startTransmissionDaemon,
  TestTorrent,
} from "@peerpay/testkit/daemons";

export type DemoClient = "transmission" | "qbittorrent";

export interface DemoPeer {
  readonly client: DemoClient;
  readonly address: string;
  readonly peerPort: number;
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  describe(): string;
  seed(torrent: TestTorrent, labels: readonly string[]): Promise<void>;
  /** Adds the torrent to download (waits until the client knows it). */
  download(torrent: TestTorrent): Promise<void>;
  /** Asks this client to dial a peer (false when it cannot: Transmission has no such RPC). */
  dial(infohash: string, peer: PeerEndpoint): Promise<boolean>;
  /** The client's own counters for the torrent. */
  counters(infohash: string): Promise<{ uploaded: number; downloaded: number; progress: number }>;
  /** SHA-256 of the downloaded file. */
  contentSha256(torrent: TestTorrent): Promise<string>;
  stop(): Promise<void>;
}

export interface DemoPeerOptions {
  readonly role: "seller" | "buyer";
  readonly address: string;
  readonly directory: string;
  readonly uploadLimitKB?: number;
  readonly startTransmissionDaemon: typeof startTransmissionDaemon;
  readonly startQbittorrentDaemon: typeof startQbittorrentDaemon;
  readonly createQbittorrentTestClient: typeof createQbittorrentTestClient;
}

export async function startDemoPeer(client: DemoClient, options: DemoPeerOptions): Promise<DemoPeer> {
  const rootDir = join(options.directory, `${options.role}-${client}`);
  if (client === "transmission") {
    const daemon = await options.startTransmissionDaemon({
      bindAddress: options.address,
      rootDir,
      ...(options.uploadLimitKB ? { uploadLimitKB: options.uploadLimitKB } : {}),
    });
    let torrentId = 0;
    return {
      client,
      address: options.address,
      peerPort: daemon.peerPort,
      baseUrl: daemon.baseUrl,
      username: daemon.username,
      password: daemon.password,
      describe: () => `transmission-daemon on ${options.address} (pid ${daemon.pid})`,
      async seed(torrent, labels) {
        torrentId = (
          await daemon.addTorrent(torrent.torrentFile, { downloadDir: torrent.contentDir, labels })
        ).id;
      },
      async download(torrent) {
        torrentId = (await daemon.addTorrent(torrent.torrentFile)).id;
      },
      dial: async () => false,
      async counters() {
        const answer = await daemon.rpc<{
          torrents: { uploadedEver: number; downloadedEver: number; percentDone: number }[];
        }>("torrent-get", { ids: [torrentId], fields: ["uploadedEver", "downloadedEver", "percentDone"] });
        const torrent = answer.torrents[0];
        return {
          uploaded: torrent?.uploadedEver ?? 0,
          downloaded: torrent?.downloadedEver ?? 0,
          progress: torrent?.percentDone ?? 0,
        };
      },
      contentSha256: (torrent) => sha256File(join(daemon.downloadDir, torrent.name)),
      stop: () => daemon.stop({ keepFiles: true }),
    };
  }

  const daemon = await options.startQbittorrentDaemon({
    bindAddress: options.address,
    rootDir,
    ...(options.uploadLimitKB ? { uploadLimitKiB: Math.round((options.uploadLimitKB * 1000) / 1024) } : {}),
  });
  const api = options.createQbittorrentTestClient({
    baseUrl: daemon.baseUrl,
    username: daemon.username,
    password: daemon.password,
  });
  // A torrent needs a moment to be known before peers can be added to it.
  const waitUntilKnown = async (infohash: string) => {
    for (let attempt = 0; attempt < 50 && !(await api.getTorrent(infohash)); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const dial = async (infohash: string, peer: PeerEndpoint) => {
    await api.addPeers(infohash, [`${peer.address}:${peer.port}`]);
    return true;
  };
  return {
    client,
    address: options.address,
    peerPort: daemon.peerPort,
    baseUrl: daemon.baseUrl,
    username: daemon.username,
    password: daemon.password,
    describe: () => `qbittorrent-nox on ${options.address} (pid ${daemon.pid})`,
    async seed(torrent, labels) {
      await api.addTorrent(torrent.torrentFile, { savePath: torrent.contentDir, tags: labels });
      await waitUntilKnown(torrent.infohash);
    },
    async download(torrent) {
      await api.addTorrent(torrent.torrentFile);
      await waitUntilKnown(torrent.infohash);
    },
    dial,
    async counters(infohash) {
      const torrent = await api.getTorrent(infohash);
      return {
        uploaded: torrent?.uploaded ?? 0,
        downloaded: torrent?.downloaded ?? 0,
        progress: torrent?.progress ?? 0,
      };
    },
    contentSha256: (torrent) => sha256File(join(daemon.downloadDir, torrent.name)),
    stop: () => daemon.stop({ keepFiles: true }),
  };
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}
