import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLedgerPolicy } from "./ledger-policy.js";
import type { IssuedInvoiceRecord } from "./ledger-store.js";
import { createMemoryLedgerStore } from "./memory-ledger-store.js";
import { BYTES_PER_GIB, costOfBytes } from "./money.js";
import { createPriceBook } from "./price-book.js";
import { createSellerLedger } from "./seller-ledger.js";
import type { PeerSample, PollResult, TorrentInfo } from "./torrent-bridge.js";

const PAID = "1".repeat(40);
const TAGGED = "2".repeat(40);
const FREE = "3".repeat(40);
const MIB = 1024 * 1024;

function torrent(infohash: string, labels: string[]): TorrentInfo {
  return {
    infohash,
    name: infohash.slice(0, 6),
    labels,
    sizeBytes: 100 * MIB,
    uploadedBytes: 0,
    downloadedBytes: 0,
    progress: 1,
    state: "seeding",
  };
}

const torrents = [
  torrent(PAID, ["paid"]),
  torrent(TAGGED, ["peerpay:1000sat/GiB"]),
  torrent(FREE, ["linux-isos"]),
];

function sample(address: string, uploadedBytes: number): PeerSample {
  return {
    address,
    port: 51413,
    uploadedBytes,
    downloadedBytes: 0,
    accuracy: "exact",
    uploadRate: 0,
    downloadRate: 0,
    progress: 0.5,
  };
}

function poll(seconds: number, ...entries: [string, PeerSample[]][]): PollResult {
  return {
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)),
    torrents: entries.map(([infohash, peers]) => ({
      infohash,
      uploadedBytes: peers.reduce((sum, peer) => sum + peer.uploadedBytes, 0),
      peers,
    })),
  };
}

function setup() {
  const store = createMemoryLedgerStore();
  const ledger = createSellerLedger({
    store,
    priceBook: createPriceBook({ labels: { paid: "100 sat/GiB" } }),
    // 1 MiB free, then 5 sat of debt (≈ 50 MiB at 100 sat/GiB) before a block
    policy: createLedgerPolicy({ freeAllowanceBytes: MIB, baseCreditLineMsat: 5000n }),
  });
  return { store, ledger };
}

function issued(peer: string, paymentHash: string, amountMsat: bigint): IssuedInvoiceRecord {
  return {
    paymentHash,
    paymentRequest: `lnsim1${paymentHash.slice(0, 8)}`,
    peer,
    requestedBy: peer,
    amountMsat,
    creditMsat: amountMsat,
    listenPorts: [],
    rail: "lightning",
    state: "open",
    createdAt: new Date(0),
    expiresAt: new Date(Date.UTC(2030, 0, 1)),
  };
}

