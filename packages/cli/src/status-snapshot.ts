/**
 * What `/api/status`, the status page and `peerpay status` show, read from the ledger: accounts and
 * balances from the store, and — from the itemised history, read incrementally — bytes per torrent
 * and peer, earnings and spend over time, and the recent payments. Money is msat as decimal strings.
 */
import { accountBalance, type LedgerEntry, type LedgerStore, type TorrentInfo } from "@peerpay/core";
import type { BuyerEvent } from "./buyer-service.js";
import type { SellerEvent } from "./seller-service.js";

export interface StatusSnapshot {
  readonly generatedAt: string;
  readonly simulated: boolean;
  readonly lightning: string;
  readonly roles: readonly string[];
  readonly totals: { earnedMsat: string; spentMsat: string; bytesServed: number; bytesReceived: number };
  readonly seller?: {
    readonly endpoint: string;
    readonly polls: number;
    readonly pollErrors: number;
    readonly peers: readonly {
      peer: string;
      balanceMsat: string;
      creditMsat: string;
      costMsat: string;
      bytesServed: number;
      freeBytesUsed: number;
      paymentsSettled: number;
      blocked: boolean;
      blockedReason?: string;
      blockedSince?: string;
    }[];
    readonly torrents: readonly {
      infohash: string;
      name: string;
      peers: { peer: string; bytes: number; freeBytes: number; costMsat: string }[];
    }[];
    readonly events: readonly { at: string; kind: string; peer: string; detail: string }[];
  };
  readonly buyer?: {
    readonly polls: number;
    readonly pollErrors: number;
    readonly sellers: readonly {
      seller: string;
      paidMsat: string;
      feesMsat: string;
      costMsat: string;
      bytesReceived: number;
      paymentsMade: number;
    }[];
    readonly torrents: readonly { infohash: string; sellers: { seller: string; bytes: number }[] }[];
    readonly events: readonly { at: string; kind: string; seller: string; detail: string }[];
  };
  /** Cumulative earnings and spend after each money movement. */
  readonly series: readonly { at: string; earnedMsat: string; spentMsat: string }[];
  readonly recentPayments: readonly {
    at: string;
    kind: string;
    counterparty: string;
    amountMsat: string;
    infohash?: string;
  }[];
}

export interface StatusSources {
  readonly store: LedgerStore;
  readonly simulated: boolean;
  readonly lightning: string;
  readonly seller?: {
    endpoint: string;
    torrents(): readonly TorrentInfo[];
    stats(): { polls: number; pollErrors: number };
    events: readonly SellerEvent[];
  };
  readonly buyer?: {
    stats(): { polls: number; pollErrors: number };
    events: readonly BuyerEvent[];
  };
}

const LOOK_BACK_MS = 60_000;

interface Tally {
  bytes: bigint;
  freeBytes: bigint;
  costMsat: bigint;
}

