import { createHash } from "node:crypto";
import { isPeerpayError, type PaymentAdapter, type SettledInvoice } from "@peerpay/core";
import bech32 from "bech32";
import { afterEach, describe, expect, it } from "vitest";
import { createSimAdapter } from "./sim-adapter.js";
import { createSimNetwork } from "./sim-network.js";

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: string; retryable: boolean; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(isPeerpayError(error)).toBe(true);
    return error as { code: string; retryable: boolean; message: string };
  }
  throw new Error("expected a rejection");
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const opened: PaymentAdapter[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((adapter) => adapter.close()));
});

function setup() {
  const network = createSimNetwork();
  const seller = network.addNode({ alias: "seller" });
  const buyer = network.addNode({ alias: "buyer" });
  network.openChannel(buyer, seller, 100_000_000n);
  const payee = createSimAdapter({ network, node: seller, reconnectDelayMs: 10 });
  const payer = createSimAdapter({ network, node: buyer });
  opened.push(payee, payer);
  return { network, seller, buyer, payee, payer };
}

const pay = (payer: PaymentAdapter, paymentRequest: string, amount: bigint) =>
  payer.payInvoice({ paymentRequest, expectedAmountMsat: amount, maxFeeMsat: 0n, expectedNetwork: "simnet" });

describe("sim adapter", () => {
  it("says everywhere that it is simulated", async () => {
    const { payee, seller } = setup();
    const info = await payee.getInfo();
    expect(info).toMatchObject({ nodeId: seller.id, network: "simnet", simulated: true });
    expect(info.alias).toMatch(/\(simulated\)$/);
    expect(info.version).toMatch(/not real money/);
  });

  it("rejects an invoice whose signature does not match its payee", async () => {
    const { payee } = setup();
    const invoice = await payee.createInvoice({ amountMsat: 12_000n, expirySeconds: 60 });
    // Change the amount in the human-readable part and re-encode with a valid checksum.
    const { prefix, words } = bech32.decode(invoice.paymentRequest, 10_000);
    const forged = bech32.encode(prefix.replace("lnsb120n", "lnsb130n"), words, 10_000);
    expect(forged).not.toBe(invoice.paymentRequest);
    const error = await rejection(payee.decodeInvoice(forged));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toMatch(/signature/);
    expect((await rejection(payee.decodeInvoice("lnbc1garbage"))).code).toBe("INVALID_INPUT");
  });

  it("refuses an invoice for another payee than expected before paying", async () => {
    const { payee, payer, buyer } = setup();
    const invoice = await payee.createInvoice({ amountMsat: 5000n, expirySeconds: 60 });
    const error = await rejection(
      payer.payInvoice({
        paymentRequest: invoice.paymentRequest,
        expectedAmountMsat: 5000n,
        maxFeeMsat: 0n,
        expectedPayee: buyer.id,
      }),
    );
    expect(error.code).toBe("INVOICE_MISMATCH");
    expect((await payee.lookupInvoice(invoice.paymentHash))?.state).toBe("open");
  });

  it("fails every call with a retryable BACKEND_UNAVAILABLE while the node is offline", async () => {
    const { network, payee, seller } = setup();
    network.setNodeFaults(seller, { offline: true });
    for (const call of [
      payee.getInfo(),
      payee.createInvoice({ amountMsat: 1n, expirySeconds: 60 }),
      payee.lookupInvoice("00".repeat(32)),
    ]) {
      const error = await rejection(call);
      expect(error.code).toBe("BACKEND_UNAVAILABLE");
      expect(error.retryable).toBe(true);
    }
    network.clearNodeFaults(seller);
    expect((await payee.getInfo()).nodeId).toBe(seller.id);
  });

  it("reports a slow payment as in flight and recovers it without paying again", async () => {
    const { network, payee, payer, buyer } = setup();
    const invoice = await payee.createInvoice({ amountMsat: 9000n, expirySeconds: 60 });
    network.setPaymentFault(invoice.paymentHash, { settlementDelayMs: 200 });
    const error = await rejection(
      payer.payInvoice({
        paymentRequest: invoice.paymentRequest,
        expectedAmountMsat: 9000n,
        maxFeeMsat: 0n,
        timeoutMs: 10,
      }),
    );
    expect(error).toMatchObject({ code: "PAYMENT_IN_FLIGHT", retryable: true });
    const result = await pay(payer, invoice.paymentRequest, 9000n);
    expect(result.alreadyPaid).toBe(true);
    expect(createHash("sha256").update(Buffer.from(result.preimage, "hex")).digest("hex")).toBe(
      invoice.paymentHash,
    );
    expect(network.getBalance(buyer).localMsat).toBe(100_000_000n - 9000n);
  });

  it("a dropped stream reports the drop, reconnects and delivers what settled meanwhile, once", async () => {
    const { network, payee, payer, seller } = setup();
    const delivered: SettledInvoice[] = [];
    const errors: unknown[] = [];
    const subscription = payee.subscribeSettledInvoices({
      cursor: undefined,
      onSettled: async (invoice) => {
        delivered.push(invoice);
      },
      onError: (error) => errors.push(error),
    });
    const first = await payee.createInvoice({ amountMsat: 1000n, expirySeconds: 60 });
    await pay(payer, first.paymentRequest, 1000n);
    await until(() => delivered.length === 1);
    network.dropSettledStreams(seller);
    const second = await payee.createInvoice({ amountMsat: 2000n, expirySeconds: 60 });
    await pay(payer, second.paymentRequest, 2000n);
    await until(() => delivered.length === 2);
    network.setNodeFaults(seller, { offline: true });
    await until(() => errors.length >= 2);
    network.clearNodeFaults(seller);
    const third = await payee.createInvoice({ amountMsat: 3000n, expirySeconds: 60 });
    await pay(payer, third.paymentRequest, 3000n);
    await until(() => delivered.length === 3);
    await subscription.close();
    expect(delivered.map((invoice) => [invoice.paymentHash, invoice.cursor, invoice.amountMsat])).toEqual([
      [first.paymentHash, "1", 1000n],
      [second.paymentHash, "2", 2000n],
      [third.paymentHash, "3", 3000n],
    ]);
    expect(errors.every((error) => isPeerpayError(error) && error.code === "BACKEND_UNAVAILABLE")).toBe(true);
  });

  it("stops the stream when the consumer fails, and resumes from the last cursor it acknowledged", async () => {
    const { payee, payer } = setup();
    for (const amount of [1000n, 2000n, 3000n]) {
      const invoice = await payee.createInvoice({ amountMsat: amount, expirySeconds: 60 });
      await pay(payer, invoice.paymentRequest, amount);
    }
    const seen: string[] = [];
    let failure: unknown;
    const failing = payee.subscribeSettledInvoices({
      cursor: undefined,
      onSettled: async (invoice) => {
        if (invoice.cursor === "2") throw new Error("database down");
        seen.push(invoice.cursor);
      },
      onError: (error) => {
        failure = error;
      },
    });
    await until(() => failure !== undefined);
    await failing.close();
    expect(seen).toEqual(["1"]);
    const resumed: string[] = [];
    const again = payee.subscribeSettledInvoices({
      cursor: seen.at(-1),
      onSettled: async (invoice) => {
        resumed.push(invoice.cursor);
      },
    });
    await until(() => resumed.length === 2);
    await again.close();
    expect(resumed).toEqual(["2", "3"]);
    expect(() => payee.subscribeSettledInvoices({ cursor: "-1", onSettled: async () => {} })).toThrow(
      /cursor/,
    );
  });

  it("is unusable after close", async () => {
    const { payee } = setup();
    await payee.close();
    const error = await rejection(payee.getInfo());
    expect(error.code).toBe("BACKEND_UNAVAILABLE");
    expect(error.retryable).toBe(false);
  });
});
