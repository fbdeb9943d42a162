/**
 * The CLN adapter's failure paths against the lightningd DOUBLE: CLN pay failure codes (from the
 * simulated network's real routing where it can produce them, injected otherwise), dropped
 * connections, lost answers and malformed, off-schema or oversized output.
 */
import { createSimAdapter } from "@peerpay/lightning-sim";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ClnClient } from "./cln-client.js";
import { ClnRpcError } from "./cln-errors.js";
import {
  type ClnTestbed,
  createClnTestbed,
  rejection,
  sha256Hex,
  until,
} from "./cln-testbed.test.support.js";

describe("CLN adapter failure codes (lightningd double)", () => {
  let bed: ClnTestbed;
  beforeEach(async () => {
    bed = await createClnTestbed();
  });
  afterEach(async () => {
    await bed.close();
  });

  it("maps 205 (no route) from a payee with no channels", async () => {
    const island = bed.network.addNode({ alias: "island" });
    const islander = createSimAdapter({ network: bed.network, node: island });
    const invoice = await islander.createInvoice({ amountMsat: 1_000n, expirySeconds: 60 });
    const error = await rejection(
      bed
        .adapter("socket")
        .payInvoice({ paymentRequest: invoice.paymentRequest, expectedAmountMsat: 1_000n, maxFeeMsat: 100n }),
    );
    expect(error).toMatchObject({ code: "NO_ROUTE", retryable: true, details: { clnCode: 205 } });
    await islander.close();
  });

  it("maps 206 (route too expensive) from pay, over a two-hop route with fees", async () => {
    const far = bed.network.addNode({ alias: "far" });
    bed.network.openChannel(bed.peerNode, far, 1_000_000_000n);
    const farAdapter = createSimAdapter({ network: bed.network, node: far });
    const invoice = await farAdapter.createInvoice({ amountMsat: 100_000n, expirySeconds: 60 });
    const adapter = bed.adapter("socket", { payMethod: "pay" });
    const error = await rejection(
      adapter.payInvoice({
        paymentRequest: invoice.paymentRequest,
        expectedAmountMsat: 100_000n,
        maxFeeMsat: 0n,
      }),
    );
    expect(error).toMatchObject({ code: "FEE_LIMIT_EXCEEDED", details: { clnCode: 206 } });
    // With room for the fee the same payment goes through, and the fee is reported.
    const paid = await adapter.payInvoice({
      paymentRequest: invoice.paymentRequest,
      expectedAmountMsat: 100_000n,
      maxFeeMsat: 5_000n,
    });
    expect(paid.feeMsat).toBeGreaterThan(0n);
    await farAdapter.close();
  });

  it.each([
    [207, "Invoice expired", "INVOICE_EXPIRED", false],
    [210, "Timed out after after 60 seconds", "PAYMENT_FAILED", true],
    [219, "Already paid", "INVOICE_ALREADY_PAID", false],
    [203, "Destination said it doesn't know invoice", "PAYMENT_FAILED", false],
  ] as const)("maps %i to %s (injected by the double)", async (clnCode, message, code, retryable) => {
    const invoice = await bed.peer.createInvoice({ amountMsat: 2_000n, expirySeconds: 600 });
    bed.double.faults.failNextPay(clnCode, message);
    const error = await rejection(
      bed
        .adapter("socket")
        .payInvoice({ paymentRequest: invoice.paymentRequest, expectedAmountMsat: 2_000n, maxFeeMsat: 0n }),
    );
    expect(error).toMatchObject({ code, retryable, details: { clnCode } });
    expect(bed.network.listPayments(bed.clnNode)).toHaveLength(0);
  });

  it("gets 207 from the node for an invoice the payee has expired, and 219 from xpay for an invoice already paid", async () => {
    const adapter = bed.adapter("socket");
    const client = adapter.getInstance?.() as ClnClient;
    const invoice = await bed.peer.createInvoice({ amountMsat: 2_000n, expirySeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const expired = await rejection(client.call("pay", { bolt11: invoice.paymentRequest }));
    expect(expired).toBeInstanceOf(ClnRpcError);
    expect(expired).toMatchObject({ rpcCode: 207, code: "INVOICE_EXPIRED" });
    expect(
      (
        await rejection(
          adapter.payInvoice({
            paymentRequest: invoice.paymentRequest,
            expectedAmountMsat: 2_000n,
            maxFeeMsat: 0n,
          }),
        )
      ).code,
    ).toBe("INVOICE_EXPIRED");

    const fresh = await bed.peer.createInvoice({ amountMsat: 2_000n, expirySeconds: 600 });
    await client.call("xpay", { invstring: fresh.paymentRequest });
    const twice = await rejection(client.call("xpay", { invstring: fresh.paymentRequest }));
    expect(twice).toMatchObject({ rpcCode: 219, code: "INVOICE_ALREADY_PAID" });
    // The adapter sees the completed payment in listpays and returns it instead of failing.
    await expect(
      adapter.payInvoice({
        paymentRequest: fresh.paymentRequest,
        expectedAmountMsat: 2_000n,
        maxFeeMsat: 0n,
      }),
    ).resolves.toMatchObject({ alreadyPaid: true });
  });

  it("re-sends a read-only call once when the node drops the connection, on a new connection", async () => {
    const adapter = bed.adapter("socket");
    bed.double.faults.dropNext("getinfo");
    await expect(adapter.getInfo()).resolves.toMatchObject({ nodeId: bed.clnNode.id });
    expect(bed.double.requests.filter((request) => request.method === "getinfo")).toHaveLength(2);
    expect(bed.double.connectionCount).toBe(2);
  });

  it("never re-sends a payment: a connection dropped mid-pay is PAYMENT_IN_FLIGHT until listpays knows better", async () => {
    const adapter = bed.adapter("socket");
    const invoice = await bed.peer.createInvoice({ amountMsat: 4_000n, expirySeconds: 600 });
    const request = { paymentRequest: invoice.paymentRequest, expectedAmountMsat: 4_000n, maxFeeMsat: 0n };
    bed.double.faults.dropNext("xpay");
    const dropped = await rejection(adapter.payInvoice(request));
    expect(dropped).toMatchObject({ code: "PAYMENT_IN_FLIGHT", retryable: true });
    expect((dropped.cause as { code?: string }).code).toBe("BACKEND_UNAVAILABLE");
    expect(bed.double.requests.filter((entry) => entry.method === "xpay")).toHaveLength(1);
    // Nothing was paid (the double dropped the request unread), so a retry by the caller pays once.
    const paid = await adapter.payInvoice(request);
    expect(paid.alreadyPaid ?? false).toBe(false);
    expect(bed.network.listPayments(bed.clnNode)).toHaveLength(1);
  });

  it("reports a lost pay answer as PAYMENT_IN_FLIGHT and never pays twice", async () => {
    const adapter = bed.adapter("socket");
    const invoice = await bed.peer.createInvoice({ amountMsat: 7_000n, expirySeconds: 600 });
    const request = { paymentRequest: invoice.paymentRequest, expectedAmountMsat: 7_000n, maxFeeMsat: 0n };
    bed.double.faults.delay("xpay", 400);
    const lost = await rejection(adapter.payInvoice({ ...request, timeoutMs: 100 }));
    expect(lost).toMatchObject({ code: "PAYMENT_IN_FLIGHT" });
    await until(() =>
      bed.network.listPayments(bed.clnNode).some((payment) => payment.status === "succeeded"),
    );
    bed.double.faults.clear();
    await expect(adapter.payInvoice(request)).resolves.toMatchObject({ alreadyPaid: true });
    expect(bed.network.listPayments(bed.clnNode)).toHaveLength(1);
  });

  it("answers malformed output with BACKEND_PROTOCOL_ERROR and keeps working", async () => {
    const adapter = bed.adapter("socket");
    bed.double.faults.rawNext("getinfo", '{"jsonrpc":"2.0","id":}garbage\n\n');
    expect((await rejection(adapter.getInfo())).code).toBe("BACKEND_PROTOCOL_ERROR");
    await expect(adapter.getInfo()).resolves.toMatchObject({ nodeId: bed.clnNode.id });
  });

  it("rejects an answer that does not match the method's schema, naming the fields", async () => {
    const adapter = bed.adapter("socket");
    bed.double.faults.rawNext(
      "getinfo",
      (id) => `${JSON.stringify({ jsonrpc: "2.0", id, result: { alias: "no id" } })}\n\n`,
    );
    const error = await rejection(adapter.getInfo());
    expect(error.code).toBe("BACKEND_PROTOCOL_ERROR");
    expect(error.message).toMatch(/getinfo schema \(fields: id/);
    // A settled entry without its preimage is refused too.
    bed.double.faults.rawNext(
      "listinvoices",
      (id) =>
        `${JSON.stringify({ jsonrpc: "2.0", id, result: { invoices: [{ label: "a", payment_hash: "ab".repeat(32), status: "paid", expires_at: 1, created_index: 1, pay_index: 1, amount_received_msat: 1, paid_at: 1 }] } })}\n\n`,
    );
    expect((await rejection(adapter.lookupInvoice("ab".repeat(32)))).code).toBe("BACKEND_PROTOCOL_ERROR");
  });

  it("drops an oversized answer with a clear error and reconnects", async () => {
    const adapter = bed.adapter("socket", { maxResponseBytes: 4_096 });
    await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        adapter.createInvoice({ amountMsat: 1_000n, description: `padding ${index}`, expirySeconds: 60 }),
      ),
    );
    const client = adapter.getInstance?.() as ClnClient;
    const oversized = await rejection(client.call("listinvoices", {}));
    expect(oversized).toMatchObject({ code: "BACKEND_PROTOCOL_ERROR" });
    expect(oversized.message).toMatch(/larger than 4096 bytes/);
    await expect(adapter.getInfo()).resolves.toMatchObject({ nodeId: bed.clnNode.id });
  });

  it("falls back to pay when a node that should have xpay answers Unknown command", async () => {
    const bare = await createClnTestbed({ disabledMethods: ["xpay"] });
    try {
      const invoice = await bare.peer.createInvoice({ amountMsat: 3_000n, expirySeconds: 600 });
      const paid = await bare
        .adapter("socket")
        .payInvoice({ paymentRequest: invoice.paymentRequest, expectedAmountMsat: 3_000n, maxFeeMsat: 0n });
      expect(sha256Hex(paid.preimage)).toBe(invoice.paymentHash);
      expect(bare.double.requests.map((request) => request.method)).toEqual(
        expect.arrayContaining(["xpay", "pay"]),
      );
      expect(bare.network.listPayments(bare.clnNode)).toHaveLength(1);
      // With payMethod "xpay" asked for explicitly, there is no fallback.
      const other = await bare.peer.createInvoice({ amountMsat: 3_000n, expirySeconds: 600 });
      const refused = await rejection(
        bare
          .adapter("socket", { payMethod: "xpay" })
          .payInvoice({ paymentRequest: other.paymentRequest, expectedAmountMsat: 3_000n, maxFeeMsat: 0n }),
      );
      expect(refused.code).toBe("UNSUPPORTED");
    } finally {
      await bare.close();
    }
  });
});
