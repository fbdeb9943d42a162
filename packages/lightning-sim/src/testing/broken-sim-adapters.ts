/**
 * Deliberately broken payment adapters, built by wrapping the simulator's correct one, so the
 * conformance suite can be shown to catch each kind of breakage (see
 * sim-adapter-conformance-negative.test.ts). Never use these for anything else.
 */
import type { PaymentAdapter, SettledInvoiceSubscriptionOptions } from "@peerpay/core";
import { runPaymentAdapterConformance } from "@peerpay/testkit";
import { createSimAdapter } from "../sim-adapter.js";
import { createSimNetwork } from "../sim-network.js";
import type { SimNetwork } from "../sim-network-types.js";

export type BrokenKind =
  | "skips-invoice-checks"
  | "wrong-preimage"
  | "stream-ignores-cursor"
  | "stream-duplicates"
  | "raw-errors";

export interface BrokenPair {
  readonly network: SimNetwork;
  createPayee(): Promise<PaymentAdapter>;
  createPayer(): Promise<PaymentAdapter>;
}

export function createBrokenPair(kind: BrokenKind): BrokenPair {
  const network = createSimNetwork();
  const seller = network.addNode({ alias: "seller" });
  const buyer = network.addNode({ alias: "buyer" });
  network.openChannel(buyer, seller, 1_000_000_000n);
  const wrap = (adapter: PaymentAdapter, payer: boolean): PaymentAdapter => {
    switch (kind) {
      case "skips-invoice-checks":
        return payer
          ? {
              ...adapter,
              payInvoice: (request) =>
                network.payInvoice(buyer, {
                  paymentRequest: request.paymentRequest,
                  maxFeeMsat: request.maxFeeMsat,
                }),
            }
          : adapter;
      case "wrong-preimage":
        return {
          ...adapter,
          payInvoice: async (request) => ({
            ...(await adapter.payInvoice(request)),
            preimage: "00".repeat(32),
          }),
        };
      case "stream-ignores-cursor":
        return {
          ...adapter,
          subscribeSettledInvoices: (options: SettledInvoiceSubscriptionOptions) =>
            adapter.subscribeSettledInvoices({
              ...options,
              cursor: String(network.listSettledInvoices(seller).length),
            }),
        };
      case "stream-duplicates":
        return {
          ...adapter,
          subscribeSettledInvoices: (options: SettledInvoiceSubscriptionOptions) =>
            adapter.subscribeSettledInvoices({
              ...options,
              onSettled: async (invoice) => {
                await options.onSettled(invoice);
                await options.onSettled(invoice);
              },
            }),
        };
      case "raw-errors":
        return {
          ...adapter,
          getInfo: async () => {
            if (!network.isOnline(seller)) throw new Error("connect ECONNREFUSED 127.0.0.1:10009");
            return adapter.getInfo();
          },
          lookupInvoice: async (hash) => {
            if (!/^[0-9a-f]{64}$/.test(hash)) throw new TypeError("bad hash");
            return adapter.lookupInvoice(hash);
          },
        };
    }
  };
  return {
    network,
    createPayee: async () => wrap(createSimAdapter({ network, node: seller, reconnectDelayMs: 10 }), false),
    createPayer: async () => wrap(createSimAdapter({ network, node: buyer }), true),
  };
}

/** Runs the conformance suite against one broken adapter (the body of each `broken-*.check.ts`). */
export function runBrokenConformance(kind: BrokenKind): void {
  const pair = createBrokenPair(kind);
  runPaymentAdapterConformance({
    name: `broken: ${kind}`,
    network: "simnet",
    createPayee: pair.createPayee,
    createPayer: pair.createPayer,
    faults: {
      makeUnavailable: async () => {
        pair.network.setNodeFaults("seller", { offline: true });
        return async () => pair.network.setNodeFaults("seller", { offline: false });
      },
    },
    waitMs: 1000,
  });
}
