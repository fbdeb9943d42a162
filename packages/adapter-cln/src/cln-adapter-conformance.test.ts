/**
 * The shared payment-adapter conformance suite, run against the CLN adapter talking to two
 * lightningd DOUBLES (protocol-level stand-ins, see src/testing) on the simulated network: once
 * over the unix socket, once over clnrest. Payer and payee are both CLN adapters.
 */
import type { PaymentAdapter } from "@peerpay/core";
import { createSimNetwork } from "@peerpay/lightning-sim";
import { runPaymentAdapterConformance } from "@peerpay/testkit";
import { afterAll } from "vitest";
import { type ClnAdapterOptions, createClnAdapter } from "./cln-adapter.js";
import { TEST_RUNE } from "./cln-testbed.test.support.js";
import { createLightningdDouble, type LightningdDouble } from "./testing/lightningd-double.js";

for (const mode of ["socket", "rest"] as const) {
  const network = createSimNetwork();
  const seller = network.addNode({ alias: "cln-seller" });
  const buyer = network.addNode({ alias: "cln-buyer" });
  network.openChannel(buyer, seller, 5_000_000_000n);
  const doubles: Promise<LightningdDouble>[] = [seller, buyer].map((node) =>
    createLightningdDouble({ network, node, rest: { runes: [TEST_RUNE] } }),
  );
  const [sellerDouble, buyerDouble] = doubles as [Promise<LightningdDouble>, Promise<LightningdDouble>];

  const connect = (double: LightningdDouble): PaymentAdapter => {
    const common: Partial<ClnAdapterOptions> = {
      requestTimeoutMs: 15_000,
      waitTimeoutSeconds: 2,
      reconnectDelayMs: { initial: 20, max: 250 },
    };
    return mode === "socket"
      ? createClnAdapter({ ...common, socketPath: double.socketPath })
      : createClnAdapter({ ...common, rest: { url: double.restUrl as string, rune: TEST_RUNE } });
  };
  let payee: PaymentAdapter | undefined;

  afterAll(async () => {
    for (const double of doubles) await (await double).close();
  });

  runPaymentAdapterConformance({
    name: `cln over ${mode} (lightningd double on the simulated network)`,
    network: "simnet",
    capabilities: { descriptionHash: false },
    maxFeeMsat: 10_000n,
    waitMs: 10_000,
    async createPayee() {
      payee = connect(await sellerDouble);
      return payee;
    },
    async createPayer() {
      return connect(await buyerDouble);
    },
    async restartPayee() {
      await payee?.close();
      await (await sellerDouble).restart();
      payee = connect(await sellerDouble);
      return payee;
    },
    faults: {
      async makeUnavailable() {
        const double = await sellerDouble;
        await double.stop();
        return () => double.start();
      },
      async dropSettledStream() {
        (await sellerDouble).faults.dropConnections();
      },
    },
  });
}
