/**
 * `peerpay demo`: a real transmission-daemon (or qbittorrent-nox) seeds a paid torrent, a real
 * qbittorrent-nox (or transmission-daemon) downloads it, both peerpay roles run against them and
 * settle over the simulated Lightning network (not real money), and the summary is read from both
 * ledgers and both clients. Everything runs on loopback; every process it starts is stopped by PID.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createQbittorrentBridge } from "@peerpay/bridge-qbittorrent";
import { createTransmissionBridge } from "@peerpay/bridge-transmission";
import {
  createLedgerPolicy,
  createPriceBook,
  createSqliteLedgerStore,
  type LedgerStore,
  type TorrentBridge,
} from "@peerpay/core";
import { createSimAdapter, createSimNetwork } from "@peerpay/lightning-sim";
import {
  createQbittorrentTestClient,
  createTestTorrent,
  startQbittorrentDaemon,
  startTransmissionDaemon,
} from "@peerpay/testkit/daemons";
import { type BuyerService, startBuyerService } from "./buyer-service.js";
import { type DemoClient, type DemoPeer, startDemoPeer } from "./demo-peers.js";
import { createDemoReport, type DemoSummary, printProgress } from "./demo-report.js";
import { type SellerService, startSellerService } from "./seller-service.js";
import { createServiceLogger } from "./service-logger.js";

export interface DemoOptions {
  readonly seller: DemoClient;
  readonly buyer: DemoClient;
  readonly sizeMiB: number;
  /** Seller upload limit, kB/s. */
  readonly rateKB: number;
  readonly price: string;
  readonly timeoutSeconds: number;
  readonly keep: boolean;
  readonly output: NodeJS.WritableStream;
}

export const defaultDemoOptions: DemoOptions = {
  seller: "transmission",
  buyer: "qbittorrent",
  sizeMiB: 24,
  rateKB: 2000,
  price: "100000 sat/GiB",
  timeoutSeconds: 240,
  keep: false,
  output: process.stdout,
};

