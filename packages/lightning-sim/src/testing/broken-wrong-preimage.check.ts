// Runs the conformance suite against an adapter that is broken on purpose (wrong-preimage); the suite
// must fail. Started only by sim-adapter-conformance-negative.test.ts.
import { runPaymentAdapterConformance } from "@peerpay/testkit";
import { createBrokenPair } from "./broken-sim-adapters.js";

const pair = createBrokenPair("wrong-preimage");
runPaymentAdapterConformance({
  name: "broken: wrong-preimage",
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
