/**
 * The LND adapter against real lnd nodes on regtest (alice→bob→carol): crediting once, resuming
 * from a stored cursor across an adapter restart and across a dropped connection (the case where
 * `lightning`'s own resubscription loses settlements), paying twice, fee limits, in-flight
 * payments, and the typed errors for wrong credentials and an unreachable node. Skipped, saying
 * why, only when the LND binaries have not been built (scripts/lnd-build.sh).
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { isPeerpayError, type PaymentAdapter, type PeerpayError, type SettledInvoice } from "@peerpay/core";
import { createHodlInvoice, getChannelBalance, getInvoice, settleHodlInvoice } from "lightning";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLndAdapter, type LndAdapterInstance } from "./lnd-adapter.js";
import type { LndAdapterOptions } from "./lnd-options.js";
import { type LndNodeName, type LndRegtest, startLndRegtest } from "./lnd-regtest-harness.js";
import { findLndBinaries, freePort } from "./lnd-regtest-processes.js";
import { startTcpProxy } from "./lnd-tcp-proxy.js";

const binaries = findLndBinaries();
const skipReason = "missing" in binaries ? binaries.missing : undefined;
const title = `LND adapter on a real regtest network${skipReason ? ` [skipped: ${skipReason}]` : ""}`;

async function caught(operation: Promise<unknown>): Promise<PeerpayError> {
  try {
    await operation;
  } catch (error) {
    expect(isPeerpayError(error), `expected a PeerpayError, got ${String(error)}`).toBe(true);
    return error as PeerpayError;
  }
  throw new Error("expected a rejection");
}

function instanceOf(adapter: PaymentAdapter): LndAdapterInstance {
  const instance = adapter.getInstance?.();
  if (!instance) throw new Error("the LND adapter exposes its instance");
  return instance as LndAdapterInstance;
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(skipReason !== undefined)(title, () => {
  let network: LndRegtest;
  const adapters: PaymentAdapter[] = [];

  const adapterFor = (name: LndNodeName, options: Partial<LndAdapterOptions> = {}) => {
    const node = network.nodes[name];
    const adapter = createLndAdapter({
      socket: node.socket,
      cert: node.certPath,
      macaroon: node.adminMacaroonPath,
      reconnectDelayMs: { initial: 100, max: 1_000 },
      ...options,
    });
    adapters.push(adapter);
    return adapter;
  };
  const channelBalance = async (name: LndNodeName) =>
    BigInt((await getChannelBalance({ lnd: network.nodes[name].lnd })).channel_balance_mtokens ?? "0");

  beforeAll(async () => {
    network = await startLndRegtest({ binaries: binaries as Exclude<typeof binaries, { missing: string }> });
  }, 240_000);

  afterAll(async () => {
    await Promise.all(adapters.map((adapter) => adapter.close()));
    await network?.stop();
  }, 60_000);

  it("an invoice created on bob and paid from alice is credited once, even when paid again", async () => {
    const bob = adapterFor("bob", { role: "seller" });
    const alice = adapterFor("alice", { role: "buyer" });
    const first = await bob.createInvoice({ amountMsat: 21_000n, expirySeconds: 600, description: "once" });
    const credits = new Map<string, number>();
    const subscription = bob.subscribeSettledInvoices({
      cursor: undefined,
      onSettled: async (invoice) => {
        credits.set(invoice.paymentHash, (credits.get(invoice.paymentHash) ?? 0) + 1);
      },
    });
    try {
      const paid = await alice.payInvoice({
        paymentRequest: first.paymentRequest,
        expectedAmountMsat: 21_000n,
        maxFeeMsat: 1_000n,
        expectedNetwork: "regtest",
        expectedPayee: network.nodes.bob.publicKey,
      });
      expect(createHash("sha256").update(Buffer.from(paid.preimage, "hex")).digest("hex")).toBe(
        first.paymentHash,
      );
      await until(() => credits.has(first.paymentHash), "the credit");
      const again = await alice.payInvoice({
        paymentRequest: first.paymentRequest,
        expectedAmountMsat: 21_000n,
        maxFeeMsat: 1_000n,
      });
      expect(again).toMatchObject({ preimage: paid.preimage, alreadyPaid: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(credits.get(first.paymentHash)).toBe(1);
      const invoice = await getInvoice({ lnd: network.nodes.bob.lnd, id: first.paymentHash });
      expect(invoice.received_mtokens).toBe("21000");
    } finally {
      await subscription.close();
    }
  });

  it("paying the same invoice twice returns the same preimage and moves money once", async () => {
    const bob = adapterFor("bob", { role: "seller" });
    const alice = adapterFor("alice", { role: "buyer" });
    const invoice = await bob.createInvoice({ amountMsat: 33_000n, expirySeconds: 600 });
    const [aliceBefore, bobBefore] = [await channelBalance("alice"), await channelBalance("bob")];
    const request = { paymentRequest: invoice.paymentRequest, expectedAmountMsat: 33_000n, maxFeeMsat: 0n };
    const first = await alice.payInvoice(request);
    // A fresh adapter (a restarted program) paying again: LND answers ALREADY_EXISTS, the preimage is recovered.
    const second = await adapterFor("alice", { role: "buyer" }).payInvoice(request);
    expect(second.preimage).toBe(first.preimage);
    expect(second.alreadyPaid).toBe(true);
    expect(first.feeMsat).toBe(0n);
    expect(aliceBefore - (await channelBalance("alice"))).toBe(33_000n);
    expect((await channelBalance("bob")) - bobBefore).toBe(33_000n);
  });

  it("an invoice settled while the adapter was stopped is delivered after restart from the stored cursor", async () => {
    // `issuer` stands for the part of the program that sells; `watcher` is the stream that is stopped.
    const issuer = adapterFor("bob", { role: "seller" });
    const alice = adapterFor("alice", { role: "buyer" });
    const pay = async (amountMsat: bigint) => {
      const invoice = await issuer.createInvoice({ amountMsat, expirySeconds: 600 });
      await alice.payInvoice({
        paymentRequest: invoice.paymentRequest,
        expectedAmountMsat: amountMsat,
        maxFeeMsat: 0n,
      });
      return invoice.paymentHash;
    };
    let stored: string | undefined;
    const watcher = adapterFor("bob", { role: "seller" });
    const firstRun = watcher.subscribeSettledInvoices({
      cursor: (await issuer.lookupInvoice(await pay(1_001n)))?.settleCursor,
      onSettled: async (invoice) => {
        stored = invoice.cursor;
      },
    });
    const before = await pay(1_002n);
    await until(() => stored !== undefined, "the first delivery");
    await firstRun.close();
    await watcher.close();
    const whileStopped = await pay(1_003n);
    const seen: SettledInvoice[] = [];
    const subscription = adapterFor("bob", { role: "seller" }).subscribeSettledInvoices({
      cursor: stored,
      onSettled: async (invoice) => {
        seen.push(invoice);
      },
    });
    try {
      await until(
        () => seen.some((invoice) => invoice.paymentHash === whileStopped),
        "the catch-up delivery",
      );
      expect(seen.map((invoice) => invoice.paymentHash)).toEqual([whileStopped]);
      expect(seen.map((invoice) => invoice.paymentHash)).not.toContain(before);
      expect(BigInt(seen[0]?.cursor ?? "0")).toBeGreaterThan(BigInt(stored ?? "0"));
    } finally {
      await subscription.close();
    }
  });

  it("a stream cut right after an add event catches up from its own cursor (the library's resubscribe would not)", async () => {
    const proxy = await startTcpProxy(network.nodes.bob.socket);
    try {
      const bob = adapterFor("bob", { role: "seller", socket: proxy.socket });
      const direct = adapterFor("bob", { role: "seller" });
      const alice = adapterFor("alice", { role: "buyer" });
      const seen: string[] = [];
      const errors: unknown[] = [];
      const settledA = await direct.createInvoice({ amountMsat: 2_001n, expirySeconds: 600 });
      await alice.payInvoice({
        paymentRequest: settledA.paymentRequest,
        expectedAmountMsat: 2_001n,
        maxFeeMsat: 0n,
      });
      const cursor = (await direct.lookupInvoice(settledA.paymentHash))?.settleCursor;
      const subscription = bob.subscribeSettledInvoices({
        cursor,
        onSettled: async (invoice) => {
          seen.push(invoice.paymentHash);
        },
        onError: (error) => errors.push(error),
      });
      try {
        const a = await direct.createInvoice({ amountMsat: 2_002n, expirySeconds: 600 });
        await alice.payInvoice({
          paymentRequest: a.paymentRequest,
          expectedAmountMsat: 2_002n,
          maxFeeMsat: 0n,
        });
        await until(() => seen.includes(a.paymentHash), "the first settlement");
        // An add event (no settle index) is the last thing the stream sees before the cut.
        const b = await direct.createInvoice({ amountMsat: 2_003n, expirySeconds: 600 });
        await new Promise((resolve) => setTimeout(resolve, 200));
        await proxy.pause();
        await alice.payInvoice({
          paymentRequest: b.paymentRequest,
          expectedAmountMsat: 2_003n,
          maxFeeMsat: 0n,
        });
        await until(() => errors.length > 0, "the stream to notice the cut");
        await proxy.resume();
        await until(() => seen.includes(b.paymentHash), "the settlement made while cut off");
        expect(seen).toEqual([a.paymentHash, b.paymentHash]);
        const error = errors[0] as PeerpayError;
        expect(error.code).toBe("BACKEND_UNAVAILABLE");
        expect(error.retryable).toBe(true);
      } finally {
        await subscription.close();
      }
    } finally {
      await proxy.close();
    }
  });

  it("a fee limit below what the route through bob costs fails with FEE_LIMIT_EXCEEDED; enough pays", async () => {
    const carol = adapterFor("carol", { role: "seller" });
    const alice = adapterFor("alice", { role: "buyer" });
    const amountMsat = 100_000n;
    const fee = network.bobFee.baseMsat + (amountMsat * network.bobFee.ratePpm) / 1_000_000n;
    const invoice = await carol.createInvoice({ amountMsat, expirySeconds: 600 });
    const request = { paymentRequest: invoice.paymentRequest, expectedAmountMsat: amountMsat };
    const error = await caught(alice.payInvoice({ ...request, maxFeeMsat: fee - 1n }));
    expect(error.code).toBe("FEE_LIMIT_EXCEEDED");
    expect(error.message).toContain(`${fee} msat`);
    expect(error.details).toMatchObject({
      requiredFeeMsat: fee.toString(),
      maxFeeMsat: (fee - 1n).toString(),
    });
    expect((await carol.lookupInvoice(invoice.paymentHash))?.state).toBe("open");
    const paid = await alice.payInvoice({ ...request, maxFeeMsat: fee });
    expect(paid.feeMsat).toBe(fee);
    expect(paid.amountMsat).toBe(amountMsat);
  });

  it("a payment still in flight at the time-out is tracked until final and never sent twice", async () => {
    const alice = adapterFor("alice", { role: "buyer" });
    const secret = randomBytes(32);
    const id = createHash("sha256").update(secret).digest("hex");
    const { request } = await createHodlInvoice({
      lnd: network.nodes.bob.lnd,
      id,
      mtokens: "5000",
      expires_at: new Date(Date.now() + 600_000).toISOString(),
    });
    const pay = { paymentRequest: request, expectedAmountMsat: 5_000n, maxFeeMsat: 0n };
    const timedOut = await caught(alice.payInvoice({ ...pay, timeoutMs: 1_500 }));
    expect(timedOut.code).toBe("PAYMENT_IN_FLIGHT");
    expect(timedOut.retryable).toBe(true);
    expect(instanceOf(alice).inFlightPayments()).toEqual([id]);
    // Another caller and another adapter (a restarted program) both wait for the same payment.
    const joined = alice.payInvoice(pay);
    const fromRestart = adapterFor("alice", { role: "buyer" }).payInvoice(pay);
    const aliceBefore = await channelBalance("alice");
    await new Promise((resolve) => setTimeout(resolve, 500));
    await settleHodlInvoice({ lnd: network.nodes.bob.lnd, secret: secret.toString("hex") });
    const [first, second] = await Promise.all([joined, fromRestart]);
    expect(first.preimage).toBe(secret.toString("hex"));
    expect(second.preimage).toBe(secret.toString("hex"));
    expect(first.alreadyPaid && second.alreadyPaid).toBe(true);
    await until(() => instanceOf(alice).inFlightPayments().length === 0, "tracking to end");
    // The HTLC was already locked before the balance was read: settling moves nothing more.
    expect(await channelBalance("alice")).toBe(aliceBefore);
    const invoice = await getInvoice({ lnd: network.nodes.bob.lnd, id });
    expect(invoice.received_mtokens).toBe("5000");
  });

  it("a wrong macaroon gives BACKEND_AUTH_FAILED and never shows the macaroon or the certificate", async () => {
    const bob = network.nodes.bob;
    const wrongMacaroon = readFileSync(network.nodes.carol.adminMacaroonPath);
    const adapter = adapterFor("bob", { macaroon: wrongMacaroon.toString("base64") });
    const error = await caught(adapter.getInfo());
    expect(error.code).toBe("BACKEND_AUTH_FAILED");
    expect(error.retryable).toBe(false);
    const cert = readFileSync(bob.certPath);
    const shown = [
      error.message,
      JSON.stringify(error),
      inspect(error, { depth: 8 }),
      String(error.cause),
    ].join("\n");
    for (const secret of [
      wrongMacaroon.toString("hex"),
      wrongMacaroon.toString("base64"),
      cert.toString("base64"),
      cert.toString("utf8").split("\n")[1] ?? "missing",
    ]) {
      expect(shown).not.toContain(secret);
    }
  });

  it("an unreachable node gives a retryable BACKEND_UNAVAILABLE", async () => {
    const port = await freePort();
    const adapter = adapterFor("bob", { socket: `127.0.0.1:${port}` });
    const error = await caught(adapter.getInfo());
    expect(error.code).toBe("BACKEND_UNAVAILABLE");
    expect(error.retryable).toBe(true);
    const invoiceError = await caught(adapter.createInvoice({ amountMsat: 1_000n, expirySeconds: 60 }));
    expect(invoiceError.code).toBe("BACKEND_UNAVAILABLE");
  });

  it("the role check reads LND's own macaroons: invoice.macaroon is enough to sell, not to buy", async () => {
    const bob = network.nodes.bob;
    const seller = adapterFor("bob", { role: "seller", macaroon: bob.invoiceMacaroonPath });
    const invoice = await seller.createInvoice({ amountMsat: 7_000n, expirySeconds: 600 });
    expect((await seller.lookupInvoice(invoice.paymentHash))?.state).toBe("open");
    const getInfoError = await caught(seller.getInfo());
    expect(getInfoError.code).toBe("BACKEND_PERMISSION_DENIED");
    expect(getInfoError.message).toContain("info:read");
    let buyerError: unknown;
    try {
      adapterFor("bob", { role: "buyer", macaroon: bob.invoiceMacaroonPath });
    } catch (error) {
      buyerError = error;
    }
    expect((buyerError as PeerpayError).code).toBe("BACKEND_PERMISSION_DENIED");
    expect((buyerError as PeerpayError).message).toContain("offchain:write");
    expect(() => adapterFor("bob", { role: "seller", macaroon: bob.readonlyMacaroonPath })).toThrow(
      /invoices:write/,
    );
    const permissions = instanceOf(adapterFor("bob", { role: "both" })).permissions;
    expect(permissions?.has("offchain:write")).toBe(true);
  });

  it("a stream open while bob's lnd restarts reconnects and delivers what settles afterwards", async () => {
    const bob = adapterFor("bob", { role: "seller" });
    const alice = adapterFor("alice", { role: "buyer" });
    const base = await bob.createInvoice({ amountMsat: 3_001n, expirySeconds: 600 });
    await alice.payInvoice({
      paymentRequest: base.paymentRequest,
      expectedAmountMsat: 3_001n,
      maxFeeMsat: 0n,
    });
    const seen: string[] = [];
    const errors: PeerpayError[] = [];
    const subscription = bob.subscribeSettledInvoices({
      cursor: (await bob.lookupInvoice(base.paymentHash))?.settleCursor,
      onSettled: async (invoice) => {
        seen.push(invoice.paymentHash);
      },
      onError: (error) => errors.push(error as PeerpayError),
    });
    try {
      await network.restartNode("bob");
      await until(() => errors.length > 0, "the stream to report the restart");
      expect(errors.every((error) => error.code === "BACKEND_UNAVAILABLE" && error.retryable)).toBe(true);
      await network.waitForActiveChannel("alice", network.nodes.bob.publicKey);
      const invoice = await bob.createInvoice({ amountMsat: 3_002n, expirySeconds: 600 });
      await alice.payInvoice({
        paymentRequest: invoice.paymentRequest,
        expectedAmountMsat: 3_002n,
        maxFeeMsat: 0n,
      });
      await until(() => seen.includes(invoice.paymentHash), "the delivery after the restart", 60_000);
      expect(seen).toEqual([invoice.paymentHash]);
    } finally {
      await subscription.close();
    }
  }, 120_000);

  it("a failing onSettled stops the stream, is reported, and the cursor stays before that invoice", async () => {
    const bob = adapterFor("bob", { role: "seller" });
    const alice = adapterFor("alice", { role: "buyer" });
    const pay = async (amountMsat: bigint) => {
      const invoice = await bob.createInvoice({ amountMsat, expirySeconds: 600 });
      await alice.payInvoice({
        paymentRequest: invoice.paymentRequest,
        expectedAmountMsat: amountMsat,
        maxFeeMsat: 0n,
      });
      return invoice.paymentHash;
    };
    const base = await pay(4_001n);
    const cursor = (await bob.lookupInvoice(base))?.settleCursor;
    const calls: string[] = [];
    const errors: unknown[] = [];
    const subscription = bob.subscribeSettledInvoices({
      cursor,
      onSettled: async (invoice) => {
        calls.push(invoice.paymentHash);
        throw new Error("the ledger is full");
      },
      onError: (error) => errors.push(error),
    });
    try {
      const failing = await pay(4_002n);
      await until(() => errors.length > 0, "the handler failure to be reported");
      expect((errors[0] as Error).message).toBe("the ledger is full");
      await pay(4_003n);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(calls).toEqual([failing]);
    } finally {
      await subscription.close();
    }
    // Resuming from the stored cursor delivers the invoice whose credit failed.
    const retried: string[] = [];
    const again = bob.subscribeSettledInvoices({
      cursor,
      onSettled: async (invoice) => {
        retried.push(invoice.paymentHash);
      },
    });
    try {
      await until(() => retried.length >= 2, "the redelivery");
      expect(retried[0]).toBe(calls[0]);
    } finally {
      await again.close();
    }
  });
});
