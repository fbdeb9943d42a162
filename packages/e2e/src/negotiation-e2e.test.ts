/**
 * End to end over real HTTP on loopback: a seller (SQLite ledger in a temp dir, its own simulated
 * Lightning node, the settlement watcher, the negotiation handler served by `serveNegotiation` on
 * 127.0.0.1) and buyers (their own simulated nodes with a channel to the seller, their own SQLite
 * stores) that talk from distinct loopback source addresses (127.0.0.2, .3, …), which is the
 * identity the seller credits. The Lightning network is simulated: no real money moves.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BuyerPolicy,
  createBuyer,
  createLedgerPolicy,
  createNegotiationClient,
  createNegotiationFetch,
  createNegotiationHandler,
  createPriceBook,
  createSellerLedger,
  createSqliteLedgerStore,
  type LedgerStore,
  type NegotiationServer,
  negotiationFromSellerLedger,
  type PaymentAdapter,
  type SellerLedger,
  type SettlementWatcher,
  serveNegotiation,
  startSettlementWatcher,
} from "@peerpay/core";
import { createSimAdapter, createSimNetwork, type SimNetwork, type SimNode } from "@peerpay/lightning-sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const paidTorrent = "c".repeat(40);
const GiB = 1n << 30n;
const directory = mkdtempSync(join(tmpdir(), "peerpay-e2e-negotiation-"));
const cleanups: (() => Promise<void> | void)[] = [];

let network: SimNetwork;
let sellerNode: SimNode;
let sellerAdapter: PaymentAdapter;
let sellerStore: LedgerStore;
let ledger: SellerLedger;
let watcher: SettlementWatcher;
let seller: NegotiationServer;

const basePolicy: BuyerPolicy = {
  maxPriceMsatPerGiB: 150_000n, // 150 sat/GiB
  prepayMsat: 60_000n,
  totalBudgetMsat: 1_000_000n,
};

/** A buyer with its own simulated node (a channel to the seller) and SQLite store, on one loopback address. */
function createTestBuyer(name: string, localAddress: string, policy: Partial<BuyerPolicy> = {}) {
  const node = network.addNode({ alias: name });
  network.openChannel(node, sellerNode, 5_000_000n);
  const adapter = createSimAdapter({ network, node });
  const store = createSqliteLedgerStore({ path: join(directory, `${name}.sqlite`) });
  cleanups.push(
    () => adapter.close(),
    () => store.close(),
  );
  const buyer = createBuyer({
    adapter,
    store,
    policy: { ...basePolicy, ...policy },
    fetch: createNegotiationFetch({ localAddress }),
  });
  return { node, adapter, store, buyer };
}

async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Serves another negotiation endpoint for the same seller node, with a changed adapter (a dishonest seller). */
async function serveDishonest(change: Partial<PaymentAdapter>): Promise<NegotiationServer> {
  const handler = createNegotiationHandler({
    adapter: { ...sellerAdapter, ...change },
    store: sellerStore,
    ...negotiationFromSellerLedger(ledger),
  });
  const server = await serveNegotiation(handler, { host: "127.0.0.1", port: 0 });
  cleanups.push(() => server.close());
  return server;
}

