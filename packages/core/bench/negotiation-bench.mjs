#!/usr/bin/env node
/**
 * Negotiation endpoint throughput on loopback (a benchmark, not a test).
 *
 * The seller runs in a child process: the negotiation handler served by `serveNegotiation` on
 * 127.0.0.1, a SQLite ledger in a temp dir, and a node of the simulated Lightning network (real
 * signed BOLT11 invoices; no real money). The parent drives it with autocannon:
 *   1. GET /.well-known/peerpay   (discovery/quote document)
 *   2. GET /peerpay/v1/balance    (ledger read)
 *   3. POST /peerpay/v1/invoices  (invoice: BOLT11 signing + SQLite insert)
 *
 * All requests come from 127.0.0.1, so the per-address limits (rate, open invoices) are raised
 * for the run; otherwise the rate limiter would answer 429 after the burst, which measures only
 * the limiter. Build first: `npx tsc -b packages/core packages/lightning-sim`.
 *
 * Usage: node packages/core/bench/negotiation-bench.mjs [secondsPerRun=5] [connections=10] [full|normal]
 * (the last argument is the SQLite `synchronous` mode; "full", the default, syncs every commit)
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

if (process.argv[2] === "--serve") await serve();
else await drive();

async function serve() {
  const core = await import("@peerpay/core");
  const sim = await import("@peerpay/lightning-sim");
  const directory = mkdtempSync(join(tmpdir(), "peerpay-negotiation-bench-"));
  const network = sim.createSimNetwork();
  const node = network.addNode({ alias: "bench-seller" });
  const adapter = sim.createSimAdapter({ network, node });
  const store = core.createSqliteLedgerStore({
    path: join(directory, "seller.sqlite"),
    synchronous: process.argv[3] === "normal" ? "normal" : "full",
  });
  const ledger = core.createSellerLedger({
    store,
    priceBook: core.createPriceBook({ defaultPrice: "100 sat/GiB" }),
    policy: core.createLedgerPolicy({}),
  });
  const handler = core.createNegotiationHandler({
    adapter,
    store,
    ...core.negotiationFromSellerLedger(ledger),
    limits: { requestsPerSecond: 1e9, burst: 1e9, maxOpenInvoicesPerPeer: 1e9 },
  });
  const server = await core.serveNegotiation(handler, { host: "127.0.0.1", port: 0 });
  process.send?.({ url: server.url });
  process.on("message", async (message) => {
    if (message !== "stop") return;
    await server.close();
    await store.close();
    await adapter.close();
    rmSync(directory, { recursive: true, force: true });
    process.exit(0);
  });
}

async function drive() {
  const { default: autocannon } = await import("autocannon");
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 10);
  const synchronous = process.argv[4] === "normal" ? "normal" : "full";
  const child = fork(fileURLToPath(import.meta.url), ["--serve", synchronous], { stdio: "inherit" });
  const { url } = await new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`seller exited with ${code}`)));
  });
  const run = (title, options) =>
    new Promise((resolve, reject) => {
      const { path, ...rest } = options;
      autocannon({ url: `${url}${path}`, connections, duration: seconds, ...rest }, (error, result) => {
        if (error) return reject(error);
        const ok = result["2xx"];
        const other = result.non2xx;
        console.log(
          `${title.padEnd(34)} ${Math.round(result.requests.average).toString().padStart(7)} req/s  ` +
            `p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  2xx ${ok}  non-2xx ${other}  errors ${result.errors}`,
        );
        resolve(result);
      });
    });
  console.log(
    `negotiation endpoint on ${url} (simulated Lightning, SQLite ledger, synchronous=${synchronous}), ${connections} connections, ${seconds} s each`,
  );
  try {
    await run("GET /.well-known/peerpay", { method: "GET", path: "/.well-known/peerpay" });
    await run("GET /peerpay/v1/balance", { method: "GET", path: "/peerpay/v1/balance" });
    await run("POST /peerpay/v1/invoices", {
      method: "POST",
      path: "/peerpay/v1/invoices",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ amountMsat: "1000", listenPorts: [51413] }),
    });
  } finally {
    child.send("stop");
    await new Promise((resolve) => child.once("exit", resolve));
  }
}
