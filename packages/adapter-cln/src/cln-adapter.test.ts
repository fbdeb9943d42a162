/**
 * The CLN adapter against the lightningd DOUBLE (a protocol-level stand-in, see src/testing),
 * over the unix socket and over clnrest, with payments that settle on the simulated network.
 */

import type { PaymentAdapter, SettledInvoice } from "@peerpay/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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

  it("stops the stream and reports through onError when onSettled fails", async () => {
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
