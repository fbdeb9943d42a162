/**
 * `peerpay seed` as a real child process in front of a real transmission-daemon (127.0.0.2), and a
 * real qbittorrent-nox (127.0.0.3) downloading with no peerpay at all: it gets the free allowance,
 * runs past its credit line, is blocked (and cut off by the opt-in torrent restart Transmission 3.00
 * needs), and the seller's status and ledger export say why. Configured with flags and an env
 * password only (no file), which must never reach the log.
 */
import { mkdtempSync, rmSync } from "node:fs";
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
  type PeerpayProcess,
  readLog,
  runPeerpay,
  sleep,
  startPeerpay,
} from "./daemon-process.test.fixture.js";
import { type DemoPeer, startDemoPeer } from "./demo-peers.js";
import type { StatusSnapshot } from "./status-snapshot.js";

const SELLER = "127.0.0.2";
const BUYER = "127.0.0.3";
const FREE_BYTES = 1024 * 1024;
const directory = mkdtempSync(join(tmpdir(), "peerpay-seed-test-"));
const harness = { startTransmissionDaemon, startQbittorrentDaemon, createQbittorrentTestClient };
const cleanups: (() => Promise<unknown>)[] = [];
const logFile = join(directory, "peerpay.log");
const ledger = join(directory, "ledger.sqlite");
let seller: DemoPeer;
let buyer: DemoPeer;
let torrent: TestTorrent;
let daemon: PeerpayProcess;
let statusUrl: string;

beforeAll(async () => {
  torrent = await createTestTorrent({
    directory: join(directory, "content"),
    name: "seed-test.bin",
    sizeBytes: 8 * 1024 * 1024,
    seed: "peerpay seed test",
  });
  seller = await startDemoPeer("transmission", {
    role: "seller",
    address: SELLER,
    directory,
    uploadLimitKB: 400,
    ...harness,
  });
  cleanups.push(() => seller.stop());
  buyer = await startDemoPeer("qbittorrent", { role: "buyer", address: BUYER, directory, ...harness });
  cleanups.push(() => buyer.stop());
  await seller.seed(torrent, []);
  const statusPort = await freePort("127.0.0.1");
  statusUrl = `http://127.0.0.1:${statusPort}`;
  daemon = startPeerpay(
    [
      "seed",
      "--client",
      `transmission://${seller.username}@${new URL(seller.baseUrl).host}`,
      "--lightning",
      "sim://",
      "--ledger",
      ledger,
      "--state-dir",
      join(directory, "state"),
      "--listen-host",
      SELLER,
      "--listen-port",
      String(await freePort(SELLER)),
      "--price",
      "100000 sat/GiB",
      "--status-port",
      String(statusPort),
      "--set",
      `seller.policy.freeAllowance=${FREE_BYTES}`,
      "--set",
      "seller.policy.creditLine=5000",
      "--set",
      "seller.kick.enabled=true",
      "--set",
      "seller.kick.minIntervalMs=3000",
      "--log-file",
      logFile,
    ],
    { PEERPAY_CLIENT_PASSWORD: seller.password },
  );
  cleanups.push(() => daemon.stop());
  await daemon.waitFor(/status page http:\/\/\S+/, 30_000);
  await buyer.download(torrent);
  await buyer.dial(torrent.infohash, { address: SELLER, port: seller.peerPort });
}, 90_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(directory, { recursive: true, force: true });
});

async function status(): Promise<StatusSnapshot> {
  return (await (await fetch(`${statusUrl}/api/status`)).json()) as StatusSnapshot;
}

