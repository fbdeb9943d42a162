// Throughput of the simulated Lightning network (not a test: it prints numbers).
//
//   npx tsc -b packages/lightning-sim && node packages/lightning-sim/bench/sim-bench.mjs [--quick]
//
// Measures, through the payment adapter: invoice creation (encode + sign), decode (with signature
// check), and full cycles of invoice + payment over 1 and 3 hops; and the settled-invoice stream
// replaying a node's whole history from cursor undefined.
import { createSimAdapter, createSimNetwork } from "../dist/index.js";

const quick = process.argv.includes("--quick");
const count = quick ? 200 : 2000;

function line(label, operations, milliseconds) {
  const rate = (operations / milliseconds) * 1000;
  console.log(
    `${label.padEnd(48)} ${String(operations).padStart(6)} in ${milliseconds.toFixed(0).padStart(6)} ms  ${rate.toFixed(0).padStart(7)}/s`,
  );
}

async function measure(label, operations, body) {
  const start = performance.now();
  for (let index = 0; index < operations; index++) await body(index);
  line(label, operations, performance.now() - start);
}

// A line: buyer → hop1 → hop2 → seller, each forwarding hop charging 1000 msat + 1 ppm.
const network = createSimNetwork();
const names = ["buyer", "hop1", "hop2", "seller"];
for (const alias of names) network.addNode({ alias, balanceMsat: 100_000_000_000n });
for (let index = 0; index < names.length - 1; index++) {
  network.openChannel(names[index], names[index + 1], 50_000_000_000n);
}
const seller = createSimAdapter({ network, node: "seller" });
const neighbour = createSimAdapter({ network, node: "hop2" });
const buyer = createSimAdapter({ network, node: "buyer" });

async function cycle(payer, maxFeeMsat) {
  const invoice = await seller.createInvoice({ amountMsat: 1000n, expirySeconds: 600 });
  await payer.payInvoice({ paymentRequest: invoice.paymentRequest, expectedAmountMsat: 1000n, maxFeeMsat });
}

console.log("lightning-sim (simulated, not real money)");
const sample = await seller.createInvoice({ amountMsat: 1000n, expirySeconds: 600 });
await measure("createInvoice (encode + sign)", count, () =>
  seller.createInvoice({ amountMsat: 1000n, expirySeconds: 600 }),
);
await measure("decodeInvoice (decode + verify signature)", count, () =>
  buyer.decodeInvoice(sample.paymentRequest),
);
await measure("invoice + payment, 1 hop", count, () => cycle(neighbour, 0n));
await measure("invoice + payment, 3 hops (2 forwarding fees)", count, () => cycle(buyer, 5000n));

const settledCount = network.listSettledInvoices("seller").length;
const start = performance.now();
let delivered = 0;
await new Promise((resolve) => {
  const subscription = seller.subscribeSettledInvoices({
    cursor: undefined,
    onSettled: async () => {
      delivered += 1;
      if (delivered === settledCount) void subscription.close().then(resolve);
    },
  });
});
line("settled stream replay from cursor undefined", delivered, performance.now() - start);
await Promise.all([seller.close(), neighbour.close(), buyer.close()]);
