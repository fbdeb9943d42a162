import { createHash } from "node:crypto";
import { isPeerpayError } from "@peerpay/core";
import { describe, expect, it } from "vitest";
import { decodeBolt11 } from "./sim-invoice.js";
import { createSimNetwork } from "./sim-network.js";
import type { SimNetwork } from "./sim-network-types.js";

const sha256 = (hex: string) => createHash("sha256").update(Buffer.from(hex, "hex")).digest("hex");

async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  let caught: unknown;
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    caught = error;
  }
  expect(isPeerpayError(caught), `expected a PeerpayError ${code}, got ${String(caught)}`).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
}

/** alice → bob → carol → dave, each channel 1 000 000 sat, funded by the left node. */
function lineNetwork(now?: () => number): SimNetwork {
  const network = createSimNetwork(now ? { now } : {});
  for (const alias of ["alice", "bob", "carol", "dave"]) network.addNode({ alias });
  network.openChannel("alice", "bob", 1_000_000_000n, { feeBaseMsat: 1000n, feeRatePpm: 1n });
  network.openChannel("bob", "carol", 1_000_000_000n, { feeBaseMsat: 2000n, feeRatePpm: 100n });
  network.openChannel("carol", "dave", 1_000_000_000n, { feeBaseMsat: 500n, feeRatePpm: 1000n });
  return network;
}

describe("sim network: nodes and channels", () => {
  it("labels nodes as simulated and gives them real secp256k1 ids", () => {
    const network = createSimNetwork();
    const node = network.addNode({ alias: "alice" });
    expect(node.alias).toBe("alice (simulated)");
    expect(node.id).toMatch(/^0[23][0-9a-f]{64}$/);
    expect(network.getNode("alice")).toEqual(node);
    expect(network.getNode("alice (simulated)")).toEqual(node);
    expect(network.getNode(node.id)).toEqual(node);
    expect(network.simulated).toBe(true);
    expect(() => network.addNode({ alias: "alice" })).toThrow(/already exists/);
  });

  it("funds channels from the opener's wallet and returns balances on close", () => {
    const network = createSimNetwork();
    network.addNode({ alias: "alice", balanceMsat: 5_000_000n });
    network.addNode({ alias: "bob", balanceMsat: 0n });
    const channel = network.openChannel("alice", "bob", 3_000_000n, { pushMsat: 1_000_000n });
    expect(network.getBalance("alice")).toEqual({
      walletMsat: 2_000_000n,
      localMsat: 2_000_000n,
      remoteMsat: 1_000_000n,
      inFlightMsat: 0n,
    });
    expect(network.getBalance("bob").localMsat).toBe(1_000_000n);
    expect(() => network.openChannel("alice", "bob", 3_000_000n)).toThrow(/on chain/);
    network.closeChannel(channel.id);
    expect(network.getBalance("alice").walletMsat).toBe(4_000_000n);
    expect(network.getBalance("bob").walletMsat).toBe(1_000_000n);
    expect(network.listChannels()).toEqual([]);
  });
});