describe("peerpay seed with a buyer that has no peerpay", () => {
  it("serves the free allowance, blocks the peer, and the transfer stops short", async () => {
    let peer: NonNullable<StatusSnapshot["seller"]>["peers"][number] | undefined;
    for (let round = 0; round < 120 && !peer?.blocked; round++) {
      await sleep(500);
      peer = (await status()).seller?.peers.find((entry) => entry.peer === BUYER);
    }
    expect(peer?.blocked).toBe(true);
    expect(peer?.blockedReason).toMatch(/credit line/);
    expect(peer?.creditMsat).toBe("0");
    expect(peer?.freeBytesUsed).toBe(FREE_BYTES);
    // Give the kick time to cut the connection, then the download must stand still.
    await sleep(8000);
    const before = await buyer.counters(torrent.infohash);
    await sleep(6000);
    const after = await buyer.counters(torrent.infohash);
    expect(after.progress).toBeLessThan(1);
    expect(after.downloaded - before.downloaded).toBeLessThan(64 * 1024);
    const final = (await status()).seller?.peers.find((entry) => entry.peer === BUYER);
    const creditLineBytes = (5000 * 1024 ** 3) / 100_000_000;
    console.info(
      `seed e2e (no-peerpay buyer): served ${final?.bytesServed} bytes, free ${final?.freeBytesUsed}, ` +
        `unpaid beyond allowance ${Number(final?.bytesServed) - FREE_BYTES} bytes ` +
        `(credit line covers ${Math.floor(creditLineBytes)}); buyer got ${after.downloaded} bytes, stalled at ${(after.progress * 100).toFixed(1)} %`,
    );
  }, 120_000);

  it("`peerpay status` and `peerpay ledger export` say why", async () => {
    const shown = await runPeerpay(["status", "--url", statusUrl]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`${BUYER.replace(/\./g, "\\.")}\\s+BLOCKED .*credit line`));
    const csv = await runPeerpay(["ledger", "export", "--ledger", ledger]);
    expect(csv.code, csv.stderr).toBe(0);
    const blocks = csv.stdout.split("\n").filter((line) => line.includes(`,block,${BUYER},`));
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    expect(blocks[0]).toMatch(/credit line/);
    expect(csv.stdout).not.toContain(",settlement,");
  }, 30_000);

  it("stops on SIGTERM with exit 0 and never logged the password", async () => {
    expect(await daemon.stop()).toBe(0);
    const log = readLog(logFile);
    expect(log.some((line) => line.event === "block" && line.peer === BUYER)).toBe(true);
    expect(log.some((line) => line.msg === "stopped")).toBe(true);
    expect(JSON.stringify(log)).not.toContain(seller.password);
    expect(daemon.stderr()).not.toContain(seller.password);
  }, 30_000);
});

describe("peerpay leech", () => {
  it("starts the buyer role alone against the real client, serves its status, and stops on SIGTERM", async () => {
    const statusPort = await freePort("127.0.0.1");
    const leech = startPeerpay(
      [
        "leech",
        "--client",
        `qbittorrent://${buyer.username}@${new URL(buyer.baseUrl).host}`,
        "--ledger",
        join(directory, "buyer-ledger.sqlite"),
        "--state-dir",
        join(directory, "buyer-state"),
        "--max-price",
        "200 sat/GiB",
        "--budget",
        "1000 sat",
        "--source-address",
        BUYER,
        "--status-port",
        String(statusPort),
      ],
      { PEERPAY_CLIENT_PASSWORD: buyer.password },
    );
    cleanups.push(() => leech.stop());
    await leech.waitFor(/status page http:\/\/\S+/, 30_000);
    expect(leech.stdout()).toContain("SIMULATED Lightning network");
    const read = async () =>
      (await (await fetch(`http://127.0.0.1:${statusPort}/api/status`)).json()) as StatusSnapshot;
    let snapshot = await read();
    for (let round = 0; round < 40 && (snapshot.buyer?.polls ?? 0) < 1; round++) {
      await sleep(250);
      snapshot = await read();
    }
    expect(snapshot.roles).toEqual(["buyer"]);
    expect(snapshot.buyer?.polls).toBeGreaterThanOrEqual(1);
    expect(await leech.stop()).toBe(0);
    expect(leech.stdout()).toContain("peerpay leech: stopped");
    expect(leech.stderr()).not.toContain(buyer.password);
  }, 60_000);
});
