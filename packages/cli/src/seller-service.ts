/**
 * The seller role: polls the client through its bridge, prices and records the bytes, applies the
 * ledger's decisions to the client, serves the negotiation endpoint, and on every settled invoice
 * credits the buyer exactly once, lifts its block and has the client re-dial it at once.
 */
import {
  createNegotiationHandler,
  createSellerLedger,
  type LedgerDecision,
  type LedgerPolicy,
  type LedgerStore,
  type MsatPerGiB,
  type NegotiationServer,
  negotiationFromSellerLedger,
  type PaymentAdapter,
  type PriceBook,
  type SellerLedger,
  type SettlementWatcher,
  serveNegotiation,
  startSettlementWatcher,
  type TorrentBridge,
  type TorrentInfo,
} from "@peerpay/core";
import { createPollLoop, type PollLoop } from "./poll-loop.js";
import type { ServiceLogger } from "./service-logger.js";

export interface SellerServiceOptions {
  readonly bridge: TorrentBridge;
  readonly adapter: PaymentAdapter;
  readonly store: LedgerStore;
  readonly priceBook: PriceBook;
  readonly policy: LedgerPolicy;
  /** Where the negotiation endpoint listens. */
  readonly listen: { readonly host: string; readonly port: number };
  readonly pollIntervalMs?: number;
  readonly logger: ServiceLogger;
  /** Called after each poll and each settlement, for progress views and the status page. */
  readonly onChange?: () => void;
}

export interface SellerEvent {
  readonly at: Date;
  readonly kind: "block" | "unblock" | "settled" | "redial";
  readonly peer: string;
  readonly detail: string;
}

export interface SellerService {
  readonly ledger: SellerLedger;
  readonly endpoint: NegotiationServer;
  readonly events: readonly SellerEvent[];
  /** Torrents seen in the last poll. */
  torrents(): readonly TorrentInfo[];
  /** Runs one poll now (also what the loop runs). */
  pollOnce(): Promise<void>;
  stats(): { polls: number; pollErrors: number; lastPollMs: number | undefined };
  close(): Promise<void>;
}

