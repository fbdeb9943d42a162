// Ledger throughput on a real SQLite file (not a test: it prints numbers).
//
//   npx tsc -b packages/core && node packages/core/bench/ledger-bench.mjs [--quick]
//
// Measures byte events (usage records) batched and one per transaction, whole polls through the
// seller ledger (pricing, free allowance, decisions), and settled payments with exactly-once on
// (new ones and replayed duplicates), each with synchronous=FULL (the default) and NORMAL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createLedgerPolicy,
  createPriceBook,
  createSellerLedger,
  createSqliteLedgerStore,
} from "../dist/index.js";

const quick = process.argv.includes("--quick");
const scale = quick ? 0.1 : 1;
const directory = mkdtempSync(join(tmpdir(), "peerpay-ledger-bench-"));
let fileCount = 0;
const results = [];

function openStore(synchronous) {
  fileCount += 1;
  return createSqliteLedgerStore({ path: join(directory, `bench-${fileCount}.sqlite`), synchronous });
}

function usageRecord(index, at) {
  return {
    peer: `10.0.${(index >> 8) & 255}.${index & 255}`,
    infohash: "6".repeat(40),
    bytes: 16384n,
    freeBytes: 0n,
    priceMsatPerGiB: 100_000n,
    costMsat: 1n,
    accuracy: "exact",
    at,
  };
}

async function measure(name, count, unit, body) {
  const started = process.hrtime.bigint();
  await body();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = Math.round(count / seconds);
  results.push({
    name,
    count,
    seconds: seconds.toFixed(2),
    rate: `${rate.toLocaleString("en-US")} ${unit}/s`,
  });
}

async function benchUsage(synchronous) {
  const batched = openStore(synchronous);
  const events = Math.round(200_000 * scale);
  const batchSize = 500;
  const at = new Date();
  await measure(`usage events, batches of ${batchSize} (${synchronous})`, events, "events", async () => {
    for (let start = 0; start < events; start += batchSize) {
      const batch = [];
      for (let index = start; index < Math.min(events, start + batchSize); index++) {
        batch.push(usageRecord(index % 1000, at));
      }
      await batched.recordUsage(batch);
    }
  });
  await batched.close();

  const single = openStore(synchronous);
  const singles = Math.round((synchronous === "full" ? 3000 : 10_000) * scale);
  await measure(`usage events, one per transaction (${synchronous})`, singles, "events", async () => {
    for (let index = 0; index < singles; index++) await single.recordUsage([usageRecord(index % 1000, at)]);
  });
  await single.close();
}

async function benchPolls(synchronous) {
  const store = openStore(synchronous);
  const ledger = createSellerLedger({
    store,
    priceBook: createPriceBook({ defaultPrice: "100 sat/GiB" }),
    policy: createLedgerPolicy({
      freeAllowanceBytes: 1024 * 1024,
      baseCreditLineMsat: 1_000_000_000n,
      maxCreditLineMsat: 1_000_000_000n,
    }),
  });
  const peers = 50;
  const infohashes = ["7".repeat(40), "8".repeat(40)];
  const torrents = infohashes.map((infohash) => ({
    infohash,
    name: "bench",
    labels: [],
    sizeBytes: 1 << 30,
    uploadedBytes: 0,
    downloadedBytes: 0,
    progress: 1,
    state: "seeding",
  }));
  const polls = Math.round(1000 * scale);
  await measure(
    `polls of ${peers} peers x 2 torrents via seller ledger (${synchronous})`,
    polls * peers * 2,
    "events",
    async () => {
      for (let round = 0; round < polls; round++) {
        const poll = {
          at: new Date(),
          torrents: infohashes.map((infohash) => ({
            infohash,
            uploadedBytes: peers * 65536,
            peers: Array.from({ length: peers }, (_, index) => ({
              address: `10.1.0.${index + 1}`,
              port: 6881,
              uploadedBytes: 65536,
              downloadedBytes: 0,
              accuracy: "exact",
              uploadRate: 0,
              downloadRate: 0,
              progress: 0.5,
            })),
          })),
        };
        await ledger.recordPoll(poll, torrents);
      }
    },
  );
  await store.close();
}

async function benchSettlements(synchronous) {
  const store = openStore(synchronous);
  const count = Math.round((synchronous === "full" ? 3000 : 10_000) * scale);
  const hashes = Array.from({ length: count }, (_, index) => index.toString(16).padStart(64, "0"));
  for (const [index, paymentHash] of hashes.entries()) {
    await store.recordInvoice({
      paymentHash,
      paymentRequest: `lnsim${index}`,
      peer: `10.2.${(index >> 8) & 255}.${index & 255}`,
      requestedBy: "10.2.0.1",
      amountMsat: 10_000n,
      creditMsat: 10_000n,
      listenPorts: [],
      rail: "lightning",
      state: "open",
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 3_600_000),
    });
  }
  const settle = (paymentHash, index) =>
    store.applySettlement({
      paymentHash,
      receivedMsat: 10_000n,
      settledAt: new Date(),
      cursorKey: "bench:node",
      cursor: String(index + 1),
    });
  await measure(`settled payments credited, exactly-once (${synchronous})`, count, "payments", async () => {
    for (const [index, paymentHash] of hashes.entries()) await settle(paymentHash, index);
  });
  await measure(`duplicate settlements refused (${synchronous})`, count, "payments", async () => {
    for (const [index, paymentHash] of hashes.entries()) await settle(paymentHash, index);
  });
  const credited = (await store.listAccounts()).reduce((sum, account) => sum + account.creditMsat, 0n);
  if (credited !== BigInt(count) * 10_000n)
    throw new Error(`credited ${credited}, expected ${count * 10_000}`);
  await store.close();
}

try {
  console.log(
    `peerpay ledger benchmark — node ${process.version}, SQLite file in ${directory}${quick ? " (quick)" : ""}`,
  );
  for (const synchronous of ["full", "normal"]) {
    await benchUsage(synchronous);
    await benchPolls(synchronous);
    await benchSettlements(synchronous);
  }
  console.table(results);
} finally {
  rmSync(directory, { recursive: true, force: true });
}
