/**
 * The simulated network's adapter runs the same conformance suite as the LND and Core Lightning
 * adapters. The payer reaches the payee through a routing node, so payments pay real routing fees.
 */
import type { PaymentAdapter } from "@peerpay/core";
import { runPaymentAdapterConformance } from "@peerpay/testkit";
import { createSimAdapter } from "./sim-adapter.js";
import { createSimNetwork } from "./sim-network.js";

const network = createSimNetwork();
const seller = network.addNode({ alias: "seller" });
const router = network.addNode({ alias: "router" });
const buyer = network.addNode({ alias: "buyer" });
network.openChannel(buyer, router, 1_000_000_000n, { feeBaseMsat: 0n, feeRatePpm: 0n });
network.openChannel(router, seller, 1_000_000_000n, { feeBaseMsat: 1000n, feeRatePpm: 10n });

let payee: PaymentAdapter | undefined;
const openPayee = () => {
  payee = createSimAdapter({ network, node: seller, reconnectDelayMs: 20 });
  return payee;
};

runPaymentAdapterConformance({
  name: "lightning-sim",
  network: "simnet",
  createPayee: async () => openPayee(),
  createPayer: async () => createSimAdapter({ network, node: buyer }),
  // The node keeps its invoices and settle index; the program (the adapter) restarts.
  restartPayee: async () => {
    await payee?.close();
    return openPayee();
  },
  faults: {
    makeUnavailable: async () => {
      network.setNodeFaults(seller, { offline: true });
      return async () => network.setNodeFaults(seller, { offline: false });
    },
    dropSettledStream: async () => network.dropSettledStreams(seller),
  },
  waitMs: 5000,
});