export async function startSellerService(options: SellerServiceOptions): Promise<SellerService> {
  const { bridge, adapter, store, logger } = options;
  const ledger = createSellerLedger({ store, priceBook: options.priceBook, policy: options.policy });
  const events: SellerEvent[] = [];
  let torrents: readonly TorrentInfo[] = [];
  const note = (event: Omit<SellerEvent, "at">) => {
    events.push({ at: new Date(), ...event });
    if (events.length > 500) events.splice(0, events.length - 500);
    logger.info({ event: event.kind, peer: event.peer }, event.detail);
  };

  /**
   * Applies decisions to the client, one batch at a time and from the ledger's state at that
   * moment: a poll and a settlement can decide the same peer concurrently, and the client must
   * end up as the ledger says now, not as a decision taken before the other one said.
   */
  let enforcing: Promise<unknown> = Promise.resolve();
  const enforce = (decisions: readonly LedgerDecision[]): Promise<void> => {
    const run = enforcing.then(() => enforceNow(decisions));
    enforcing = run.catch(() => undefined);
    return run;
  };
  const enforceNow = async (decisions: readonly LedgerDecision[]) => {
    const toBlock: { peer: string; reason: string }[] = [];
    const toUnblock: { peer: string; reason: string }[] = [];
    for (const decision of decisions) {
      if (!decision.changed) continue;
      const account = await store.getAccount(decision.peer);
      const blocked = account?.blocked ?? false;
      const stale = blocked !== (decision.kind === "block");
      const reason = !stale
        ? decision.reason
        : blocked
          ? (account?.blockedReason ?? "blocked by the ledger")
          : "allowed: the ledger changed its decision since";
      (blocked ? toBlock : toUnblock).push({ peer: decision.peer, reason });
    }
    if (toBlock.length > 0) {
      await bridge.block(toBlock.map((entry) => entry.peer));
      for (const entry of toBlock) note({ kind: "block", peer: entry.peer, detail: entry.reason });
    }
    if (toUnblock.length > 0) {
      await bridge.unblock(toUnblock.map((entry) => entry.peer));
      for (const entry of toUnblock) note({ kind: "unblock", peer: entry.peer, detail: entry.reason });
    }
  };

  await bridge.connect();
  // A restart rebuilds the client's ban state from the ledger: blocked peers stay blocked, paid ones are let in.
  const blockedNow = new Set(await bridge.listBlocked());
  const accounts = await store.listAccounts();
  const mustBlock = accounts.filter((account) => account.blocked && !blockedNow.has(account.peer));
  const mustUnblock = [...blockedNow].filter(
    (peer) => !accounts.some((account) => account.peer === peer && account.blocked),
  );
  if (mustBlock.length > 0) await bridge.block(mustBlock.map((account) => account.peer));
  if (mustUnblock.length > 0) await bridge.unblock(mustUnblock);
  await enforce(await ledger.reconcile());

  const negotiation = negotiationFromSellerLedger(ledger);
  const handler = createNegotiationHandler({
    adapter,
    store,
    ...negotiation,
    pricing: {
      ...negotiation.pricing,
      // Publish the prices of the torrents the client holds, whatever priced them (infohash, label, tag).
      listPrices: () => {
        const prices = new Map<string, MsatPerGiB>(negotiation.pricing.listPrices());
        for (const torrent of torrents) {
          const price = ledger.priceOf(torrent.infohash);
          if (!price.free) prices.set(torrent.infohash, price.priceMsatPerGiB);
        }
        return prices;
      },
    },
    onError: (error) => logger.error({ err: error }, "negotiation endpoint failure"),
  });
  const endpoint = await serveNegotiation(handler, {
    ...options.listen,
    onError: (error) => logger.error({ err: error }, "negotiation host failure"),
  });

  const watcher: SettlementWatcher = await startSettlementWatcher({
    adapter,
    ledger,
    onError: (error) =>
      logger.warn({ err: error }, "settled-invoice stream fault; it resumes from its cursor"),
    onCredited: async (outcome, settled) => {
      const invoice = outcome.invoice;
      if (!invoice) return;
      note({ kind: "settled", peer: invoice.peer, detail: `credited ${settled.amountMsat} msat` });
      if (outcome.decision) await enforce([outcome.decision]);
      if (
        outcome.decision?.kind === "allow" &&
        bridge.capabilities.addPeers &&
        invoice.listenPorts.length > 0
      ) {
        const peers = invoice.listenPorts.map((port) => ({ address: invoice.peer, port }));
        const targets = invoice.infohash ? [invoice.infohash] : torrents.map((torrent) => torrent.infohash);
        for (const infohash of targets) {
          await bridge.addPeers(infohash, peers).catch((error: unknown) => {
            logger.warn({ err: error, infohash }, "re-dial after payment failed");
          });
        }
        note({
          kind: "redial",
          peer: invoice.peer,
          detail: `asked the client to dial ports ${invoice.listenPorts.join(",")}`,
        });
      }
      options.onChange?.();
    },
  });

  const pollOnce = async () => {
    torrents = await bridge.listTorrents();
    const poll = await bridge.poll();
    const recording = await ledger.recordPoll(poll, torrents);
    for (const { infohash, tags } of recording.invalidTags) {
      logger.warn({ infohash, tags }, "labels look like price tags but hold no valid price");
    }
    await enforce(recording.decisions);
    options.onChange?.();
  };

  const loop: PollLoop = createPollLoop({
    name: "seller",
    intervalMs: options.pollIntervalMs ?? 1000,
    run: pollOnce,
    logger,
  });
  loop.start();

  return {
    ledger,
    endpoint,
    events,
    torrents: () => torrents,
    pollOnce,
    stats: () => loop.stats(),
    async close() {
      await loop.stop();
      await watcher.close();
      await endpoint.close();
    },
  };
}
