/**
 * The buyer role: polls its own client for the peers it downloads from, finds which of them sell
 * (their negotiation endpoint on the well-known port of the peer's address), records the bytes
 * each seller delivered, keeps a small prepaid credit with each seller it uses, pays what a seller
 * says is due to be unblocked, and then nudges its client to reconnect at once. Every payment goes
 * through the buyer agent's checks: price cap, budgets, anti-overcharge, never the same invoice twice.
 */

import type { BuyerPolicy } from "@peerpay/core";
import {
  type Buyer,
  createBuyer,
  createNegotiationFetch,
  isPeerpayError,
  type LedgerStore,
  type Msat,
  type PaymentAdapter,
  type PeerEndpoint,
  type TorrentBridge,
  type TorrentInfo,
} from "@peerpay/core";
import { createPollLoop, type PollLoop } from "./poll-loop.js";
import type { ServiceLogger } from "./service-logger.js";

/** The port a seller's negotiation endpoint listens on unless it says otherwise (docs/protocol.md). */
export const DEFAULT_NEGOTIATION_PORT = 9736;

export interface BuyerServiceOptions {
  readonly bridge: TorrentBridge;
  readonly adapter: PaymentAdapter;
  readonly store: LedgerStore;
  readonly policy: BuyerPolicy;
  /** The address the buyer's client uses (the seller credits the address a request comes from). */
  readonly sourceAddress?: string;
  /** The buyer's BitTorrent listening port(s), so a seller can re-dial it after payment. */
  readonly listenPorts?: readonly number[];
  /** Port of sellers' negotiation endpoints. Default 9736. */
  readonly sellerPort?: number;
  readonly pollIntervalMs?: number;
  /** How often a seller's balance is asked, per seller. Default 2000 ms. */
  readonly balanceIntervalMs?: number;
  /** After a peer showed no endpoint, ask again only after this long. Default 60 s. */
  readonly discoveryRetryMs?: number;
  /** How long after a seller's last bytes the buyer keeps paying what it still owes. Default 60 s. */
  readonly settleUpWindowMs?: number;
  /**
   * A seller that lets us in but has sent nothing for this long while a torrent is incomplete gets
   * another reconnect nudge (a reconnect right after paying can hit the seller's client before it
   * lifted the block, and neither client retries for a long while). Default 10 s.
   */
  readonly stallNudgeMs?: number;
  readonly logger: ServiceLogger;
  readonly onChange?: () => void;
}

export interface BuyerEvent {
  readonly at: Date;
  readonly kind: "seller-found" | "paid" | "refused" | "nudge";
  readonly seller: string;
  readonly detail: string;
}

interface KnownSeller {
  readonly origin: string;
  /** Torrents this seller served us, with its listening endpoint in each swarm. */
  readonly torrents: Map<string, PeerEndpoint>;
  lastBalanceCheck: number;
  refusedUntil: number;
  /** When this seller last delivered bytes (ms); settling up continues for a while after. */
  lastReceivedAt: number;
  /** When the client was last asked to reconnect to this seller (ms). */
  lastNudgeAt: number;
}

export interface BuyerService {
  readonly buyer: Buyer;
  readonly events: readonly BuyerEvent[];
  sellers(): string[];
  pollOnce(): Promise<void>;
  /** Pays every seller whose torrents are complete what is still owed, now. */
  settleUp(): Promise<void>;
  stats(): { polls: number; pollErrors: number; lastPollMs: number | undefined };
  close(): Promise<void>;
}

