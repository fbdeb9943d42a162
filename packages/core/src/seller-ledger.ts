/**
 * The seller's ledger: prices what a poll of the torrent client reports, records it, and decides
 * per peer whether to allow or block; credits settled invoices and unblocks peers that paid.
 *
 * Bytes on a free torrent are never recorded and never lead to a decision. A peer's free
 * allowance is used first, across its torrents in poll order; the rest is charged at the torrent's
 * price, rounded down per record (`costOfBytes`). Calls that read and then write an account run one
 * at a time, so two polls (or a poll and a settlement) never decide on stale numbers.
 */
import { type LedgerDecision, type LedgerPolicy, smallerOf } from "./ledger-policy.js";
import { accountBalance, type LedgerStore, type SettlementResult, type UsageRecord } from "./ledger-store.js";
import { costOfBytes, type Msat, type MsatPerGiB } from "./money.js";
import type { SettledInvoice } from "./payment-adapter.js";
import { normalizeAddress, tryNormalizeAddress } from "./peer-identity.js";
import type { PriceBook, PriceResolution } from "./price-book.js";
import type { PollResult, TorrentInfo } from "./torrent-bridge.js";

export interface SellerLedgerOptions {
  readonly store: LedgerStore;
  readonly priceBook: PriceBook;
  readonly policy: LedgerPolicy;
  readonly clock?: () => Date;
}

export interface SkippedSample {
  readonly infohash: string;
  readonly address: string;
  readonly reason: "bad-address" | "bad-byte-count";
}

export interface PollRecording {
  /** One per peer with priced traffic in this poll; `changed` ones need the enforcer. */
  readonly decisions: LedgerDecision[];
  /** The usage records written (one batch). */
  readonly records: UsageRecord[];
  /** Samples ignored because the bridge reported something unusable. */
  readonly skipped: SkippedSample[];
  /** Labels that look like price tags but hold no valid price, per infohash (for a warning). */
  readonly invalidTags: { readonly infohash: string; readonly tags: readonly string[] }[];
}

export interface SettlementOutcome extends SettlementResult {
  /** The peer's decision after the credit (an unblock has `kind: "allow"` and `changed: true`). */
  readonly decision?: LedgerDecision;
}

/** What a peer sees of its account (the negotiation endpoint's balance answer). */
export interface AccountView {
  readonly peer: string;
  readonly known: boolean;
  readonly creditMsat: Msat;
  readonly costMsat: Msat;
  readonly balanceMsat: Msat;
  readonly debtMsat: Msat;
  readonly bytesServed: bigint;
  readonly freeBytesRemaining: bigint;
  readonly creditLineMsat: Msat;
  readonly paymentsSettled: number;
  readonly blocked: boolean;
  readonly blockedReason?: string;
  /** What the peer must pay to be unblocked (0 when not blocked). */
  readonly amountToUnblockMsat: Msat;
  /** What a quote would offer this peer now. */
  readonly offerMsat: Msat;
}

export interface SellerLedger {
  readonly store: LedgerStore;
  readonly priceBook: PriceBook;
  readonly policy: LedgerPolicy;
  /** Prices and records a poll; returns the decisions for the peers that took priced bytes. */
  recordPoll(poll: PollResult, torrents: readonly TorrentInfo[]): Promise<PollRecording>;
  /** Credits a settled invoice exactly once (the store's rule) and re-decides its peer. */
  applySettlement(invoice: SettledInvoice, cursorKey: string): Promise<SettlementOutcome>;
  getAccountView(peer: string): Promise<AccountView>;
  /** Re-decides one peer and stores a changed blocked state. */
  decide(peer: string): Promise<LedgerDecision>;
  /** Re-decides every known peer (at start-up, after a crash or a policy change). */
  reconcile(): Promise<LedgerDecision[]>;
  /** A torrent's price from the price book and the labels seen in the last poll. */
  priceOf(infohash: string): PriceResolution;
}