describe("sim network: invoices and payments", () => {
  it("issues signed invoices whose hash is the sha256 of a real preimage", () => {
    const network = lineNetwork();
    const invoice = network.createInvoice("dave", {
      amountMsat: 21_000n,
      expirySeconds: 600,
      description: "x",
    });
    expect(invoice.paymentRequest.startsWith("lnsb")).toBe(true);
    expect(sha256(invoice.preimage)).toBe(invoice.paymentHash);
    const decoded = decodeBolt11(invoice.paymentRequest);
    expect(decoded).toMatchObject({
      paymentHash: invoice.paymentHash,
      network: "simnet",
      payee: network.getNode("dave").id,
      amountMsat: 21_000n,
      description: "x",
    });
    expect(decoded.expiresAt.getTime() - decoded.createdAt.getTime()).toBe(600_000);
  });

  it("routes over three hops, charging the payer the fees and moving balances along the path", async () => {
    const network = lineNetwork();
    const before = Object.fromEntries(
      ["alice", "bob", "carol", "dave"].map((alias) => [alias, network.getBalance(alias).localMsat]),
    );
    const invoice = network.createInvoice("dave", { amountMsat: 1_000_000n, expirySeconds: 600 });
    const result = await network.payInvoice("alice", {
      paymentRequest: invoice.paymentRequest,
      maxFeeMsat: 10_000n,
    });
    // carol forwards 1 000 000 over carol→dave: 500 + 1000 = 1500; bob forwards 1 001 500: 2000 + 100 = 2100.
    expect(result.feeMsat).toBe(3600n);
    expect(sha256(result.preimage)).toBe(invoice.paymentHash);
    const after = (alias: string) => network.getBalance(alias).localMsat - before[alias]!;
    expect(after("alice")).toBe(-1_003_600n);
    expect(after("bob")).toBe(2100n);
    expect(after("carol")).toBe(1500n);
    expect(after("dave")).toBe(1_000_000n);
    const settled = network.lookupInvoice("dave", invoice.paymentHash)!;
    expect(settled).toMatchObject({ state: "settled", receivedMsat: 1_000_000n, settleIndex: 1n });
    expect(network.lookupPayment("alice", invoice.paymentHash)).toMatchObject({
      status: "succeeded",
      feeMsat: 3600n,
      preimage: invoice.preimage,
    });
    expect(network.lookupPayment("alice", invoice.paymentHash)!.hops).toHaveLength(3);
  });

  it("refuses what the network cannot do, moving nothing", async () => {
    const network = lineNetwork();
    network.addNode({ alias: "island" });
    const balances = () =>
      network.listChannels().map((channel) => [channel.balanceAMsat, channel.balanceBMsat]);
    const start = balances();
    const pay = (paymentRequest: string, maxFeeMsat = 100_000n) =>
      network.payInvoice("alice", { paymentRequest, maxFeeMsat });
    const toIsland = network.createInvoice("island", { amountMsat: 1000n, expirySeconds: 60 });
    await expectCode(pay(toIsland.paymentRequest), "NO_ROUTE");
    const tooBig = network.createInvoice("bob", { amountMsat: 2_000_000_000n, expirySeconds: 60 });
    await expectCode(pay(tooBig.paymentRequest), "INSUFFICIENT_BALANCE");
    const far = network.createInvoice("dave", { amountMsat: 1_000_000n, expirySeconds: 60 });
    await expectCode(pay(far.paymentRequest, 3599n), "FEE_LIMIT_EXCEEDED");
    // bob cannot send back to alice: alice funded their channel, so bob's side of it is empty.
    const back = network.createInvoice("alice", { amountMsat: 1000n, expirySeconds: 60 });
    await expectCode(
      network.payInvoice("bob", { paymentRequest: back.paymentRequest, maxFeeMsat: 0n }),
      "NO_ROUTE",
    );
    await expectCode(
      network.payInvoice("dave", { paymentRequest: back.paymentRequest, maxFeeMsat: 0n }),
      "INSUFFICIENT_BALANCE",
    );
    expect(balances()).toEqual(start);
    expect(network.lookupInvoice("dave", far.paymentHash)!.state).toBe("open");
    expect(network.lookupPayment("alice", far.paymentHash)).toMatchObject({
      status: "failed",
      failureCode: "FEE_LIMIT_EXCEEDED",
    });
    // After the failure the same invoice can still be paid with a sufficient limit.
    expect((await pay(far.paymentRequest, 3600n)).feeMsat).toBe(3600n);
  });

  it("refuses expired invoices by the network's clock", async () => {
    let now = Date.UTC(2026, 0, 1);
    const network = lineNetwork(() => now);
    const invoice = network.createInvoice("bob", { amountMsat: 1000n, expirySeconds: 60 });
    now += 60_000;
    expect(network.lookupInvoice("bob", invoice.paymentHash)!.state).toBe("expired");
    await expectCode(
      network.payInvoice("alice", { paymentRequest: invoice.paymentRequest, maxFeeMsat: 0n }),
      "INVOICE_EXPIRED",
    );
  });

  it("never pays a hash twice, also when asked concurrently", async () => {
    const network = lineNetwork();
    network.setNodeFaults("bob", { settlementDelayMs: 50 });
    const invoice = network.createInvoice("bob", { amountMsat: 50_000n, expirySeconds: 60 });
    const start = network.getBalance("alice").localMsat;
    const request = { paymentRequest: invoice.paymentRequest, maxFeeMsat: 0n };
    const results = await Promise.all([
      network.payInvoice("alice", request),
      network.payInvoice("alice", request),
    ]);
    const again = await network.payInvoice("alice", request);
    expect(results.map((result) => result.preimage)).toEqual([invoice.preimage, invoice.preimage]);
    expect(results.filter((result) => result.alreadyPaid)).toHaveLength(1);
    expect(again.alreadyPaid).toBe(true);
    expect(network.getBalance("alice").localMsat).toBe(start - 50_000n);
    expect(network.lookupInvoice("bob", invoice.paymentHash)!.receivedMsat).toBe(50_000n);
    expect(network.listSettledInvoices("bob")).toHaveLength(1);
  });

  it("refuses an invoice another node already paid", async () => {
    const network = lineNetwork();
    const invoice = network.createInvoice("carol", { amountMsat: 10_000n, expirySeconds: 60 });
    await network.payInvoice("bob", { paymentRequest: invoice.paymentRequest, maxFeeMsat: 0n });
    await expectCode(
      network.payInvoice("alice", { paymentRequest: invoice.paymentRequest, maxFeeMsat: 10_000n }),
      "INVOICE_ALREADY_PAID",
    );
  });

  it("numbers settlements per node from 1 upwards", async () => {
    const network = lineNetwork();
    for (let index = 0; index < 3; index++) {
      const invoice = network.createInvoice("bob", { amountMsat: 1000n + BigInt(index), expirySeconds: 60 });
      await network.payInvoice("alice", { paymentRequest: invoice.paymentRequest, maxFeeMsat: 0n });
    }
    expect(network.listSettledInvoices("bob").map((invoice) => invoice.settleIndex)).toEqual([1n, 2n, 3n]);
    expect(network.listSettledInvoices("bob", 2n).map((invoice) => invoice.amountMsat)).toEqual([1002n]);
    expect(network.listSettledInvoices("bob", 0n, 2).map((invoice) => invoice.settleIndex)).toEqual([1n, 2n]);
    expect(network.listSettledInvoices("bob", 3n)).toEqual([]);
    expect(network.listSettledInvoices("carol")).toEqual([]);
  });
});