export async function startBuyerService(options: BuyerServiceOptions): Promise<BuyerService> {
  const { bridge, logger, policy } = options;
  const sellerPort = options.sellerPort ?? DEFAULT_NEGOTIATION_PORT;
  const balanceIntervalMs = options.balanceIntervalMs ?? 2000;
  const discoveryRetryMs = options.discoveryRetryMs ?? 60_000;
  const settleUpWindowMs = options.settleUpWindowMs ?? 60_000;
  const stallNudgeMs = options.stallNudgeMs ?? 10_000;
  const buyer = createBuyer({
    adapter: options.adapter,
    store: options.store,
    policy,
    ...(options.sourceAddress
      ? { fetch: createNegotiationFetch({ localAddress: options.sourceAddress }) }
      : {}),
  });
  const sellers = new Map<string, KnownSeller>();
  const notSelling = new Map<string, number>();
  const events: BuyerEvent[] = [];
  const note = (event: Omit<BuyerEvent, "at">) => {
    events.push({ at: new Date(), ...event });
    if (events.length > 500) events.splice(0, events.length - 500);
    logger.info({ event: event.kind, seller: event.seller }, event.detail);
  };
  const prepayTarget: Msat = policy.prepayMsat;

  const originFor = (address: string) =>
    `http://${address.includes(":") ? `[${address}]` : address}:${sellerPort}`;

  const findSeller = async (address: string): Promise<KnownSeller | undefined> => {
    const origin = originFor(address);
    const known = sellers.get(origin);
    if (known) return known;
    if ((notSelling.get(origin) ?? 0) > Date.now()) return undefined;
    try {
      const terms = await buyer.discover(origin);
      const seller: KnownSeller = {
        origin,
        torrents: new Map(),
        lastBalanceCheck: 0,
        refusedUntil: 0,
        lastReceivedAt: Date.now(),
        lastNudgeAt: 0,
      };
      sellers.set(origin, seller);
      note({
        kind: "seller-found",
        seller: origin,
        detail: `sells at ${terms.document.prices.default} msat/GiB by default${terms.document.simulated ? " (simulated network: not real money)" : ""}`,
      });
      return seller;
    } catch (error) {
      notSelling.set(origin, Date.now() + discoveryRetryMs);
      logger.info(
        { seller: origin, code: isPeerpayError(error) ? error.code : "INTERNAL" },
        "no peerpay endpoint answered at this peer; asking again later",
      );
      if (isPeerpayError(error) && error.code === "PRICE_TOO_HIGH") {
        note({ kind: "refused", seller: origin, detail: error.message });
      }
      return undefined;
    }
  };

  const nudge = async (infohash: string, peer: PeerEndpoint, seller: string) => {
    const extra = bridge as TorrentBridge & {
      nudgePeer?: (infohash: string, peer: PeerEndpoint) => Promise<unknown>;
      reannounce?: (infohash: string) => Promise<void>;
    };
    if (typeof extra.nudgePeer === "function") await extra.nudgePeer(infohash, peer);
    else if (bridge.capabilities.addPeers) await bridge.addPeers(infohash, [peer]);
    else if (typeof extra.reannounce === "function") await extra.reannounce(infohash);
    note({ kind: "nudge", seller, detail: `asked the client to reconnect to ${peer.address}:${peer.port}` });
  };

  /** Until the seller's balance says we are no longer blocked (bounded: 5 s), then a moment for its client. */
  const waitUntilLetIn = async (seller: KnownSeller) => {
    const deadline = Date.now() + 5000;
    for (let attempt = 0; attempt < 50 && Date.now() < deadline; attempt++) {
      const balance = await buyer.getBalance(seller.origin).catch(() => undefined);
      if (balance && !balance.blocked) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The seller marks us allowed in its ledger just before its client applies it.
    await new Promise((resolve) => setTimeout(resolve, 300));
  };

  const settleWith = async (seller: KnownSeller) => {
    if (seller.refusedUntil > Date.now()) return;
    seller.lastBalanceCheck = Date.now();
    const [firstTorrent] = seller.torrents.entries();
    const infohash = firstTorrent?.[0];
    try {
      const balance = await buyer.getBalance(seller.origin);
      let paid: { amountMsat: Msat } | undefined;
      if (balance.paymentRequired) {
        paid = await buyer.payWhatIsDue(seller.origin, options.listenPorts);
      } else if (BigInt(balance.balanceMsat) < prepayTarget / 2n) {
        const amountMsat = prepayTarget - BigInt(balance.balanceMsat);
        paid = await buyer.buyCredit({
          seller: seller.origin,
          amountMsat,
          ...(infohash ? { infohash } : {}),
          ...(options.listenPorts ? { listenPorts: options.listenPorts } : {}),
        });
      }
      if (paid) {
        note({ kind: "paid", seller: seller.origin, detail: `paid ${paid.amountMsat} msat` });
        if (balance.blocked) {
          // Reconnect only once the seller has let us in: a dial its client refuses makes both
          // clients back off for many seconds.
          await waitUntilLetIn(seller);
          seller.lastNudgeAt = Date.now();
          for (const [torrent, peer] of seller.torrents) await nudge(torrent, peer, seller.origin);
        }
      } else if (
        !balance.blocked &&
        Date.now() - seller.lastReceivedAt > stallNudgeMs &&
        Date.now() - seller.lastNudgeAt > stallNudgeMs
      ) {
        // In credit, yet nothing arrives: the reconnect after the last payment did not take. Ask again.
        seller.lastNudgeAt = Date.now();
        for (const [torrent, peer] of seller.torrents) await nudge(torrent, peer, seller.origin);
      }
    } catch (error) {
      const code = isPeerpayError(error) ? error.code : "INTERNAL";
      const refusal = ["BUDGET_EXCEEDED", "PRICE_TOO_HIGH", "OVERCHARGE", "INVOICE_MISMATCH"].includes(code);
      if (refusal) seller.refusedUntil = Date.now() + 30_000;
      note({
        kind: "refused",
        seller: seller.origin,
        detail: `${code}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  };

  /**
   * When every torrent from a seller is complete, pay what is still owed (within the same checks).
   * The seller's counters lag its client's by a poll or two, so this repeats for a while.
   */
  const settleUp = async (seller: KnownSeller) => {
    if (seller.refusedUntil > Date.now()) return;
    seller.lastBalanceCheck = Date.now();
    try {
      const balance = BigInt((await buyer.getBalance(seller.origin)).balanceMsat);
      if (balance < 0n) {
        const paid = await buyer.buyCredit({ seller: seller.origin, amountMsat: -balance });
        note({
          kind: "paid",
          seller: seller.origin,
          detail: `settled up: paid ${paid.amountMsat} msat owed`,
        });
      }
    } catch (error) {
      seller.refusedUntil = Date.now() + 30_000;
      note({
        kind: "refused",
        seller: seller.origin,
        detail: `settling up: ${isPeerpayError(error) ? error.code : "INTERNAL"}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  };

  /**
   * Per torrent: the client's own downloaded counter when first seen, what the per-peer counts
   * attributed since, and which peers delivered. A peer's last bytes before it disconnects (a
   * completed download closes seed-to-seed connections) never show in a per-peer snapshot; when
   * one seller alone delivered a torrent, the client's exact torrent counter gives them back.
   */
  const torrentTally = new Map<string, { startBytes: number; attributed: bigint; deliverers: Set<string> }>();

  const reconcileCompleted = (torrents: readonly TorrentInfo[]) => {
    const extra: Parameters<Buyer["recordReceived"]>[0][number][] = [];
    for (const torrent of torrents) {
      const tally = torrentTally.get(torrent.infohash);
      if (!tally || torrent.progress < 1 || tally.deliverers.size !== 1) continue;
      const [only] = tally.deliverers;
      const seller = only === undefined ? undefined : sellers.get(only);
      const missing = BigInt(Math.max(0, torrent.downloadedBytes - tally.startBytes)) - tally.attributed;
      if (!seller || missing <= 0n) continue;
      tally.attributed += missing;
      extra.push({ seller: seller.origin, infohash: torrent.infohash, bytes: missing });
    }
    return extra;
  };

  const pollOnce = async () => {
    const poll = await bridge.poll();
    const torrents = await bridge.listTorrents();
    for (const torrent of torrents) {
      if (!torrentTally.has(torrent.infohash)) {
        torrentTally.set(torrent.infohash, {
          startBytes: torrent.downloadedBytes,
          attributed: 0n,
          deliverers: new Set(),
        });
      }
    }
    const incomplete = new Set(
      torrents.filter((torrent) => torrent.progress < 1).map((torrent) => torrent.infohash),
    );
    const received: Parameters<Buyer["recordReceived"]>[0][number][] = [];
    for (const torrent of poll.torrents) {
      const tally = torrentTally.get(torrent.infohash);
      for (const peer of torrent.peers) {
        if (peer.downloadedBytes > 0 && tally) {
          tally.attributed += BigInt(peer.downloadedBytes);
          tally.deliverers.add(originFor(peer.address));
        }
        const seller = await findSeller(peer.address);
        if (!seller) continue;
        seller.torrents.set(torrent.infohash, { address: peer.address, port: peer.port });
        if (peer.downloadedBytes > 0) {
          seller.lastReceivedAt = Date.now();
          received.push({
            seller: seller.origin,
            infohash: torrent.infohash,
            bytes: BigInt(peer.downloadedBytes),
          });
        }
      }
    }
    received.push(...reconcileCompleted(torrents));
    if (received.length > 0) await buyer.recordReceived(received);
    for (const seller of sellers.values()) {
      if (Date.now() - seller.lastBalanceCheck < balanceIntervalMs) continue;
      const active = [...seller.torrents.keys()].some((infohash) => incomplete.has(infohash));
      if (active) await settleWith(seller);
      else if (Date.now() - seller.lastReceivedAt < settleUpWindowMs) await settleUp(seller);
    }
    options.onChange?.();
  };

  const loop: PollLoop = createPollLoop({
    name: "buyer",
    intervalMs: options.pollIntervalMs ?? 1000,
    run: pollOnce,
    logger,
  });
  await bridge.connect();
  loop.start();

  return {
    buyer,
    events,
    sellers: () => [...sellers.keys()],
    pollOnce,
    async settleUp() {
      for (const seller of sellers.values()) await settleUp(seller);
    },
    stats: () => loop.stats(),
    close: () => loop.stop(),
  };
}
