/**
 * The CLN adapter against the lightningd DOUBLE (a protocol-level stand-in, see src/testing),
 * over the unix socket and over clnrest, with payments that settle on the simulated network.
 */

import type { PaymentAdapter, SettledInvoice } from "@peerpay/core";
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

describe.each(["socket", "rest"] as const)("CLN adapter over %s (lightningd double)", (mode) => {
  let bed: ClnTestbed;
  let adapter: PaymentAdapter;

  beforeEach(async () => {
    bed = await createClnTestbed();
    adapter = bed.adapter(mode);
  });
  afterEach(async () => {
    await bed.close();
  });

  it("reports the node, its network and that the double runs on the simulated network", async () => {
    const info = await adapter.getInfo();
    expect(info).toMatchObject({
      nodeId: bed.clnNode.id,
      network: "simnet",
      simulated: true,
      version: "v26.06.6",
    });
  });

  it("issues an invoice that a simulated peer pays, and looks it up settled with pay_index 1", async () => {
    const invoice = await adapter.createInvoice({
      amountMsat: 21_000n,
      description: "chunk 1",
      expirySeconds: 600,
    });
    expect(invoice).toMatchObject({ amountMsat: 21_000n, state: "open", description: "chunk 1" });
    expect(invoice.paymentRequest).toMatch(/^lnsb/);
    expect(invoice.expiresAt.getTime() - invoice.createdAt.getTime()).toBe(600_000);
    await bed.peer.payInvoice({
      paymentRequest: invoice.paymentRequest,
      expectedAmountMsat: 21_000n,
      maxFeeMsat: 0n,
    });
    const settled = await adapter.lookupInvoice(invoice.paymentHash);
    expect(settled).toMatchObject({ state: "settled", receivedMsat: 21_000n, settleCursor: "1" });
    expect(sha256Hex(settled?.preimage as string)).toBe(invoice.paymentHash);
    await expect(adapter.lookupInvoice("00".repeat(32))).resolves.toBeUndefined();
  });

  it("treats a repeated label with the same terms as the same invoice, and other terms as CONFLICT", async () => {
    const first = await adapter.createInvoice({
      amountMsat: 5_000n,
      description: "x",
      expirySeconds: 60,
      label: "order-7",
    });
    const again = await adapter.createInvoice({
      amountMsat: 5_000n,
      description: "x",
      expirySeconds: 60,
      label: "order-7",
    });
    expect(again.paymentHash).toBe(first.paymentHash);
    const clash = await rejection(
      adapter.createInvoice({ amountMsat: 6_000n, description: "x", expirySeconds: 60, label: "order-7" }),
    );
    expect(clash.code).toBe("CONFLICT");
  });

  it("commits to a description hash via deschashonly when given the description; a bare hash is UNSUPPORTED", async () => {
    const description = "a long description of the torrent chunk being sold";
    const descriptionHash = sha256Hex(Buffer.from(description).toString("hex"));
    const invoice = await adapter.createInvoice({
      amountMsat: 2_000n,
      description,
      descriptionHash,
      expirySeconds: 60,
    });
    const decoded = await bed.peer.decodeInvoice(invoice.paymentRequest);
    expect(decoded.descriptionHash).toBe(descriptionHash);
    expect(decoded.description).toBeUndefined();
    const bare = await rejection(
      adapter.createInvoice({ amountMsat: 2_000n, descriptionHash, expirySeconds: 60 }),
    );
    expect(bare.code).toBe("UNSUPPORTED");
  });

  it("pays a peer's invoice with a real preimage, and a second attempt returns the recorded result", async () => {
    const invoice = await bed.peer.createInvoice({
      amountMsat: 40_000n,
      description: "quote",
      expirySeconds: 600,
    });
    const request = {
      paymentRequest: invoice.paymentRequest,
      expectedAmountMsat: 40_000n,
      maxFeeMsat: 1_000n,
      expectedNetwork: "simnet" as const,
    };
    const paid = await adapter.payInvoice(request);
    expect(paid).toMatchObject({ paymentHash: invoice.paymentHash, amountMsat: 40_000n });
    expect(sha256Hex(paid.preimage)).toBe(invoice.paymentHash);
    const again = await adapter.payInvoice(request);
    expect(again).toMatchObject({ alreadyPaid: true, preimage: paid.preimage });
    expect(
      bed.network.listPayments(bed.clnNode).filter((payment) => payment.status === "succeeded"),
    ).toHaveLength(1);
    const seen = await bed.peer.lookupInvoice(invoice.paymentHash);
    expect(seen?.receivedMsat).toBe(40_000n);
  });

  it("refuses an invoice for another amount, network or payee without paying", async () => {
    const invoice = await bed.peer.createInvoice({ amountMsat: 9_000n, expirySeconds: 600 });
    const base = { paymentRequest: invoice.paymentRequest, expectedAmountMsat: 9_000n, maxFeeMsat: 0n };
    expect((await rejection(adapter.payInvoice({ ...base, expectedAmountMsat: 8_000n }))).code).toBe(
      "INVOICE_MISMATCH",
    );
    expect((await rejection(adapter.payInvoice({ ...base, expectedNetwork: "mainnet" }))).code).toBe(
      "INVOICE_MISMATCH",
    );
    expect((await rejection(adapter.payInvoice({ ...base, expectedPayee: bed.clnNode.id }))).code).toBe(
      "INVOICE_MISMATCH",
    );
    expect(bed.network.listPayments(bed.clnNode)).toHaveLength(0);
  });

  it("decodes an invoice through the node", async () => {
    const invoice = await bed.peer.createInvoice({
      amountMsat: 3_000n,
      description: "decode me",
      expirySeconds: 120,
    });
    const decoded = await adapter.decodeInvoice(invoice.paymentRequest);
    expect(decoded).toMatchObject({
      paymentHash: invoice.paymentHash,
      network: "simnet",
      payee: bed.peerNode.id,
      amountMsat: 3_000n,
      description: "decode me",
    });
    expect((await rejection(adapter.decodeInvoice("lnsb1notaninvoice"))).code).toBe("INVALID_INPUT");
  });

  it("delivers settled invoices once each, in order, and resumes after a restart without gaps or repeats", async () => {
    const pay = async (n: number) => {
      const invoice = await adapter.createInvoice({ amountMsat: 1_000n * BigInt(n), expirySeconds: 600 });
      await bed.peer.payInvoice({
        paymentRequest: invoice.paymentRequest,
        expectedAmountMsat: 1_000n * BigInt(n),
        maxFeeMsat: 0n,
      });
      return invoice.paymentHash;
    };
    const first: SettledInvoice[] = [];
    const subscription = adapter.subscribeSettledInvoices({
      cursor: undefined,
      onSettled: async (invoice) => void first.push(invoice),
    });
    const hashes = [await pay(1), await pay(2), await pay(3)];
    await until(() => first.length === 3);
    expect(first.map((invoice) => [invoice.paymentHash, invoice.cursor])).toEqual([
      [hashes[0], "1"],
      [hashes[1], "2"],
      [hashes[2], "3"],
    ]);
    expect(first[1]?.amountMsat).toBe(2_000n);
    await subscription.close();
    await adapter.close();

    // While no adapter runs, two more invoices are paid.
    const restarted = bed.adapter(mode);
    adapter = restarted;
    hashes.push(await pay(4), await pay(5));
    const second: SettledInvoice[] = [];
    restarted.subscribeSettledInvoices({
      cursor: first.at(-1)?.cursor,
      onSettled: async (invoice) => void second.push(invoice),
    });
    await until(() => second.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(second.map((invoice) => invoice.paymentHash)).toEqual(hashes.slice(3));
    expect(second.map((invoice) => invoice.cursor)).toEqual(["4", "5"]);

    // Cursor "0" (like undefined) replays everything from pay_index 1.
    const replay: SettledInvoice[] = [];
    restarted.subscribeSettledInvoices({
      cursor: "0",
      onSettled: async (invoice) => void replay.push(invoice),
    });
    await until(() => replay.length === 5);
    expect(replay.map((invoice) => invoice.paymentHash)).toEqual(hashes);
  });

  it("keeps the stream going across a lightningd restart", async () => {
    const seen: SettledInvoice[] = [];
    const errors: unknown[] = [];
    adapter.subscribeSettledInvoices({
      cursor: undefined,
      onSettled: async (invoice) => void seen.push(invoice),
      onError: (error) => errors.push(error),
    });
    const before = await adapter.createInvoice({ amountMsat: 1_000n, expirySeconds: 600 });
    await bed.double.restart();
    await bed.peer.payInvoice({
      paymentRequest: before.paymentRequest,
      expectedAmountMsat: 1_000n,
      maxFeeMsat: 0n,
    });
    await until(() => seen.length === 1);
    expect(seen[0]?.paymentHash).toBe(before.paymentHash);
    if (mode === "socket") expect(bed.double.connectionCount).toBeGreaterThan(1);
  });

  it("stops the stream and reports it when onSettled fails, without advancing past that invoice", async () => {
    const errors: unknown[] = [];
    let calls = 0;
    adapter.subscribeSettledInvoices({
      cursor: undefined,
      onSettled: async () => {
        calls++;
        throw new Error("ledger down");
      },
      onError: (error) => errors.push(error),
    });
    const invoice = await adapter.createInvoice({ amountMsat: 1_000n, expirySeconds: 600 });
    await bed.peer.payInvoice({
      paymentRequest: invoice.paymentRequest,
      expectedAmountMsat: 1_000n,
      maxFeeMsat: 0n,
    });
    await until(() => errors.length === 1);
    expect(calls).toBe(1);
    expect((errors[0] as Error).message).toBe("ledger down");
  });

  it("serves concurrent calls pipelined on one connection", async () => {
    const invoices = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        adapter.createInvoice({ amountMsat: BigInt(1_000 + index), expirySeconds: 60 }),
      ),
    );
    expect(new Set(invoices.map((invoice) => invoice.paymentHash)).size).toBe(20);
    expect(invoices.map((invoice) => invoice.amountMsat)).toEqual(
      Array.from({ length: 20 }, (_, index) => BigInt(1_000 + index)),
    );
    if (mode === "socket") expect(bed.double.connectionCount).toBe(1);
  });
});

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
});