export function createStatusSnapshots(sources: StatusSources) {
  let lastId = 0;
  let lastAt: Date | undefined;
  let earned = 0n;
  let spent = 0n;
  const served = new Map<string, Map<string, Tally>>();
  const received = new Map<string, Map<string, bigint>>();
  const series: { at: string; earnedMsat: string; spentMsat: string }[] = [];
  const payments: StatusSnapshot["recentPayments"][number][] = [];

  const absorb = (entry: LedgerEntry) => {
    const amount = entry.amountMsat ?? 0n;
    if (entry.kind === "usage" && entry.infohash) {
      const peers = served.get(entry.infohash) ?? new Map<string, Tally>();
      served.set(entry.infohash, peers);
      const tally = peers.get(entry.counterparty) ?? { bytes: 0n, freeBytes: 0n, costMsat: 0n };
      tally.bytes += entry.bytes ?? 0n;
      tally.costMsat += amount < 0n ? -amount : amount;
      tally.freeBytes += freeBytesOf(entry);
      peers.set(entry.counterparty, tally);
    } else if (entry.kind === "received" && entry.infohash) {
      const sellers = received.get(entry.infohash) ?? new Map<string, bigint>();
      received.set(entry.infohash, sellers);
      sellers.set(entry.counterparty, (sellers.get(entry.counterparty) ?? 0n) + (entry.bytes ?? 0n));
    } else if ((entry.kind === "settlement" && amount > 0n) || (entry.kind === "payment" && amount < 0n)) {
      if (entry.kind === "settlement") earned += amount;
      else spent += -amount;
      const at = entry.at.toISOString();
      series.push({ at, earnedMsat: earned.toString(), spentMsat: spent.toString() });
      if (series.length > 2000) series.splice(0, series.length - 2000);
      payments.push({
        at,
        kind: entry.kind === "settlement" ? "earned" : "spent",
        counterparty: entry.counterparty,
        amountMsat: (amount < 0n ? -amount : amount).toString(),
        ...(entry.infohash ? { infohash: entry.infohash } : {}),
      });
      if (payments.length > 50) payments.splice(0, payments.length - 50);
    }
  };

  const refresh = async () => {
    // Bounded rounds: each reads at most 20 000 entries.
    for (let round = 0; round < 100; round++) {
      // An entry's time is when its fact happened, not when it was written: look back a margin, skip seen ids.
      const since = lastAt ? new Date(lastAt.getTime() - LOOK_BACK_MS) : undefined;
      const entries = await sources.store.history({ ...(since ? { since } : {}), limit: 20_000 });
      const fresh = entries.filter((entry) => entry.id > lastId);
      for (const entry of fresh) absorb(entry);
      const last = entries[entries.length - 1];
      if (last) {
        lastId = Math.max(lastId, last.id);
        lastAt = lastAt && lastAt > last.at ? lastAt : last.at;
      }
      if (entries.length < 20_000 || fresh.length === 0) return;
    }
  };

  // One refresh at a time: two requests reading the same new entries must not count them twice.
  let refreshing: Promise<void> = Promise.resolve();
  const refreshOnce = () => {
    refreshing = refreshing.then(refresh, refresh);
    return refreshing;
  };

  return async function snapshot(): Promise<StatusSnapshot> {
    await refreshOnce();
    const { store, seller, buyer } = sources;
    const roles = [...(seller ? ["seller"] : []), ...(buyer ? ["buyer"] : [])];
    const accounts = seller ? await store.listAccounts() : [];
    const sellerAccounts = buyer ? await store.listSellerAccounts() : [];
    const names = new Map((seller?.torrents() ?? []).map((torrent) => [torrent.infohash, torrent.name]));
    return {
      generatedAt: new Date().toISOString(),
      simulated: sources.simulated,
      lightning: sources.lightning,
      roles,
      totals: {
        earnedMsat: earned.toString(),
        spentMsat: spent.toString(),
        bytesServed: Number(accounts.reduce((sum, account) => sum + account.bytesServed, 0n)),
        bytesReceived: Number(sellerAccounts.reduce((sum, account) => sum + account.bytesReceived, 0n)),
      },
      ...(seller
        ? {
            seller: {
              endpoint: seller.endpoint,
              ...seller.stats(),
              peers: accounts.map((account) => ({
                peer: account.peer,
                balanceMsat: accountBalance(account).toString(),
                creditMsat: account.creditMsat.toString(),
                costMsat: account.costMsat.toString(),
                bytesServed: Number(account.bytesServed),
                freeBytesUsed: Number(account.freeBytesUsed),
                paymentsSettled: account.paymentsSettled,
                blocked: account.blocked,
                ...(account.blockedReason ? { blockedReason: account.blockedReason } : {}),
                ...(account.blockedSince ? { blockedSince: account.blockedSince.toISOString() } : {}),
              })),
              torrents: [...served].map(([infohash, peers]) => ({
                infohash,
                name: names.get(infohash) ?? "",
                peers: [...peers].map(([peer, tally]) => ({
                  peer,
                  bytes: Number(tally.bytes),
                  freeBytes: Number(tally.freeBytes),
                  costMsat: tally.costMsat.toString(),
                })),
              })),
              events: seller.events.slice(-30).map((event) => ({ ...event, at: event.at.toISOString() })),
            },
          }
        : {}),
      ...(buyer
        ? {
            buyer: {
              ...buyer.stats(),
              sellers: sellerAccounts.map((account) => ({
                seller: account.seller,
                paidMsat: account.paidMsat.toString(),
                feesMsat: account.feesMsat.toString(),
                costMsat: account.costMsat.toString(),
                bytesReceived: Number(account.bytesReceived),
                paymentsMade: account.paymentsMade,
              })),
              torrents: [...received].map(([infohash, sellers]) => ({
                infohash,
                sellers: [...sellers].map(([name, bytes]) => ({ seller: name, bytes: Number(bytes) })),
              })),
              events: buyer.events.slice(-30).map((event) => ({ ...event, at: event.at.toISOString() })),
            },
          }
        : {}),
      series: [...series],
      recentPayments: [...payments].reverse().slice(0, 20),
    };
  };
}

/** The free part of a usage line: the store notes it ("free 1234 bytes"); 0 when it does not say. */
function freeBytesOf(entry: LedgerEntry): bigint {
  const match = /free (\d+) bytes/.exec(entry.note ?? "");
  return match?.[1] ? BigInt(match[1]) : 0n;
}