export function createSellerLedger(options: SellerLedgerOptions): SellerLedger {
  const { store, priceBook, policy } = options;
  const clock = options.clock ?? (() => new Date());
  const knownLabels = new Map<string, readonly string[]>();
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs account read-decide-write sequences one at a time. */
  const exclusive = <T>(body: () => Promise<T>): Promise<T> => {
    const result = queue.then(body, body);
    queue = result.catch(() => undefined);
    return result;
  };

  const priceOf = (infohash: string): PriceResolution => {
    const key = infohash.toLowerCase();
    const labels = knownLabels.get(key);
    return priceBook.resolve(labels ? { infohash: key, labels } : { infohash: key });
  };

  const decideUnlocked = async (peer: string, at: Date): Promise<LedgerDecision> => {
    const decision = policy.decide(peer, await store.getAccount(peer));
    if (decision.changed) await store.setBlocked(peer, decision.kind === "block", decision.reason, at);
    return decision;
  };

  const recordPollUnlocked = async (
    poll: PollResult,
    torrents: readonly TorrentInfo[],
  ): Promise<PollRecording> => {
    for (const torrent of torrents) knownLabels.set(torrent.infohash.toLowerCase(), [...torrent.labels]);
    const skipped: SkippedSample[] = [];
    const invalidTags: PollRecording["invalidTags"] = [];
    const byPeer = new Map<
      string,
      { infohash: string; bytes: bigint; price: MsatPerGiB; accuracy: "exact" | "estimated" }[]
    >();
    for (const torrent of poll.torrents) {
      const infohash = torrent.infohash.toLowerCase();
      const price = priceOf(infohash);
      if (price.invalidTags.length > 0) invalidTags.push({ infohash, tags: price.invalidTags });
      if (price.free) continue;
      for (const sample of torrent.peers) {
        const peer = tryNormalizeAddress(sample.address);
        if (peer === undefined) {
          skipped.push({ infohash, address: String(sample.address).slice(0, 64), reason: "bad-address" });
          continue;
        }
        if (!Number.isSafeInteger(sample.uploadedBytes) || sample.uploadedBytes < 0) {
          skipped.push({ infohash, address: peer, reason: "bad-byte-count" });
          continue;
        }
        if (sample.uploadedBytes === 0) continue;
        const items = byPeer.get(peer) ?? [];
        items.push({
          infohash,
          bytes: BigInt(sample.uploadedBytes),
          price: price.priceMsatPerGiB,
          accuracy: sample.accuracy === "exact" ? "exact" : "estimated",
        });
        byPeer.set(peer, items);
      }
    }

    const records: UsageRecord[] = [];
    for (const [peer, items] of byPeer) {
      let freeLeft = policy.freeBytesRemaining(await store.getAccount(peer));
      for (const item of items) {
        const freeBytes = smallerOf(item.bytes, freeLeft);
        freeLeft -= freeBytes;
        records.push({
          peer,
          infohash: item.infohash,
          bytes: item.bytes,
          freeBytes,
          priceMsatPerGiB: item.price,
          costMsat: costOfBytes(item.bytes - freeBytes, item.price),
          accuracy: item.accuracy,
          at: poll.at,
        });
      }
    }
    if (records.length > 0) await store.recordUsage(records);

    const decisions: LedgerDecision[] = [];
    for (const peer of byPeer.keys()) decisions.push(await decideUnlocked(peer, poll.at));
    return { decisions, records, skipped, invalidTags };
  };

  return {
    store,
    priceBook,
    policy,
    priceOf,
    recordPoll: (poll, torrents) => exclusive(() => recordPollUnlocked(poll, torrents)),

    applySettlement: (invoice, cursorKey) =>
      exclusive(async () => {
        const result = await store.applySettlement({
          paymentHash: invoice.paymentHash,
          receivedMsat: invoice.amountMsat,
          settledAt: invoice.settledAt,
          cursorKey,
          cursor: invoice.cursor,
        });
        // Re-decide also after "already-credited": a crash may have struck between the credit and
        // the unblock, and the replay is what finishes the job.
        if (!result.invoice) return result;
        return { ...result, decision: await decideUnlocked(result.invoice.peer, clock()) };
      }),

    async getAccountView(address) {
      const peer = normalizeAddress(address);
      const account = await store.getAccount(peer);
      const balanceMsat = account ? accountBalance(account) : 0n;
      return {
        peer,
        known: account !== undefined,
        creditMsat: account?.creditMsat ?? 0n,
        costMsat: account?.costMsat ?? 0n,
        balanceMsat,
        debtMsat: balanceMsat < 0n ? -balanceMsat : 0n,
        bytesServed: account?.bytesServed ?? 0n,
        freeBytesRemaining: policy.freeBytesRemaining(account),
        creditLineMsat: policy.creditLine(account),
        paymentsSettled: account?.paymentsSettled ?? 0,
        blocked: account?.blocked ?? false,
        ...(account?.blockedReason === undefined ? {} : { blockedReason: account.blockedReason }),
        amountToUnblockMsat: policy.amountToUnblock(account),
        offerMsat: policy.offer(account),
      };
    },

    decide: (address) => exclusive(() => decideUnlocked(normalizeAddress(address), clock())),

    reconcile: () =>
      exclusive(async () => {
        const decisions: LedgerDecision[] = [];
        const at = clock();
        for (const account of await store.listAccounts())
          decisions.push(await decideUnlocked(account.peer, at));
        return decisions;
      }),
  };
}