describe("sim network: faults", () => {
  it("routes around an offline node and cannot pay an offline payee", async () => {
    const network = lineNetwork();
    network.addNode({ alias: "erin" });
    network.openChannel("alice", "erin", 1_000_000_000n, { feeBaseMsat: 0n, feeRatePpm: 0n });
    network.openChannel("erin", "carol", 1_000_000_000n, { feeBaseMsat: 9000n, feeRatePpm: 0n });
    network.setNodeFaults("bob", { offline: true });
    const invoice = network.createInvoice("carol", { amountMsat: 1000n, expirySeconds: 60 });
    const result = await network.payInvoice("alice", {
      paymentRequest: invoice.paymentRequest,
      maxFeeMsat: 10_000n,
    });
    expect(result.feeMsat).toBe(9000n);
    expect(network.lookupPayment("alice", invoice.paymentHash)!.hops.map((hop) => hop.to)).toEqual([
      network.getNode("erin").id,
      network.getNode("carol").id,
    ]);
    const toBob = network.createInvoice("carol", { amountMsat: 1000n, expirySeconds: 60 });
    network.setNodeFaults("carol", { offline: true });
    await expectCode(
      network.payInvoice("alice", { paymentRequest: toBob.paymentRequest, maxFeeMsat: 10_000n }),
      "NO_ROUTE",
    );
    await expectCode(
      () => network.createInvoice("carol", { amountMsat: 1n, expirySeconds: 60 }),
      "BACKEND_UNAVAILABLE",
    );
    await expectCode(
      network.payInvoice("carol", { paymentRequest: toBob.paymentRequest, maxFeeMsat: 0n }),
      "BACKEND_UNAVAILABLE",
    );
    network.clearNodeFaults("carol");
    expect(network.isOnline("carol")).toBe(true);
  });

  it("injects failures per payment, for a number of attempts", async () => {
    const network = lineNetwork();
    const invoice = network.createInvoice("bob", { amountMsat: 1000n, expirySeconds: 60 });
    network.setPaymentFault(invoice.paymentHash, { failure: "NO_ROUTE", times: 2 });
    const request = { paymentRequest: invoice.paymentRequest, maxFeeMsat: 0n };
    await expectCode(network.payInvoice("alice", request), "NO_ROUTE");
    await expectCode(network.payInvoice("alice", request), "NO_ROUTE");
    expect((await network.payInvoice("alice", request)).preimage).toBe(invoice.preimage);
  });

  it("injects failures per node", async () => {
    const network = lineNetwork();
    network.setNodeFaults("alice", { failPayments: "INSUFFICIENT_BALANCE" });
    const invoice = network.createInvoice("bob", { amountMsat: 1000n, expirySeconds: 60 });
    const request = { paymentRequest: invoice.paymentRequest, maxFeeMsat: 0n };
    await expectCode(network.payInvoice("alice", request), "INSUFFICIENT_BALANCE");
    network.setNodeFaults("alice", { failPayments: undefined });
    await network.payInvoice("alice", request);
  });

  it("settles slowly: a short timeout reports the payment in flight, and it completes later", async () => {
    const network = lineNetwork();
    const invoice = network.createInvoice("bob", { amountMsat: 7000n, expirySeconds: 60 });
    network.setPaymentFault(invoice.paymentHash, { settlementDelayMs: 300 });
    const request = { paymentRequest: invoice.paymentRequest, maxFeeMsat: 0n };
    await expectCode(network.payInvoice("alice", { ...request, timeoutMs: 20 }), "PAYMENT_IN_FLIGHT");
    expect(network.lookupPayment("alice", invoice.paymentHash)!.status).toBe("in-flight");
    expect(network.getBalance("alice").inFlightMsat).toBe(7000n);
    expect(() => network.closeChannel(network.listChannels("bob")[0]!.id)).toThrow(/still settling/);
    expect(network.lookupInvoice("bob", invoice.paymentHash)!.state).toBe("open");
    const joined = await network.payInvoice("alice", request);
    expect(joined).toMatchObject({ preimage: invoice.preimage, alreadyPaid: true });
    expect(network.lookupInvoice("bob", invoice.paymentHash)!.state).toBe("settled");
    expect(network.getBalance("alice").inFlightMsat).toBe(0n);
  });
});