const SELLER_ADDRESS = "127.0.0.2";
const BUYER_ADDRESS = "127.0.0.3";

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const say = (line: string) => options.output.write(`${line}\n`);
  const directory = mkdtempSync(join(tmpdir(), "peerpay-demo-"));
  const logger = createServiceLogger({
    level: "info",
    destination: (await import("node:fs")).createWriteStream(join(directory, "peerpay.log")),
  });
  const cleanups: (() => Promise<unknown>)[] = [];
  const stores: LedgerStore[] = [];
  try {
    say("peerpay demo — payments run on the SIMULATED Lightning network: no real money moves.");
    say(`working directory: ${directory}`);
    const torrent = await createTestTorrent({
      directory: join(directory, "content"),
      name: "peerpay-demo.bin",
      sizeBytes: options.sizeMiB * 1024 * 1024,
      seed: "peerpay demo",
    });
    say(
      `torrent ${torrent.infohash}: ${options.sizeMiB} MiB, priced at ${options.price} (a tag in the seller's client)`,
    );

    const seller = await startDemoPeer(options.seller, {
      role: "seller",
      address: SELLER_ADDRESS,
      directory,
      uploadLimitKB: options.rateKB,
      startTransmissionDaemon,
      startQbittorrentDaemon,
      createQbittorrentTestClient,
    });
    cleanups.push(() => seller.stop());
    const buyer = await startDemoPeer(options.buyer, {
      role: "buyer",
      address: BUYER_ADDRESS,
      directory,
      startTransmissionDaemon,
      startQbittorrentDaemon,
      createQbittorrentTestClient,
    });
    cleanups.push(() => buyer.stop());
    say(`seller: ${seller.describe()}    buyer: ${buyer.describe()}`);

    await seller.seed(torrent, [`peerpay:${options.price.replace(/\s+/g, "")}`]);

    const network = createSimNetwork();
    const sellerNode = network.addNode({ alias: "seller" });
    const buyerNode = network.addNode({ alias: "buyer" });
    network.openChannel(buyerNode, sellerNode, 5_000_000_000n);
    const sellerAdapter = createSimAdapter({ network, node: sellerNode });
    const buyerAdapter = createSimAdapter({ network, node: buyerNode });
    cleanups.push(
      () => sellerAdapter.close(),
      () => buyerAdapter.close(),
    );

    const sellerStore = createSqliteLedgerStore({ path: join(directory, "seller-ledger.sqlite") });
    const buyerStore = createSqliteLedgerStore({ path: join(directory, "buyer-ledger.sqlite") });
    stores.push(sellerStore, buyerStore);

    const sellerBridge = createBridge(seller, join(directory, "seller-bridge.json"));
    const buyerBridge = createBridge(buyer, join(directory, "buyer-bridge.json"));
    cleanups.push(
      () => sellerBridge.close(),
      () => buyerBridge.close(),
    );

    const sellerService: SellerService = await startSellerService({
      bridge: sellerBridge,
      adapter: sellerAdapter,
      store: sellerStore,
      priceBook: createPriceBook({}),
      policy: createLedgerPolicy({
        freeAllowanceBytes: 4 * 1024 * 1024,
        baseCreditLineMsat: 20_000n,
        prepayMsat: 200_000n,
      }),
      listen: { host: SELLER_ADDRESS, port: 0 },
      pollIntervalMs: 1000,
      logger,
    });
    cleanups.push(() => sellerService.close());
    const buyerService: BuyerService = await startBuyerService({
      bridge: buyerBridge,
      adapter: buyerAdapter,
      store: buyerStore,
      policy: { maxPriceMsatPerGiB: 150_000_000n, prepayMsat: 1_000_000n, totalBudgetMsat: 10_000_000n },
      sourceAddress: BUYER_ADDRESS,
      listenPorts: [buyer.peerPort],
      sellerPort: sellerService.endpoint.port,
      pollIntervalMs: 1000,
      balanceIntervalMs: 1000,
      logger,
    });
    cleanups.push(() => buyerService.close());
    say(`seller's negotiation endpoint: ${sellerService.endpoint.url}/.well-known/peerpay`);

    await buyer.download(torrent);
    // Transmission never dials loopback peers and has no RPC to add one: the other side dials.
    const dialed =
      (await buyer.dial(torrent.infohash, { address: SELLER_ADDRESS, port: seller.peerPort })) ||
      (await seller.dial(torrent.infohash, { address: BUYER_ADDRESS, port: buyer.peerPort }));
    if (!dialed) throw new Error("neither client can dial the other on loopback");
    const report = createDemoReport({
      torrent,
      seller,
      buyer,
      sellerStore,
      buyerStore,
      sellerService,
      buyerService,
    });
    const deadline = Date.now() + options.timeoutSeconds * 1000;
    for (;;) {
      const progress = await report.progress();
      printProgress(options.output, progress);
      if (progress.buyerProgress >= 1 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    options.output.write("\n");
    // One more poll on each side so the ledgers hold the last bytes.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await sellerService.pollOnce();
    await buyerService.pollOnce();
    await buyerService.settleUp();
    await waitForSettlement(report, 10_000);
    await waitForCountersToSettle([seller, buyer], torrent.infohash, 15_000);
    const summary = await report.summary();
    for (const line of summary.lines) say(line);
    if (options.keep) say(`kept ${directory} (ledgers, client configs, logs)`);
    return summary;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    for (const store of stores) await store.close().catch(() => undefined);
    if (!options.keep) rmSync(directory, { recursive: true, force: true });
  }
}

/** Waits until the seller has credited everything the buyer paid (the settled stream is asynchronous). */
async function waitForSettlement(
  report: ReturnType<typeof createDemoReport>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; round < 200 && Date.now() < deadline; round++) {
    const progress = await report.progress();
    if (progress.earnedMsat === progress.paidMsat) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until both clients' own torrent counters stop moving (two equal reads 2 s apart): a
 * client refreshes its torrent totals lazily (qBittorrent under load lags its per-peer counts).
 */
async function waitForCountersToSettle(
  peers: readonly DemoPeer[],
  infohash: string,
  timeoutMs: number,
): Promise<void> {
  const read = async () =>
    JSON.stringify(await Promise.all(peers.map((peer) => peer.counters(infohash).catch(() => null))));
  const deadline = Date.now() + timeoutMs;
  let previous = await read();
  for (let round = 0; round < 10 && Date.now() < deadline; round++) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const current = await read();
    if (current === previous) return;
    previous = current;
  }
}

function createBridge(peer: DemoPeer, stateFile: string): TorrentBridge {
  if (peer.client === "transmission") {
    return createTransmissionBridge({
      baseUrl: peer.baseUrl,
      username: peer.username,
      password: peer.password,
      stateFile,
      blocklistServer: { host: "127.0.0.1" },
      kick: { enabled: true, minIntervalMs: 10_000 },
      onWarning: () => undefined,
    });
  }
  return createQbittorrentBridge({
    baseUrl: peer.baseUrl,
    username: peer.username,
    password: peer.password,
    stateFile,
  });
}
