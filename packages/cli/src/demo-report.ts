/**
 * The demo's live progress line and its closing summary. Every number is read from a ledger or a
 * client, and the summary says whether the two sides agree.
 */
import { describeMsat, type LedgerStore, type Msat } from "@peerpay/core";
import type { TestTorrent } from "@peerpay/testkit/daemons";
import type { BuyerService } from "./buyer-service.js";
import type { DemoPeer } from "./demo-peers.js";
import type { SellerService } from "./seller-service.js";

export interface DemoProgress {
  readonly buyerProgress: number;
  readonly downloadedBytes: number;
  readonly sizeBytes: number;
  readonly earnedMsat: Msat;
  readonly paidMsat: Msat;
  readonly payments: number;
  readonly buyerState: string;
}

export interface DemoSummary {
  readonly lines: string[];
  /** True when the file arrived intact and both ledgers agree with each other and the clients. */
  readonly ok: boolean;
  readonly figures: {
    readonly servedBytes: bigint;
    readonly freeBytes: bigint;
    readonly costMsat: Msat;
    readonly earnedMsat: Msat;
    readonly paidMsat: Msat;
    readonly feesMsat: Msat;
    readonly receivedBytesByLedger: bigint;
    readonly sellerClientUploaded: number;
    readonly buyerClientDownloaded: number;
    readonly hashMatches: boolean;
  };
}

export interface DemoReportParts {
  readonly torrent: TestTorrent;
  readonly seller: DemoPeer;
  readonly buyer: DemoPeer;
  readonly sellerStore: LedgerStore;
  readonly buyerStore: LedgerStore;
  readonly sellerService: SellerService;
  readonly buyerService: BuyerService;
}

/** Byte counts of the two sides may differ by this fraction (Transmission's per-peer counts are estimates). */
const BYTE_TOLERANCE = 0.05;

export function createDemoReport(parts: DemoReportParts) {
  const { torrent, seller, buyer, sellerStore, buyerStore } = parts;
  const buyerAddress = buyer.address;

  const paidTotal = async () => {
    const payments = await buyerStore.listPayments({ state: "succeeded" });
    return {
      paidMsat: payments.reduce((sum, payment) => sum + payment.amountMsat, 0n),
      feesMsat: payments.reduce((sum, payment) => sum + (payment.feeMsat ?? 0n), 0n),
      count: payments.length,
    };
  };

  return {
    async progress(): Promise<DemoProgress> {
      const [counters, account, paid] = await Promise.all([
        buyer.counters(torrent.infohash),
        sellerStore.getAccount(buyerAddress),
        paidTotal(),
      ]);
      return {
        buyerProgress: counters.progress,
        downloadedBytes: counters.downloaded,
        sizeBytes: torrent.sizeBytes,
        earnedMsat: account?.creditMsat ?? 0n,
        paidMsat: paid.paidMsat,
        payments: paid.count,
        buyerState: account?.blocked ? "blocked" : "allowed",
      };
    },

    async summary(): Promise<DemoSummary> {
      const [account, paid, sellerCounters, buyerCounters, sellers, hash] = await Promise.all([
        sellerStore.getAccount(buyerAddress),
        paidTotal(),
        seller.counters(torrent.infohash),
        buyer.counters(torrent.infohash),
        buyerStore.listSellerAccounts(),
        buyer.contentSha256(torrent).catch(() => "unreadable"),
      ]);
      const servedBytes = account?.bytesServed ?? 0n;
      const freeBytes = account?.freeBytesUsed ?? 0n;
      const costMsat = account?.costMsat ?? 0n;
      const earnedMsat = account?.creditMsat ?? 0n;
      const receivedBytesByLedger = sellers.reduce((sum, entry) => sum + entry.bytesReceived, 0n);
      const hashMatches = hash === torrent.contentSha256;
      const close = (a: number, b: number) => b > 0 && Math.abs(a - b) / b <= BYTE_TOLERANCE;
      const checks = [
        { ok: hashMatches, text: `file arrived intact (sha256 ${hash.slice(0, 16)}…)` },
        {
          ok: earnedMsat === paid.paidMsat,
          text: `seller credited ${describeMsat(earnedMsat)} = buyer paid ${describeMsat(paid.paidMsat)}`,
        },
        {
          ok: close(Number(servedBytes), buyerCounters.downloaded),
          text: `seller ledger served ${servedBytes} B ≈ buyer client downloaded ${buyerCounters.downloaded} B`,
        },
        {
          ok: close(Number(servedBytes), sellerCounters.uploaded),
          text: `seller ledger served ${servedBytes} B ≈ seller client uploaded ${sellerCounters.uploaded} B`,
        },
        {
          ok: close(Number(receivedBytesByLedger), buyerCounters.downloaded),
          text: `buyer ledger received ${receivedBytesByLedger} B ≈ buyer client downloaded ${buyerCounters.downloaded} B`,
        },
        {
          ok: costMsat <= earnedMsat,
          text: `bytes cost ${describeMsat(costMsat)} (after ${freeBytes} free bytes), covered by ${describeMsat(earnedMsat)} paid`,
        },
      ];
      const lines = [
        "",
        "summary (simulated Lightning network: not real money)",
        `  payments: ${paid.count}, paid ${describeMsat(paid.paidMsat)} + ${describeMsat(paid.feesMsat)} routing fees`,
        `  prepaid credit the buyer still holds with the seller: ${describeMsat(earnedMsat - costMsat)}`,
        ...checks.map((check) => `  ${check.ok ? "✔" : "✘"} ${check.text}`),
      ];
      return {
        lines,
        ok: checks.every((check) => check.ok),
        figures: {
          servedBytes,
          freeBytes,
          costMsat,
          earnedMsat,
          paidMsat: paid.paidMsat,
          feesMsat: paid.feesMsat,
          receivedBytesByLedger,
          sellerClientUploaded: sellerCounters.uploaded,
          buyerClientDownloaded: buyerCounters.downloaded,
          hashMatches,
        },
      };
    },
  };
}

export function printProgress(output: NodeJS.WritableStream, progress: DemoProgress): void {
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const line =
    `  ${(progress.buyerProgress * 100).toFixed(0).padStart(3)}%  ${mib(progress.downloadedBytes)}/${mib(progress.sizeBytes)} MiB` +
    `  seller earned ${describeMsat(progress.earnedMsat)}  buyer paid ${describeMsat(progress.paidMsat)} in ${progress.payments} payments` +
    `  buyer ${progress.buyerState}`;
  const tty = (output as NodeJS.WriteStream).isTTY === true;
  output.write(tty ? `\r${line.padEnd(110)}` : `${line}\n`);
}
