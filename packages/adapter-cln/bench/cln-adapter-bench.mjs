/**
 * Throughput of the CLN adapter against the lightningd DOUBLE (not a real node): raw JSON-RPC
 * round trips one at a time vs pipelined on one connection, over the socket and over clnrest, and
 * invoice → payment → settled-stream delivery. Prints numbers; asserts nothing. Build first
 * (`npx tsc -b packages/adapter-cln`), then `npm run bench -w @peerpay/adapter-cln`.
 * Every loop is bounded by a count and a deadline.
 */
import { createClnAdapter } from "@peerpay/adapter-cln";
import { createLightningdDouble } from "@peerpay/adapter-cln/testing";
import { createSimAdapter, createSimNetwork } from "@peerpay/lightning-sim";

const RUNE = "bench-rune-not-secret";
const DEADLINE_MS = 20_000;

const network = createSimNetwork();
const cln = network.addNode({ alias: "cln" });
const buyer = network.addNode({ alias: "buyer" });
network.openChannel(buyer, cln, 9_000_000_000n);
const double = await createLightningdDouble({ network, node: cln, rest: { runes: [RUNE] } });
const payer = createSimAdapter({ network, node: buyer });

async function measure(label, count, concurrency, call) {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count && performance.now() - started < DEADLINE_MS) {
      next++;
      await call();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${label.padEnd(48)} ${String(next).padStart(5)} calls  ${(next / seconds).toFixed(0).padStart(6)} calls/s`,
  );
}

for (const mode of ["socket", "rest"]) {
  const adapter = createClnAdapter(
    mode === "socket" ? { socketPath: double.socketPath } : { rest: { url: double.restUrl, rune: RUNE } },
  );
  const client = adapter.getInstance();
  await measure(`${mode}: getinfo, one at a time`, 2_000, 1, () => client.call("getinfo", {}));
  await measure(`${mode}: getinfo, 50 pipelined`, 5_000, 50, () => client.call("getinfo", {}));
  await measure(`${mode}: createInvoice, 20 pipelined`, 1_000, 20, () =>
    adapter.createInvoice({ amountMsat: 1_000n, expirySeconds: 600 }),
  );

  // Invoice → paid by a simulated peer → delivered by the settled stream (waitanyinvoice).
  const info = await adapter.getInfo();
  const waiting = new Map();
  const subscription = adapter.subscribeSettledInvoices({
    // The double's pay_index is the simulated node's settle index: start after what is settled.
    cursor: String(network.listSettledInvoices(cln).length),
    onSettled: async (invoice) => waiting.get(invoice.paymentHash)?.(),
  });
  const latencies = [];
  const began = performance.now();
  for (let index = 0; index < 200 && performance.now() - began < DEADLINE_MS; index++) {
    const invoice = await adapter.createInvoice({ amountMsat: 2_000n, expirySeconds: 600 });
    const t0 = performance.now();
    const delivered = new Promise((resolve) => waiting.set(invoice.paymentHash, resolve));
    await payer.payInvoice({
      paymentRequest: invoice.paymentRequest,
      expectedAmountMsat: 2_000n,
      maxFeeMsat: 0n,
    });
    await delivered;
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(2);
  console.log(
    `${`${mode}: pay → settled-stream delivery (${info.network})`.padEnd(48)} ${String(latencies.length).padStart(5)} invoices p50 ${pick(0.5)} ms  p99 ${pick(0.99)} ms`,
  );
  await subscription.close();
  await adapter.close();
}

await payer.close();
await double.close();
