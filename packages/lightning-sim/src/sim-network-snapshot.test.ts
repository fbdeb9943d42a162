import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSimNetwork, loadSimNetwork } from "./sim-network.js";

const directory = mkdtempSync(join(tmpdir(), "peerpay-sim-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("sim network persistence", () => {
  it("keeps nodes, keys, channels, invoices, payments and settle indexes in its file", async () => {
    const file = join(directory, "network.json");
    const first = createSimNetwork({ file });
    const seller = first.addNode({ alias: "seller" });
    first.addNode({ alias: "buyer" });
    first.openChannel("buyer", "seller", 1_000_000n, { feeBaseMsat: 0n, feeRatePpm: 0n });
    const paid = first.createInvoice("seller", { amountMsat: 4000n, expirySeconds: 600, label: "one" });
    await first.payInvoice("buyer", { paymentRequest: paid.paymentRequest, maxFeeMsat: 0n });
    const open = first.createInvoice("seller", { amountMsat: 5000n, expirySeconds: 600 });
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({
      simulated: true,
      format: "peerpay-lightning-sim",
    });

    // A new process opens the same file.
    const second = createSimNetwork({ file });
    expect(second.getNode("seller")).toEqual(seller);
    expect(second.lookupInvoice("seller", paid.paymentHash)).toEqual(
      first.lookupInvoice("seller", paid.paymentHash),
    );
    expect(second.lookupPayment("buyer", paid.paymentHash)?.status).toBe("succeeded");
    expect(second.getBalance("buyer").localMsat).toBe(996_000n);
    const again = await second.payInvoice("buyer", { paymentRequest: paid.paymentRequest, maxFeeMsat: 0n });
    expect(again.alreadyPaid).toBe(true);
    await second.payInvoice("buyer", { paymentRequest: open.paymentRequest, maxFeeMsat: 0n });
    expect(second.listSettledInvoices("seller").map((invoice) => invoice.settleIndex)).toEqual([1n, 2n]);
    expect(() => second.createInvoice("seller", { amountMsat: 1n, expirySeconds: 60, label: "one" })).toThrow(
      /label/,
    );
  });

  it("settles on load a payment that was in flight when the state was saved", async () => {
    const network = createSimNetwork();
    network.addNode({ alias: "seller" });
    network.addNode({ alias: "buyer" });
    network.openChannel("buyer", "seller", 1_000_000n);
    const invoice = network.createInvoice("seller", { amountMsat: 1000n, expirySeconds: 600 });
    network.setPaymentFault(invoice.paymentHash, { settlementDelayMs: 10_000 });
    const pending = network.payInvoice("buyer", {
      paymentRequest: invoice.paymentRequest,
      maxFeeMsat: 0n,
      timeoutMs: 5,
    });
    await expect(pending).rejects.toMatchObject({ code: "PAYMENT_IN_FLIGHT" });
    const snapshot = network.toJSON();
    const restored = loadSimNetwork(JSON.parse(JSON.stringify(snapshot)));
    expect(restored.lookupInvoice("seller", invoice.paymentHash)).toMatchObject({
      state: "settled",
      settleIndex: 1n,
    });
    expect(restored.lookupPayment("buyer", invoice.paymentHash)?.preimage).toBe(invoice.preimage);
    expect(restored.getBalance("seller").localMsat).toBe(1000n);
  });

  it("refuses a file that is not a snapshot", () => {
    const file = join(directory, "bad.json");
    writeFileSync(file, JSON.stringify({ format: "something else" }));
    expect(() => createSimNetwork({ file })).toThrow(/not a lightning-sim snapshot/);
  });
});
