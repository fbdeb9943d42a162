/**
 * The shared payment-adapter conformance suite against a real LND pair on regtest: bob (payee,
 * seller role, reached through a loopback TCP relay so the suite can break the connection) and
 * alice (payer, buyer role), with a channel alice→bob. Skipped, saying why, only when the LND
 * binaries have not been built (scripts/lnd-build.sh).
 */
import type { PaymentAdapter } from "@peerpay/core";
import { runPaymentAdapterConformance } from "@peerpay/testkit";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createLndAdapter } from "./lnd-adapter.js";
import { type LndRegtest, startLndRegtest } from "./lnd-regtest-harness.js";
import { findLndBinaries } from "./lnd-regtest-processes.js";
import { startTcpProxy, type TcpProxy } from "./lnd-tcp-proxy.js";

const binaries = findLndBinaries();

if ("missing" in binaries) {
  describe(`payment adapter conformance: lnd (regtest) [skipped: ${binaries.missing}]`, () => {
    it.skip("runs only where the LND binaries are built", () => {});
  });
} else {
  let network: LndRegtest | undefined;
  let proxy: TcpProxy | undefined;
  let payee: PaymentAdapter | undefined;

  beforeAll(async () => {
    network = await startLndRegtest({ binaries });
    proxy = await startTcpProxy(network.nodes.bob.socket);
  }, 240_000);

  afterAll(async () => {
    await proxy?.close();
    await network?.stop();
  }, 60_000);

  const createPayee = async () => {
    const bob = (network as LndRegtest).nodes.bob;
    payee = createLndAdapter({
      socket: (proxy as TcpProxy).socket,
      cert: bob.certPath,
      macaroon: bob.adminMacaroonPath,
      role: "seller",
      reconnectDelayMs: { initial: 100, max: 1_000 },
    });
    return payee;
  };

  runPaymentAdapterConformance({
    name: "lnd (regtest)",
    network: "regtest",
    createPayee,
    createPayer: async () => {
      const alice = (network as LndRegtest).nodes.alice;
      return createLndAdapter({
        socket: alice.socket,
        cert: alice.certPath,
        macaroon: alice.adminMacaroonPath,
        role: "buyer",
      });
    },
    // The program restarts: a new adapter for the same node, resuming from the stored cursor.
    restartPayee: async () => {
      await payee?.close();
      return createPayee();
    },
    faults: {
      makeUnavailable: async () => {
        await (proxy as TcpProxy).pause();
        return () => (proxy as TcpProxy).resume();
      },
      dropSettledStream: async () => (proxy as TcpProxy).dropConnections(),
    },
    waitMs: 30_000,
  });
}
