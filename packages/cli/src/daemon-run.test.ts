/**
 * `peerpay run` as a real child process with both roles — the seller on one real client (127.0.0.2),
 * the buyer on the other (127.0.0.3), in both directions — paying over sim:// (the simulated
 * network lives in the one process, so both roles share it). Then `peerpay status`, `/metrics`,
 * the status page in headless Chromium, `peerpay ledger export`, and a graceful SIGTERM that gives
 * the seller's client back what peerpay changed. The buyer asks for its balance only every 4 s while
 * its credit covers well under a second of transfer, so it is blocked and unblocked several times:
 * the log gives the time from each credited payment to the unblock.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createQbittorrentTestClient,
  createTestTorrent,
  startQbittorrentDaemon,
  startTransmissionDaemon,
  type TestTorrent,
} from "@peerpay/testkit/daemons";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  median,
  type PeerpayProcess,
  readLog,
  runPeerpay,
  settleToUnblockMs,
  sleep,
  startPeerpay,
} from "./daemon-process.test.fixture.js";
import { type DemoPeer, startDemoPeer } from "./demo-peers.js";
import { chromiumMissing, viewStatusPage } from "./status-browser.test.fixture.js";
import type { StatusSnapshot } from "./status-snapshot.js";

const harness = { startTransmissionDaemon, startQbittorrentDaemon, createQbittorrentTestClient };
const SELLER = "127.0.0.2";
const BUYER = "127.0.0.3";
describe.each([
  { sellerClient: "transmission", buyerClient: "qbittorrent" },
  { sellerClient: "qbittorrent", buyerClient: "transmission" },
] as const)(
  "peerpay run: $sellerClient seller, $buyerClient buyer, one process, sim://",
  ({ sellerClient, buyerClient }) => {
    const cleanups: (() => Promise<unknown>)[] = [];
    let seller: DemoPeer;
    let buyer: DemoPeer;
    let torrent: TestTorrent;
    let daemon: PeerpayProcess;
    let statusUrl: string;
    let blocklistBefore: Record<string, unknown> | undefined;
    const directory = mkdtempSync(join(tmpdir(), `peerpay-run-${sellerClient}-`));
    const configFile = join(directory, "peerpay.yaml");
    const logFile = join(directory, "peerpay.log");

    beforeAll(async () => {
      torrent = await createTestTorrent({
        directory: join(directory, "content"),
        name: "run-test.bin",
        sizeBytes: 8 * 1024 * 1024,
        seed: "peerpay run test",
      });
      seller = await startDemoPeer(sellerClient, {
        role: "seller",
        address: SELLER,
        directory,
        uploadLimitKB: 700,
        ...harness,
      });
      cleanups.push(() => seller.stop());
      buyer = await startDemoPeer(buyerClient, { role: "buyer", address: BUYER, directory, ...harness });
      cleanups.push(() => buyer.stop());
      await seller.seed(torrent, ["peerpay:100000sat/GiB"]);
      if (sellerClient === "transmission") blocklistBefore = await transmissionSession(seller);
      const sellerPort = await freePort(SELLER);
      const statusPort = await freePort("127.0.0.1");
      statusUrl = `http://127.0.0.1:${statusPort}`;
      const sellerUrl = new URL(seller.baseUrl);
      const buyerUrl = new URL(buyer.baseUrl);
      writeFileSync(
        configFile,
        `# written by daemon-run.test.ts
  lightning: sim://
  ledger: { path: ${join(directory, "ledger.sqlite")} }
  stateDirectory: ${join(directory, "state")}
  seller:
    client: ${sellerClient}://${seller.username}:${seller.password}@${sellerUrl.host}
    listen: { host: ${SELLER}, port: ${sellerPort} }
    policy: { freeAllowance: 2 MiB, creditLine: 20000, prepay: 50000 }
    kick: { enabled: true, minIntervalMs: 4000 }
  buyer:
    client: ${buyerClient}://${buyer.username}:${buyer.password}@${buyerUrl.host}
    maxPrice: 150000 sat/GiB
    prepay: 50000
    budgets: { total: 10000 sat, perSeller: 5000 sat }
    sourceAddress: ${BUYER}
    listenPorts: [${buyer.peerPort}]
    sellerPort: ${sellerPort}
    balanceIntervalMs: 4000
  status: { port: ${statusPort} }
  `,
      );
      daemon = startPeerpay(["run", "--config", configFile, "--log-file", logFile]);
      cleanups.push(() => daemon.stop());
      await daemon.waitFor(/status page http:\/\/\S+/, 30_000);
      await buyer.download(torrent);
      // Transmission never dials loopback peers and has no RPC to add one: the qBittorrent side dials.
      const dialed =
        (await buyer.dial(torrent.infohash, { address: SELLER, port: seller.peerPort })) ||
        (await seller.dial(torrent.infohash, { address: BUYER, port: buyer.peerPort }));
      expect(dialed).toBe(true);
    }, 90_000);

    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      if (!process.env.PEERPAY_KEEP_TEST_DIR) rmSync(directory, { recursive: true, force: true });
    });

    async function status(): Promise<StatusSnapshot> {
      return (await (await fetch(`${statusUrl}/api/status`)).json()) as StatusSnapshot;
    }

    it("downloads the paid torrent intact while the buyer pays the seller", async () => {
      const deadline = Date.now() + 200_000;
      let progress = 0;
      for (let round = 0; round < 400 && Date.now() < deadline && progress < 1; round++) {
        progress = (await buyer.counters(torrent.infohash)).progress;
        await sleep(500);
      }
      expect(progress).toBe(1);
      expect(await buyer.contentSha256(torrent)).toBe(torrent.contentSha256);
      // The seller's ledger catches up with its client's counter a poll later, then the buyer
      // settles up what it still owes and the seller credits it: wait for all three (bounded).
      const settled = async () => {
        const current = await status();
        const account = current.seller?.peers.find((entry) => entry.peer === BUYER);
        const uploaded = (await seller.counters(torrent.infohash)).uploaded;
        const done =
          account !== undefined &&
          BigInt(account.balanceMsat) >= 0n &&
          current.totals.earnedMsat === current.totals.spentMsat &&
          Math.abs(account.bytesServed - uploaded) <= uploaded * 0.05;
        return { current, done };
      };
      let { current: snapshot, done } = await settled();
      for (let round = 0; round < 60 && !done; round++) {
        await sleep(500);
        ({ current: snapshot, done } = await settled());
      }
      expect(snapshot.simulated).toBe(true);
      expect(BigInt(snapshot.totals.earnedMsat)).toBeGreaterThan(0n);
      // sim:// on a direct channel charges no routing fee: what the buyer spent is what the seller earned.
      expect(snapshot.totals.earnedMsat).toBe(snapshot.totals.spentMsat);
      const peer = snapshot.seller?.peers.find((entry) => entry.peer === BUYER);
      expect(peer?.freeBytesUsed).toBe(2 * 1024 * 1024);
      expect(peer?.creditMsat).toBe(snapshot.totals.earnedMsat);
      const counters = await seller.counters(torrent.infohash);
      // The seller's ledger counted what its client uploaded, within 5 %.
      expect(Math.abs((peer?.bytesServed ?? 0) - counters.uploaded)).toBeLessThanOrEqual(
        counters.uploaded * 0.05,
      );
      const unpaidBytes = peer ? (-BigInt(peer.balanceMsat) * 1024n ** 3n) / 100_000_000n : 0n;
      const latencies = settleToUnblockMs(readLog(logFile));
      console.info(
        `run e2e (${sellerClient} seller): served ${peer?.bytesServed} bytes (client counted ${counters.uploaded}), earned ${snapshot.totals.earnedMsat} msat, ` +
          `balance ${peer?.balanceMsat} msat (${unpaidBytes > 0n ? unpaidBytes : 0n} bytes beyond what was paid for), ` +
          `settled→unblocked ${latencies.length} times: median ${median(latencies)} ms, worst ${Math.max(...latencies, 0)} ms`,
      );
    }, 270_000);

    it("`peerpay status` and /metrics report the same money as /api/status", async () => {
      const snapshot = await status();
      const shown = await runPeerpay(["status", "--url", statusUrl]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain(`earned: ${snapshot.totals.earnedMsat} msat`);
      expect(shown.stdout).toContain(BUYER);
      expect(shown.stdout).toContain("SIMULATED");
      const metrics = await (await fetch(`${statusUrl}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1]);
      expect(value("peerpay_msat_earned_total")).toBe(Number(snapshot.totals.earnedMsat));
      expect(value("peerpay_msat_spent_total")).toBe(Number(snapshot.totals.spentMsat));
      expect(value("peerpay_invoices_settled_total")).toBeGreaterThan(0);
      expect(value("peerpay_invoices_created_total")).toBeGreaterThanOrEqual(
        value("peerpay_invoices_settled_total"),
      );
      expect(metrics).toMatch(/^peerpay_poll_duration_seconds_count\{role="seller"\} [1-9]/m);
      expect(metrics).toContain('peerpay_bytes_priced_total{kind="free"} 2097152');
    });

    it.skipIf(chromiumMissing)(
      "the status page in headless Chromium shows the numbers the API gives",
      async () => {
        const snapshot = await status();
        const screenshot = join(process.env.PEERPAY_SCREENSHOT_DIR ?? directory, "status-page.png");
        const view = await viewStatusPage(`${statusUrl}/`, screenshot);
        const after = await status();
        expect(after.totals.earnedMsat).toBe(snapshot.totals.earnedMsat);
        expect(view.earnedMsat).toBe(snapshot.totals.earnedMsat);
        expect(view.spentMsat).toBe(snapshot.totals.spentMsat);
        expect(view.simulatedBanner).toBe(true);
        expect(view.chartPaths).toBe(2);
        const peer = snapshot.seller?.peers.find((entry) => entry.peer === BUYER);
        expect(view.peers[BUYER]?.[2]).toBe(peer?.balanceMsat);
        expect(view.peers[BUYER]?.[3]).toBe(peer?.creditMsat);
        const sellerAccount = snapshot.buyer?.sellers[0];
        expect(sellerAccount && view.sellers[sellerAccount.seller]?.[1]).toBe(sellerAccount?.paidMsat);
        expect(view.paymentRows).toBe(Math.min(20, snapshot.recentPayments.length));
      },
      60_000,
    );

    it("`peerpay ledger export` itemises the same earnings (CSV and JSON), then SIGTERM shuts down cleanly", async () => {
      const snapshot = await status();
      const ledger = join(directory, "ledger.sqlite");
      const csv = await runPeerpay(["ledger", "export", "--ledger", ledger, "--format", "csv"]);
      expect(csv.code, csv.stderr).toBe(0);
      const [header, ...rows] = csv.stdout.trim().split("\n");
      expect(header).toBe("id,at,kind,counterparty,infohash,bytes,amount_msat,payment_hash,note");
      const settlements = rows.map((row) => row.split(",")).filter((cells) => cells[2] === "settlement");
      const earned = settlements.reduce((sum, cells) => sum + BigInt(cells[6] ?? "0"), 0n);
      expect(earned.toString()).toBe(snapshot.totals.earnedMsat);
      // The deepest the buyer ran into debt (bytes served beyond what was paid, free allowance excluded).
      let balance = 0n;
      let worstDebt = 0n;
      for (const cells of rows.map((row) => row.split(","))) {
        if (cells[3] !== BUYER) continue;
        if (cells[2] === "usage") balance -= BigInt(cells[6] || "0");
        if (cells[2] === "settlement") balance += BigInt(cells[6] || "0");
        if (-balance > worstDebt) worstDebt = -balance;
      }
      console.info(
        `run e2e (${sellerClient} seller): deepest debt ${worstDebt} msat ≈ ${(worstDebt * 1024n ** 3n) / 100_000_000n} bytes served beyond what was paid for (credit line 20000 msat ≈ 214748 bytes)`,
      );
      const json = await runPeerpay([
        "ledger",
        "export",
        "--ledger",
        ledger,
        "--format",
        "json",
        "--since",
        "2000-01-01",
      ]);
      const entries = JSON.parse(json.stdout) as { kind: string; amountMsat?: string }[];
      expect(entries).toHaveLength(rows.length);
      const future = await runPeerpay(["ledger", "export", "--ledger", ledger, "--since", "2999-01-01"]);
      expect(future.stdout.trim()).toBe(header);

      expect(await daemon.stop()).toBe(0);
      expect(daemon.stdout()).toContain("peerpay run: stopped");
      // The daemon's own changes to Transmission's blocklist settings were given back.
      if (blocklistBefore) {
        const session = await transmissionSession(seller);
        expect(session["blocklist-url"]).toBe(blocklistBefore["blocklist-url"]);
        expect(session["blocklist-enabled"]).toBe(blocklistBefore["blocklist-enabled"]);
      } else {
        // qBittorrent: the bans peerpay made were lifted (seller.restoreOnClose).
        const banned = await createQbittorrentTestClient({
          baseUrl: seller.baseUrl,
          username: seller.username,
          password: seller.password,
        }).getBannedIps();
        expect(banned).not.toContain(BUYER);
      }
      const log = readLog(logFile);
      expect(log.some((line) => line.msg === "stopped")).toBe(true);
      // No secret of the configuration appears anywhere in the log.
      const text = JSON.stringify(log);
      expect(text).not.toContain(seller.password);
      expect(text).not.toContain(buyer.password);
    }, 60_000);
  },
);

/** Transmission's session settings, read over its RPC (with the 409 session-id handshake). */
async function transmissionSession(peer: DemoPeer): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {
    authorization: `Basic ${Buffer.from(`${peer.username}:${peer.password}`).toString("base64")}`,
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    const response = await fetch(`${peer.baseUrl}transmission/rpc`, {
      method: "POST",
      headers,
      body: JSON.stringify({ method: "session-get" }),
    });
    if (response.status === 409) {
      headers["x-transmission-session-id"] = response.headers.get("x-transmission-session-id") ?? "";
      continue;
    }
    return ((await response.json()) as { arguments: Record<string, unknown> }).arguments;
  }
  throw new Error("no Transmission session");
}