describe("seller ledger", () => {
  it("uses the free allowance first, then charges at the torrent's price", async () => {
    const { ledger, store } = setup();
    const result = await ledger.recordPoll(poll(1, [PAID, [sample("192.0.2.1", 3 * MIB)]]), torrents);
    expect(result.records).toHaveLength(1);
    expect(result.records[0]).toMatchObject({
      bytes: 3n * 1048576n,
      freeBytes: 1048576n,
      priceMsatPerGiB: 100_000n,
    });
    // 2 MiB at 100 000 msat/GiB = 195.3125 msat → 195 (floor per record)
    expect(result.records[0]?.costMsat).toBe(195n);
    expect(result.decisions).toMatchObject([
      { peer: "192.0.2.1", kind: "allow", code: "within-credit-line" },
    ]);
    expect(await store.getAccount("192.0.2.1")).toMatchObject({ costMsat: 195n, freeBytesUsed: 1048576n });
  });

  it("spreads the allowance over a peer's torrents in poll order and normalises addresses", async () => {
    const { ledger, store } = setup();
    const result = await ledger.recordPoll(
      poll(1, [TAGGED, [sample("::ffff:192.0.2.2", MIB / 2)]], [PAID, [sample("192.0.2.2", MIB)]]),
      torrents,
    );
    expect(result.records.map((record) => [record.infohash, record.freeBytes])).toEqual([
      [TAGGED, BigInt(MIB / 2)],
      [PAID, BigInt(MIB / 2)],
    ]);
    expect(result.decisions).toHaveLength(1);
    expect((await store.getAccount("192.0.2.2"))?.bytesServed).toBe(BigInt(MIB + MIB / 2));
  });

  it("never records or enforces bytes on a free torrent", async () => {
    const { ledger, store } = setup();
    const result = await ledger.recordPoll(poll(1, [FREE, [sample("192.0.2.3", 10 * 1024 * MIB)]]), torrents);
    expect(result).toMatchObject({ records: [], decisions: [] });
    expect(await store.getAccount("192.0.2.3")).toBeUndefined();
    // and a peer in debt on a paid torrent gets no decision for its free-torrent traffic
    await ledger.recordPoll(poll(2, [PAID, [sample("192.0.2.3", 100 * MIB)]]), torrents);
    const later = await ledger.recordPoll(poll(3, [FREE, [sample("192.0.2.3", MIB)]]), torrents);
    expect(later.decisions).toEqual([]);
  });

  it("blocks a peer past its credit line, keeps it blocked, and unblocks it when it pays", async () => {
    const { ledger, store } = setup();
    const peer = "198.51.100.7";
    // 1 MiB free + 50 MiB ≈ 4882 msat: still within 5000
    const first = await ledger.recordPoll(poll(1, [PAID, [sample(peer, 51 * MIB)]]), torrents);
    expect(first.decisions[0]).toMatchObject({ kind: "allow", changed: false });
    const second = await ledger.recordPoll(poll(2, [PAID, [sample(peer, 2 * MIB)]]), torrents);
    expect(second.decisions[0]).toMatchObject({ kind: "block", code: "over-credit-line", changed: true });
    expect((await store.getAccount(peer))?.blocked).toBe(true);
    const third = await ledger.recordPoll(poll(3, [PAID, [sample(peer, MIB)]]), torrents);
    expect(third.decisions[0]).toMatchObject({ kind: "block", changed: false });

    const view = await ledger.getAccountView(peer);
    expect(view).toMatchObject({ blocked: true, amountToUnblockMsat: view.debtMsat, known: true });
    expect(view.debtMsat).toBe(5174n);
    expect(view.offerMsat).toBe(5174n + 10_000n);

    // paying less than the debt leaves it blocked (hysteresis), paying the rest unblocks it
    await store.recordInvoice(issued(peer, "a".repeat(64), 5000n));
    await store.recordInvoice(issued(peer, "b".repeat(64), 174n));
    const partial = await ledger.applySettlement(
      { paymentHash: "a".repeat(64), amountMsat: 5000n, settledAt: new Date(), cursor: "1" },
      "sim:seller",
    );
    expect(partial).toMatchObject({ credited: true, decision: { kind: "block", changed: false } });
    const rest = await ledger.applySettlement(
      { paymentHash: "b".repeat(64), amountMsat: 174n, settledAt: new Date(), cursor: "2" },
      "sim:seller",
    );
    expect(rest).toMatchObject({
      credited: true,
      decision: { kind: "allow", code: "paid-up", changed: true },
    });
    expect((await store.getAccount(peer))?.blocked).toBe(false);
    expect(await store.getCursor("sim:seller")).toBe("2");
    const lines = await store.history({ counterparty: peer, kinds: ["block", "unblock"] });
    expect(lines.map((line) => line.kind)).toEqual(["block", "unblock"]);
  });

  it("finishes an unblock on replay when a crash struck between the credit and the unblock", async () => {
    const { ledger, store } = setup();
    const peer = "203.0.113.9";
    await store.recordUsage([
      {
        peer,
        infohash: PAID,
        bytes: BYTES_PER_GIB,
        freeBytes: 0n,
        priceMsatPerGiB: 100_000n,
        costMsat: 100_000n,
        accuracy: "exact",
        at: new Date(),
      },
    ]);
    await store.setBlocked(peer, true, "debt", new Date());
    await store.recordInvoice(issued(peer, "c".repeat(64), 100_000n));
    // the credit committed, but the process died before the ledger stored the unblock
    await store.applySettlement({
      paymentHash: "c".repeat(64),
      receivedMsat: 100_000n,
      settledAt: new Date(),
      cursorKey: "sim:seller",
      cursor: "5",
    });
    expect((await store.getAccount(peer))?.blocked).toBe(true);
    const replay = await ledger.applySettlement(
      { paymentHash: "c".repeat(64), amountMsat: 100_000n, settledAt: new Date(), cursor: "5" },
      "sim:seller",
    );
    expect(replay).toMatchObject({
      credited: false,
      reason: "already-credited",
      decision: { kind: "allow" },
    });
    expect(await store.getAccount(peer)).toMatchObject({ blocked: false, creditMsat: 100_000n });
  });

  it("reconciles every account at start-up", async () => {
    const { store } = setup();
    await store.setBlocked("192.0.2.50", true, "old decision", new Date());
    const ledger = createSellerLedger({
      store,
      priceBook: createPriceBook(),
      policy: createLedgerPolicy(),
    });
    const decisions = await ledger.reconcile();
    expect(decisions).toMatchObject([{ peer: "192.0.2.50", kind: "allow", changed: true }]);
    expect((await store.getAccount("192.0.2.50"))?.blocked).toBe(false);
  });

  it("skips unusable samples and reports invalid price tags", async () => {
    const { ledger } = setup();
    const result = await ledger.recordPoll(
      poll(
        1,
        [
          PAID,
          [
            sample("not-an-ip", 100),
            sample("192.0.2.9", -5),
            sample("192.0.2.9", 1.5),
            sample("192.0.2.9", 0),
          ],
        ],
        [TAGGED, []],
      ),
      [...torrents.slice(0, 1), torrent(TAGGED, ["peerpay:cheap", "paid"])],
    );
    expect(result.records).toEqual([]);
    expect(result.decisions).toEqual([]);
    expect(result.skipped.map((entry) => entry.reason)).toEqual([
      "bad-address",
      "bad-byte-count",
      "bad-byte-count",
    ]);
    expect(result.invalidTags).toEqual([{ infohash: TAGGED, tags: ["peerpay:cheap"] }]);
    // the torrent is priced by its valid label rule, and the ledger remembers the labels it saw
    expect(ledger.priceOf(TAGGED)).toMatchObject({ source: "label", priceMsatPerGiB: 100_000n });
  });

  it("keeps two concurrent polls from spending the same free allowance twice", async () => {
    const { ledger, store } = setup();
    const peer = "192.0.2.77";
    await Promise.all([
      ledger.recordPoll(poll(1, [PAID, [sample(peer, MIB)]]), torrents),
      ledger.recordPoll(poll(2, [PAID, [sample(peer, MIB)]]), torrents),
    ]);
    expect(await store.getAccount(peer)).toMatchObject({ freeBytesUsed: 1048576n, costMsat: 97n });
  });

  it("gives an account view for an unknown peer and refuses a non-address", async () => {
    const { ledger } = setup();
    expect(await ledger.getAccountView("::ffff:10.0.0.1")).toMatchObject({
      peer: "10.0.0.1",
      known: false,
      balanceMsat: 0n,
      freeBytesRemaining: 1048576n,
      creditLineMsat: 5000n,
      blocked: false,
      amountToUnblockMsat: 0n,
      offerMsat: 10_000n,
    });
    await expect(ledger.getAccountView("example.org")).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});

describe("seller ledger (property)", () => {
  it("charges exactly the floor-per-record cost of priced bytes after the allowance, and nothing for free torrents", async () => {
    const peers = ["192.0.2.101", "192.0.2.102", "::ffff:192.0.2.101"];
    const infohashes = [PAID, TAGGED, FREE];
    const entry = fc.record({
      torrent: fc.integer({ min: 0, max: 2 }),
      peer: fc.integer({ min: 0, max: 2 }),
      bytes: fc.integer({ min: 0, max: 4 * MIB }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(entry, { maxLength: 6 }), { maxLength: 8 }), async (polls) => {
        const { ledger, store } = setup();
        const priced = new Map<string, bigint>();
        let expectedCost = 0n;
        for (const [index, entries] of polls.entries()) {
          const result = await ledger.recordPoll(
            poll(
              index,
              ...entries.map((item): [string, PeerSample[]] => [
                infohashes[item.torrent] ?? FREE,
                [sample(peers[item.peer] ?? "192.0.2.101", item.bytes)],
              ]),
            ),
            torrents,
          );
          for (const record of result.records) {
            expect(record.infohash).not.toBe(FREE);
            expect(record.priceMsatPerGiB).toBe(record.infohash === PAID ? 100_000n : 1_000_000n);
            expectedCost += costOfBytes(record.bytes - record.freeBytes, record.priceMsatPerGiB);
            priced.set(record.peer, (priced.get(record.peer) ?? 0n) + record.bytes);
          }
          for (const decision of result.decisions) expect(decision.peer).not.toMatch(/^::ffff:/);
        }
        let cost = 0n;
        for (const account of await store.listAccounts()) {
          const bytes = priced.get(account.peer) ?? 0n;
          expect(account.bytesServed).toBe(bytes);
          expect(account.freeBytesUsed).toBe(bytes < BigInt(MIB) ? bytes : BigInt(MIB));
          cost += account.costMsat;
          const debt = -(account.creditMsat - account.costMsat);
          if (account.blocked) expect(debt).toBeGreaterThan(5000n);
        }
        expect(cost).toBe(expectedCost);
      }),
      { numRuns: 60 },
    );
  });
});
