/**
 * Test swarm across two network namespaces the test creates: a real seller (transmission-daemon
 * 3.00 or qbittorrent-nox) with the enforcer in the seller namespace, two real qbittorrent-nox
 * buyers in the buyer namespace — one on uTP, one TCP-only — dialling the seller with addPeers.
 * Bytes are read from each buyer's own per-peer counter for the seller (exact payload bytes).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createQbittorrentTestClient,
  createTestNetworkPair,
  createTestTorrent,
  type QbittorrentTestClient,
  startQbittorrentDaemon,
  startTransmissionDaemon,
  type TestNetworkPair,
  type TestTorrent,
  writeNamespaceExecutable,
} from "@peerpay/testkit/daemons";
import { createNftablesEnforcer, type NftablesEnforcer } from "./index.js";

export type SellerKind = "transmission" | "qbittorrent";

export interface Buyer {
  readonly label: "uTP" | "TCP";
  readonly address: string;
  readonly client: QbittorrentTestClient;
}

export interface Swarm {
  readonly pair: TestNetworkPair;
  readonly torrent: TestTorrent;
  readonly sellerPort: number;
  readonly buyers: readonly [Buyer, Buyer];
  readonly enforcer: NftablesEnforcer;
  createEnforcer(): NftablesEnforcer;
  /** Payload bytes this buyer received from the seller (its own per-peer counter). */
  received(buyer: Buyer): Promise<number>;
  /** Whether the seller's client lists this buyer as a connected peer. */
  sellerSees(buyer: Buyer): Promise<boolean>;
  /** The buyer forgets the seller (and its reconnect back-off), then dials it. */
  forgetAndRedial(buyer: Buyer): Promise<void>;
  stop(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface SwarmOptions {
  /** The seller's own upload cap. */
  readonly uploadLimitKiB: number;
  /** Each buyer's download cap, 0 for none. */
  readonly buyerLimitKiB: number;
  readonly sizeBytes: number;
}

export async function startSwarm(kind: SellerKind, options: SwarmOptions): Promise<Swarm> {
  const { uploadLimitKiB, buyerLimitKiB, sizeBytes } = options;
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const rootDir = await mkdtemp(join(tmpdir(), "peerpay-nft-"));
    cleanups.push(() => rm(rootDir, { recursive: true, force: true }));
    const pair = await createTestNetworkPair({ buyerAddresses: 2 });
    cleanups.push(() => pair.remove());
    const sellerAddress = pair.seller.address;
    const qbittorrentIn = (netns: string) => writeNamespaceExecutable(rootDir, netns, "qbittorrent-nox");

    let sellerPort: number;
    let sellerDir: string;
    let seed: (torrent: TestTorrent) => Promise<void>;
    let seeding: (torrent: TestTorrent) => Promise<boolean>;
    let sellerPeers: (torrent: TestTorrent) => Promise<string[]>;
    if (kind === "transmission") {
      const daemon = await startTransmissionDaemon({
        bindAddress: sellerAddress,
        networkNamespace: pair.seller.name,
        peerPort: 51413,
        rpcPort: 9091,
        rootDir,
        uploadLimitKB: Math.round((uploadLimitKiB * 1024) / 1000),
        rpcWhitelist: "127.*.*.*,10.*.*.*",
      });
      cleanups.push(() => daemon.stop());
      sellerPort = daemon.peerPort;
      sellerDir = daemon.downloadDir;
      seed = async (torrent) => {
        await daemon.addTorrent(torrent.torrentFile);
      };
      sellerPeers = async (torrent) => {
        const answer = await daemon.rpc<{ torrents: Array<{ peers: Array<{ address: string }> }> }>(
          "torrent-get",
          { ids: [torrent.infohash], fields: ["peers"] },
        );
        return (answer.torrents[0]?.peers ?? []).map((peer) => peer.address);
      };
      seeding = async () => {
        const answer = await daemon.rpc<{ torrents: Array<{ status: number }> }>("torrent-get", {
          fields: ["status"],
        });
        return answer.torrents[0]?.status === 6;
      };
    } else {
      const daemon = await startQbittorrentDaemon({
        bindAddress: sellerAddress,
        peerPort: 6881,
        webUiPort: 8080,
        rootDir,
        uploadLimitKiB,
        executable: await qbittorrentIn(pair.seller.name),
      });
      cleanups.push(() => daemon.stop());
      const client = createQbittorrentTestClient(daemon);
      sellerPort = daemon.peerPort;
      sellerDir = daemon.downloadDir;
      seed = (torrent) => client.addTorrent(torrent.torrentFile);
      sellerPeers = async (torrent) =>
        Object.values(await client.listPeers(torrent.infohash))
          .filter((peer) => peer.client !== "")
          .map((peer) => peer.ip);
      seeding = async (torrent) => /UP$/.test((await client.getTorrent(torrent.infohash))?.state ?? "");
    }
    const torrent = await createTestTorrent({ directory: sellerDir, name: "enforced.bin", sizeBytes });
    await seed(torrent);
    await waitFor("the seller to seed", 30_000, () => seeding(torrent));

    const buyers: Buyer[] = [];
    for (const [index, label] of (["uTP", "TCP"] as const).entries()) {
      const address = pair.buyer.addresses[index]!;
      const daemon = await startQbittorrentDaemon({
        bindAddress: address,
        peerPort: 6882 + index,
        webUiPort: 8082 + index,
        rootDir,
        executable: await qbittorrentIn(pair.buyer.name),
        downloadLimitKiB: buyerLimitKiB,
        extraConfig: label === "TCP" ? { BitTorrent: ["Session\\BTProtocol=TCP"] } : {},
      });
      cleanups.push(() => daemon.stop());
      buyers.push({ label, address, client: createQbittorrentTestClient(daemon) });
    }

    const createEnforcer = () =>
      createNftablesEnforcer({
        ports: [sellerPort],
        localAddresses: [sellerAddress],
        devices: [pair.seller.device],
        netns: pair.seller.name,
      });
    const enforcer = createEnforcer();
    await enforcer.start();
    cleanups.push(() => enforcer.close());

    const endpoint = `${sellerAddress}:${sellerPort}`;
    // A dropped connection leaves the buyer's peer list (its counter with it) and a reconnect
    // resumes from the old total rounded down to KiB: keep the highest value seen.
    const highest = new Map<Buyer, number>();
    const received = async (buyer: Buyer) => {
      const peers = await buyer.client.listPeers(torrent.infohash);
      const now = Object.values(peers)
        .filter((peer) => peer.ip === sellerAddress)
        .reduce((sum, peer) => sum + peer.downloaded, 0);
      const value = Math.max(now, highest.get(buyer) ?? 0);
      highest.set(buyer, value);
      return value;
    };
    for (const buyer of buyers) {
      await buyer.client.addTorrent(torrent.torrentFile);
      await waitFor(
        "the buyer's torrent",
        10_000,
        async () => (await buyer.client.getTorrent(torrent.infohash)) !== undefined,
      );
      await buyer.client.addPeers(torrent.infohash, [endpoint]);
    }
    // Both flows running (over 2 MiB each) before any measurement.
    for (const buyer of buyers) {
      await waitFor(
        `bytes to the ${buyer.label} buyer`,
        40_000,
        async () => (await received(buyer)) > 2 ** 21,
      );
    }
    return {
      pair,
      torrent,
      sellerPort,
      buyers: buyers as [Buyer, Buyer],
      enforcer,
      createEnforcer,
      received,
      sellerSees: async (buyer) => (await sellerPeers(torrent)).includes(buyer.address),
      async forgetAndRedial(buyer) {
        await buyer.client.setBannedIps([sellerAddress]);
        await buyer.client.setBannedIps([]);
        await buyer.client.addPeers(torrent.infohash, [endpoint]);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Samples `read` every 100 ms for `windowMs` after an action at `t0`: when the counter last grew
 * (ms after t0, 0 if it never did) and how many bytes arrived after t0.
 */
export async function measureStop(
  read: () => Promise<number>,
  t0: number,
  startValue: number,
  windowMs: number,
): Promise<{ lastGrowthMs: number; leakedBytes: number }> {
  let last = startValue;
  let lastGrowthMs = 0;
  while (Date.now() - t0 < windowMs) {
    await sleep(100);
    const value = await read();
    if (value > last) {
      last = value;
      lastGrowthMs = Date.now() - t0;
    }
  }
  return { lastGrowthMs, leakedBytes: last - startValue };
}
