/**
 * The daemon: from a validated configuration, the ledger (SQLite), the payment adapter, a bridge
 * per role, the seller and/or buyer service, and the status server. `close()` shuts it down in
 * order — stop polling and serving, give the client back what was changed (where configured),
 * close the adapters, and close the ledger last so every write is flushed.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  createLedgerPolicy,
  createPriceBook,
  createSqliteLedgerStore,
  type LedgerStore,
  type TorrentBridge,
} from "@peerpay/core";
import { type BuyerService, startBuyerService } from "./buyer-service.js";
import type { Configuration, DaemonRole } from "./config-resolve.js";
import { createDaemonMetrics, type DaemonMetrics } from "./daemon-metrics.js";
import { createDaemonAdapters, createDaemonBridge, type DaemonAdapters } from "./daemon-parts.js";
import { type SellerService, startSellerService } from "./seller-service.js";
import type { ServiceLogger } from "./service-logger.js";
import { type StatusServer, startStatusServer } from "./status-server.js";
import { createStatusSnapshots, type StatusSnapshot } from "./status-snapshot.js";

export interface DaemonOptions {
  readonly configuration: Configuration;
  readonly roles: readonly DaemonRole[];
  readonly logger: ServiceLogger;
}

export interface Daemon {
  readonly seller?: SellerService;
  readonly buyer?: BuyerService;
  readonly status?: StatusServer;
  readonly metrics: DaemonMetrics;
  readonly simulated: boolean;
  snapshot(): Promise<StatusSnapshot>;
  close(): Promise<void>;
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { configuration, roles, logger } = options;
  const steps: { name: string; run: () => Promise<unknown> }[] = [];
  const close = async () => {
    for (const step of steps.reverse()) {
      try {
        await step.run();
      } catch (error) {
        logger.error({ err: error, step: step.name }, "shutdown step failed; going on with the rest");
      }
    }
    steps.length = 0;
  };
  try {
    // The adapter first: a missing macaroon or rune fails here, before any file is written.
    const adapters: DaemonAdapters = createDaemonAdapters(configuration, roles, logger);
    let rawStore: LedgerStore;
    try {
      mkdirSync(configuration.stateDirectory, { recursive: true });
      mkdirSync(dirname(configuration.ledgerPath), { recursive: true });
      rawStore = createSqliteLedgerStore({ path: configuration.ledgerPath });
    } catch (error) {
      await adapters.close().catch(() => undefined);
      throw error;
    }
    // Closed last of all (steps run in reverse): every write is flushed before the process ends.
    steps.push({ name: "close the ledger", run: () => rawStore.close() });
    steps.push({ name: "close the Lightning adapter", run: () => adapters.close() });
    const metrics = createDaemonMetrics();
    const store: LedgerStore = metrics.instrumentStore(rawStore);

    let seller: SellerService | undefined;
    if (configuration.seller && adapters.seller) {
      const section = configuration.seller;
      const bridge: TorrentBridge = metrics.instrumentBridge(
        createDaemonBridge({
          role: "seller",
          connection: section.client,
          stateDirectory: configuration.stateDirectory,
          restoreOnClose: section.restoreOnClose,
          kick: section.kick,
          ...(section.blocklistServer ? { blocklistServer: section.blocklistServer } : {}),
          logger,
        }),
        "seller",
      );
      steps.push({ name: "close the seller's bridge", run: () => bridge.close() });
      seller = await startSellerService({
        bridge,
        adapter: adapters.seller,
        store,
        priceBook: createPriceBook(section.prices),
        policy: createLedgerPolicy(section.policy),
        listen: section.listen,
        pollIntervalMs: section.pollIntervalMs,
        logger,
      });
      const started = seller;
      steps.push({ name: "stop the seller", run: () => started.close() });
      logger.info({ endpoint: seller.endpoint.url, client: section.client.kind }, "seller running");
    }

    let buyer: BuyerService | undefined;
    if (configuration.buyer && adapters.buyer) {
      const section = configuration.buyer;
      const bridge: TorrentBridge = metrics.instrumentBridge(
        createDaemonBridge({
          role: "buyer",
          connection: section.client,
          stateDirectory: configuration.stateDirectory,
          restoreOnClose: true,
          logger,
        }),
        "buyer",
      );
      steps.push({ name: "close the buyer's bridge", run: () => bridge.close() });
      buyer = await startBuyerService({
        bridge,
        adapter: adapters.buyer,
        store,
        policy: section.policy,
        ...(section.sourceAddress ? { sourceAddress: section.sourceAddress } : {}),
        listenPorts: section.listenPorts,
        sellerPort: section.sellerPort,
        pollIntervalMs: section.pollIntervalMs,
        balanceIntervalMs: section.balanceIntervalMs,
        logger,
      });
      const started = buyer;
      steps.push({ name: "stop the buyer", run: () => started.close() });
      logger.info({ client: section.client.kind, sellerPort: section.sellerPort }, "buyer running");
    }

    const sellerService = seller;
    const buyerService = buyer;
    const snapshot = createStatusSnapshots({
      store,
      simulated: adapters.simulated,
      lightning: configuration.lightningDisplay,
      ...(sellerService
        ? {
            seller: {
              endpoint: sellerService.endpoint.url,
              torrents: () => sellerService.torrents(),
              stats: () => sellerService.stats(),
              events: sellerService.events,
            },
          }
        : {}),
      ...(buyerService ? { buyer: { stats: () => buyerService.stats(), events: buyerService.events } } : {}),
    });

    let status: StatusServer | undefined;
    if (configuration.status.enabled) {
      status = await startStatusServer({
        host: configuration.status.host,
        port: configuration.status.port,
        ...(configuration.status.token ? { token: configuration.status.token } : {}),
        snapshot,
        registry: metrics.registry,
        logger,
      });
      const server = status;
      steps.push({ name: "stop the status server", run: () => server.close() });
      logger.info({ url: status.url }, "status page");
    }

    return {
      ...(seller ? { seller } : {}),
      ...(buyer ? { buyer } : {}),
      ...(status ? { status } : {}),
      metrics,
      simulated: adapters.simulated,
      snapshot,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