beforeAll(async () => {
  network = createSimNetwork();
  sellerNode = network.addNode({ alias: "seller" });
  sellerAdapter = createSimAdapter({ network, node: sellerNode });
  sellerStore = createSqliteLedgerStore({ path: join(directory, "seller.sqlite") });
  ledger = createSellerLedger({
    store: sellerStore,
    priceBook: createPriceBook({ defaultPrice: "100 sat/GiB", torrents: { [paidTorrent]: "200 sat/GiB" } }),
    policy: createLedgerPolicy({ freeAllowanceBytes: 0, baseCreditLineMsat: 1_000n, prepayMsat: 10_000n }),
  });
  watcher = await startSettlementWatcher({ adapter: sellerAdapter, ledger });
  const handler = createNegotiationHandler({
    adapter: sellerAdapter,
    store: sellerStore,
    ...negotiationFromSellerLedger(ledger),
  });
  seller = await serveNegotiation(handler, { host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await seller?.close();
  await watcher?.close();
  await sellerAdapter?.close();
  await sellerStore?.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("negotiation end to end (simulated Lightning, real HTTP on loopback)", () => {
  it("a buyer discovers, buys credit, pays once, and the seller's ledger credits it exactly once", async () => {
    const { buyer, store, node } = createTestBuyer("buyer-a", "127.0.0.2");
    const terms = await buyer.discover(seller.url);
    expect(terms.document.simulated).toBe(true);
    expect(terms.document.identity.address).toBe("127.0.0.2");
    expect(terms.expectations).toEqual({ network: "simnet", payee: sellerNode.id });

    const result = await buyer.buyCredit({ seller: seller.url, amountMsat: 50_000n, listenPorts: [51413] });
    expect(result.amountMsat).toBe(50_000n);

    const account = await waitFor(
      () => sellerStore.getAccount("127.0.0.2"),
      (value) => (value?.creditMsat ?? 0n) > 0n,
    );
    expect(account?.creditMsat).toBe(50_000n);
    expect(account?.paymentsSettled).toBe(1);
    const invoice = await sellerStore.getInvoice(result.paymentHash);
    expect(invoice).toMatchObject({ state: "settled", peer: "127.0.0.2", listenPorts: [51413] });

    // The settled-invoice stream breaks and replays from its cursor: still credited once.
    network.dropSettledStreams(sellerNode);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await sellerStore.getAccount("127.0.0.2"))?.creditMsat).toBe(50_000n);
    expect(watcher.stats().credited).toBeGreaterThanOrEqual(1);
    // A watcher that replays the node's whole settled history (no cursor) credits nothing again.
    const replay = await startSettlementWatcher({
      adapter: sellerAdapter,
      ledger,
      cursorKey: "replay-from-start",
    });
    cleanups.push(() => replay.close());
    const replayed = await waitFor(
      async () => replay.stats(),
      (stats) => stats.duplicates >= 1,
    );
    expect(replayed).toMatchObject({ credited: 0 });
    expect(replayed.duplicates).toBeGreaterThanOrEqual(1);
    expect((await sellerStore.getAccount("127.0.0.2"))?.creditMsat).toBe(50_000n);

    const payment = await store.getPayment(result.paymentHash);
    expect(payment).toMatchObject({ state: "succeeded", amountMsat: 50_000n, seller: seller.url });
    expect((await store.getSellerAccount(seller.url))?.paidMsat).toBe(50_000n);
    expect(network.listPayments(node).filter((entry) => entry.status === "succeeded")).toHaveLength(1);

    const balance = await buyer.getBalance(seller.url);
    expect(balance).toMatchObject({ peer: "127.0.0.2", balanceMsat: "50000", paymentRequired: false });
    const status = await (await fetch(`${seller.url}/peerpay/v1/invoices/${result.paymentHash}`)).json();
    expect(status).toMatchObject({ state: "settled", amountMsat: "50000" });
  });

  it("a blocked buyer gets 402, pays what is due (backed by its own byte count) and is unblocked", async () => {
    const { buyer } = createTestBuyer("buyer-b", "127.0.0.3");
    await buyer.discover(seller.url);
    const bytes = 300n << 20n; // 300 MiB at 200 sat/GiB = 58 593 msat
    await ledger.recordPoll(
      {
        at: new Date(),
        torrents: [
          {
            infohash: paidTorrent,
            uploadedBytes: Number(bytes),
            peers: [
              {
                address: "127.0.0.3",
                port: 6881,
                uploadedBytes: Number(bytes),
                downloadedBytes: 0,
                accuracy: "exact",
                uploadRate: 0,
                downloadRate: 0,
                progress: 0.5,
              },
            ],
          },
        ],
      },
      [
        {
          infohash: paidTorrent,
          name: "paid",
          labels: [],
          sizeBytes: 1 << 30,
          uploadedBytes: 0,
          downloadedBytes: 0,
          progress: 1,
          state: "seeding",
        },
      ],
    );
    expect((await ledger.getAccountView("127.0.0.3")).blocked).toBe(true);
    const due = await buyer.getBalance(seller.url);
    expect(due.paymentRequired).toBe(true);
    expect(BigInt(due.offer?.amountMsat ?? "0")).toBe((bytes * 200_000n) / GiB + 10_000n);

    await buyer.recordReceived([{ seller: seller.url, infohash: paidTorrent, bytes }]);
    const paid = await buyer.payWhatIsDue(seller.url, [6881]);
    expect(paid?.amountMsat).toBe(BigInt(due.offer?.amountMsat ?? "0"));
    const view = await waitFor(
      () => ledger.getAccountView("127.0.0.3"),
      (value) => !value.blocked,
    );
    expect(view).toMatchObject({ blocked: false, balanceMsat: 10_000n });
  });

  it("never pays an invoice for the wrong amount or on the wrong network", async () => {
    const { buyer, node, store } = createTestBuyer("buyer-c", "127.0.0.4");
    const overcharging = await serveDishonest({
      createInvoice: (request) =>
        sellerAdapter.createInvoice({ ...request, amountMsat: request.amountMsat + 1_000n }),
    });
    await expect(buyer.buyCredit({ seller: overcharging.url, amountMsat: 20_000n })).rejects.toMatchObject({
      code: "INVOICE_MISMATCH",
    });
    const otherNetwork = await serveDishonest({
      getInfo: async () => ({ ...(await sellerAdapter.getInfo()), network: "regtest", simulated: false }),
    });
    await expect(buyer.buyCredit({ seller: otherNetwork.url, amountMsat: 20_000n })).rejects.toMatchObject({
      code: "UNSUPPORTED",
    });
    expect(network.listPayments(node)).toHaveLength(0);
    expect(await store.listPayments()).toHaveLength(0);
  });

  it("stops paying when the budget is exhausted", async () => {
    const { buyer, node } = createTestBuyer("buyer-d", "127.0.0.5", { totalBudgetMsat: 45_000n });
    await buyer.buyCredit({ seller: seller.url, amountMsat: 20_000n });
    await buyer.buyCredit({ seller: seller.url, amountMsat: 20_000n });
    await expect(buyer.buyCredit({ seller: seller.url, amountMsat: 20_000n })).rejects.toMatchObject({
      code: "BUDGET_EXCEEDED",
    });
    expect(network.listPayments(node).filter((entry) => entry.status === "succeeded")).toHaveLength(2);
    const account = await waitFor(
      () => sellerStore.getAccount("127.0.0.5"),
      (value) => value?.creditMsat === 40_000n,
    );
    expect(account?.creditMsat).toBe(40_000n);
  });

  it("never pays an invoice twice across a restart: the SQLite row written before paying is the guard", async () => {
    const node = network.addNode({ alias: "buyer-f" });
    network.openChannel(node, sellerNode, 5_000_000n);
    const adapter = createSimAdapter({ network, node });
    cleanups.push(() => adapter.close());
    const path = join(directory, "buyer-f.sqlite");
    const base = createNegotiationFetch({ localAddress: "127.0.0.7" });
    let replay: { status: number; text: string } | undefined;
    const replaying: typeof base = async (input, init) => {
      if (replay && (init?.method ?? "GET") === "POST") {
        return new Response(replay.text, {
          status: replay.status,
          headers: { "content-type": "application/json" },
        });
      }
      const response = await base(input, init);
      if ((init?.method ?? "GET") === "POST")
        replay = { status: response.status, text: await response.clone().text() };
      return response;
    };
    const open = () => {
      const store = createSqliteLedgerStore({ path });
      return { store, buyer: createBuyer({ adapter, store, policy: basePolicy, fetch: replaying }) };
    };

    // First life: pays an invoice, then "crashes" (the store is closed, the buyer dropped).
    const first = open();
    const paid = await first.buyer.buyCredit({ seller: seller.url, amountMsat: 10_000n });
    await first.store.close();
    // Second life: the seller (or a replaying proxy) hands out the same invoice again.
    const second = open();
    await expect(second.buyer.buyCredit({ seller: seller.url, amountMsat: 10_000n })).rejects.toMatchObject({
      code: "INVOICE_ALREADY_PAID",
    });
    expect(await second.store.getPayment(paid.paymentHash)).toMatchObject({ state: "succeeded" });

    // A crash between recording the intent and paying: the pending row keeps the invoice unpaid for good.
    replay = undefined;
    const client = createNegotiationClient({ baseUrl: seller.url, fetch: replaying });
    const offer = await client.requestInvoice({ amountMsat: "10000" });
    await second.store.beginPayment({
      paymentHash: offer.paymentHash,
      paymentRequest: offer.paymentRequest,
      seller: seller.url,
      amountMsat: 10_000n,
      maxFeeMsat: 1_100n,
      createdAt: new Date(),
    });
    await second.store.close();
    const third = open();
    cleanups.push(() => third.store.close());
    await expect(third.buyer.buyCredit({ seller: seller.url, amountMsat: 10_000n })).rejects.toMatchObject({
      code: "INVOICE_ALREADY_PAID",
    });
    expect(network.listPayments(node).map((payment) => payment.paymentHash)).toEqual([paid.paymentHash]);
    expect((await sellerStore.getInvoice(offer.paymentHash))?.state).toBe("open");
  });

  it("refuses a price above its maximum without asking for an invoice", async () => {
    const { buyer, node } = createTestBuyer("buyer-e", "127.0.0.6");
    await expect(
      buyer.buyCredit({ seller: seller.url, bytes: 100n << 20n, infohash: paidTorrent }),
    ).rejects.toMatchObject({
      code: "PRICE_TOO_HIGH",
    });
    expect(await sellerStore.countOpenInvoices("127.0.0.6", new Date())).toBe(0);
    expect(network.listPayments(node)).toHaveLength(0);
    // The default price (100 sat/GiB) is within the maximum: bytes on another torrent are bought.
    const other = "d".repeat(40);
    const bought = await buyer.buyCredit({ seller: seller.url, bytes: 100n << 20n, infohash: other });
    expect(bought.amountMsat).toBe(((100n << 20n) * 100_000n + GiB - 1n) / GiB);
  });
});
