import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type BuyerOptions, createBuyer } from "./buyer-agent.js";
import type { BuyerPolicy } from "./buyer-policy.js";
import { AdapterError } from "./errors.js";
import { accountBalance } from "./ledger-store.js";
import { createMemoryLedgerStore } from "./memory-ledger-store.js";
import { createNegotiationHandler } from "./negotiation-handler.js";
import type { FetchFunction } from "./negotiation-node-fetch.js";
import type { DecodedInvoice, PaymentAdapter, PaymentResult } from "./payment-adapter.js";

const infohash = "b".repeat(40);
const sellerUrl = "http://seller.test:9736";
const sellerNode = `02${"11".repeat(32)}`;
const buyerNode = `03${"22".repeat(32)}`;

/**
 * Protocol-level doubles of two nodes sharing one invoice book: the seller's issues invoice ids,
 * the buyer's decodes them (a test may tamper with what it decodes) and "pays" them by recording
 * the payment. No Lightning semantics beyond that; the e2e tests use the simulated network.
 */
function createNodeDoubles() {
  const book = new Map<string, DecodedInvoice & { preimage: string }>();
  const paid: string[] = [];
  let tamper: (decoded: DecodedInvoice) => DecodedInvoice = (decoded) => decoded;
  let failPayment: Error | undefined;
  const base = {
    specificationVersion: "v1" as const,
    capabilities: {
      createInvoice: true,
      payInvoice: true,
      settledInvoiceStream: false,
      descriptionHash: false,
    },
    lookupInvoice: async () => undefined,
    subscribeSettledInvoices: () => ({ close: async () => undefined }),
    close: async () => undefined,
  };
  const seller: PaymentAdapter = {
    ...base,
    name: "seller-double",
    getInfo: async () => ({ nodeId: sellerNode, alias: "seller", network: "simnet", simulated: true }),
    async createInvoice(request) {
      const preimage = randomBytes(32).toString("hex");
      const paymentHash = createHash("sha256").update(Buffer.from(preimage, "hex")).digest("hex");
      const createdAt = new Date();
      const expiresAt = new Date(createdAt.getTime() + request.expirySeconds * 1000);
      const paymentRequest = `lnsbdouble${paymentHash}`;
      book.set(paymentRequest, {
        paymentHash,
        paymentRequest,
        network: "simnet",
        payee: sellerNode,
        amountMsat: request.amountMsat,
        createdAt,
        expiresAt,
        preimage,
      });
      return {
        paymentHash,
        paymentRequest,
        amountMsat: request.amountMsat,
        state: "open",
        createdAt,
        expiresAt,
      };
    },
    payInvoice: async () => {
      throw new Error("seller double does not pay");
    },
    decodeInvoice: async () => {
      throw new Error("seller double does not decode");
    },
  };
  const buyer: PaymentAdapter = {
    ...base,
    name: "buyer-double",
    getInfo: async () => ({ nodeId: buyerNode, alias: "buyer", network: "simnet", simulated: true }),
    createInvoice: async () => {
      throw new Error("buyer double does not issue invoices");
    },
    async decodeInvoice(paymentRequest) {
      const entry = book.get(paymentRequest);
      if (!entry) throw new AdapterError("buyer-double", "decodeInvoice", "INVALID_INPUT", "unknown invoice");
      const { preimage: _secret, ...decoded } = entry;
      return tamper(decoded);
    },
    async payInvoice(request): Promise<PaymentResult> {
      if (failPayment) throw failPayment;
      const entry = book.get(request.paymentRequest);
      if (!entry) throw new AdapterError("buyer-double", "payInvoice", "PAYMENT_FAILED", "unknown invoice");
      if (entry.amountMsat !== request.expectedAmountMsat)
        throw new AdapterError("buyer-double", "payInvoice", "INVOICE_MISMATCH", "amount");
      paid.push(entry.paymentHash);
      return {
        paymentHash: entry.paymentHash,
        preimage: entry.preimage,
        amountMsat: request.expectedAmountMsat,
        feeMsat: 7n,
      };
    },
  };
  return {
    seller,
    buyer,
    paid,
    tamper: (change: (decoded: DecodedInvoice) => DecodedInvoice) => {
      tamper = change;
    },
    failPaymentWith: (error: Error | undefined) => {
      failPayment = error;
    },
  };
}

const policy: BuyerPolicy = {
  maxPriceMsatPerGiB: 5_000_000n,
  prepayMsat: 20_000n,
  totalBudgetMsat: 1_000_000n,
};

function setup(
  options: {
    policy?: Partial<BuyerPolicy>;
    sellerPrice?: bigint;
    blockedDebt?: bigint;
    invoiceExpirySeconds?: number;
  } = {},
) {
  const nodes = createNodeDoubles();
  const sellerStore = createMemoryLedgerStore();
  const buyerStore = createMemoryLedgerStore();
  const price = options.sellerPrice ?? 1_000_000n;
  const handler = createNegotiationHandler({
    adapter: nodes.seller,
    store: sellerStore,
    accounts: {
      getView: async () => {
        const debt = options.blockedDebt ?? 0n;
        return { balanceMsat: -debt, debtMsat: debt, blocked: debt > 0n, amountToUnblockMsat: debt };
      },
    },
    pricing: {
      defaultPrice: () => price,
      listPrices: () => new Map([[infohash, price]]),
      priceOf: () => price,
    },
    terms: { freeAllowanceBytes: 0n, blockThresholdMsat: 0n },
    limits: {
      burst: 1_000,
      requestsPerSecond: 1_000,
      maxOpenInvoicesPerPeer: 100,
      invoiceExpirySeconds: options.invoiceExpirySeconds ?? 600,
    },
  });
  const responses: Response[] = [];
  let replay: Response | undefined;
  const fetch: FetchFunction = async (input, init) => {
    const request = new Request(input, init);
    if (replay && request.method === "POST") return replay.clone();
    const response = await handler(request, { remoteAddress: "127.0.0.2" });
    responses.push(response.clone());
    return response;
  };
  const makeBuyer = (overrides: Partial<BuyerOptions> = {}) =>
    createBuyer({
      adapter: nodes.buyer,
      store: buyerStore,
      policy: { ...policy, ...options.policy },
      fetch,
      ...overrides,
    });
  return {
    nodes,
    sellerStore,
    buyerStore,
    buyer: makeBuyer(),
    makeBuyer,
    replayLastInvoice: () => {
      replay = responses.filter((response) => response.status === 201).at(-1);
    },
  };
}

describe("buyer", () => {
  it("discovers a seller, buys credit, checks and pays the invoice once, and records it", async () => {
    const { buyer, buyerStore, sellerStore, nodes } = setup();
    const terms = await buyer.discover(sellerUrl);
    expect(terms.expectations).toEqual({ network: "simnet", payee: sellerNode });
    const result = await buyer.buyCredit({
      seller: sellerUrl,
      amountMsat: 10_000n,
      infohash,
      listenPorts: [6881],
    });
    expect(result).toMatchObject({
      seller: sellerUrl,
      amountMsat: 10_000n,
      creditMsat: 10_000n,
      feeMsat: 7n,
    });
    expect(nodes.paid).toEqual([result.paymentHash]);
    expect(await buyerStore.getPayment(result.paymentHash)).toMatchObject({
      state: "succeeded",
      amountMsat: 10_000n,
      seller: sellerUrl,
      infohash,
    });
    expect((await buyerStore.getSellerAccount(sellerUrl))?.paidMsat).toBe(10_000n);
    expect((await sellerStore.getInvoice(result.paymentHash))?.listenPorts).toEqual([6881]);
  });

  it("buys bytes at the advertised price, rounding up like the seller", async () => {
    const { buyer } = setup({ sellerPrice: 3_000_000n });
    const result = await buyer.buyCredit({ seller: sellerUrl, bytes: 1_000_000n, infohash });
    expect(result.amountMsat).toBe((1_000_000n * 3_000_000n + (1n << 30n) - 1n) / (1n << 30n));
  });

  it("refuses a price above its maximum before asking for an invoice", async () => {
    const { buyer, sellerStore, nodes } = setup({ sellerPrice: 6_000_000n });
    await expect(buyer.buyCredit({ seller: sellerUrl, amountMsat: 5_000n, infohash })).rejects.toMatchObject({
      code: "PRICE_TOO_HIGH",
    });
    expect(await sellerStore.countOpenInvoices("127.0.0.2", new Date())).toBe(0);
    expect(nodes.paid).toHaveLength(0);
  });

  it.each([
    ["amount", (decoded: DecodedInvoice) => ({ ...decoded, amountMsat: (decoded.amountMsat ?? 0n) + 1n })],
    ["amountless", (decoded: DecodedInvoice) => ({ ...decoded, amountMsat: undefined })],
    ["network", (decoded: DecodedInvoice) => ({ ...decoded, network: "mainnet" as const })],
    ["payee", (decoded: DecodedInvoice) => ({ ...decoded, payee: buyerNode })],
    ["payment hash", (decoded: DecodedInvoice) => ({ ...decoded, paymentHash: "0".repeat(64) })],
    [
      "expiry",
      (decoded: DecodedInvoice) => ({
        ...decoded,
        expiresAt: new Date(decoded.expiresAt.getTime() + 60_000),
      }),
    ],
  ])("never pays an invoice whose %s does not match the quote", async (_what, change) => {
    const { buyer, buyerStore, nodes } = setup();
    nodes.tamper(change);
    await expect(buyer.buyCredit({ seller: sellerUrl, amountMsat: 5_000n })).rejects.toMatchObject({
      code: "INVOICE_MISMATCH",
    });
    expect(nodes.paid).toHaveLength(0);
    expect(await buyerStore.listPayments()).toHaveLength(0);
  });

  it("never pays an invoice that expires too soon to pay safely", async () => {
    const { buyer, buyerStore, nodes } = setup({ invoiceExpirySeconds: 10 });
    await expect(buyer.buyCredit({ seller: sellerUrl, amountMsat: 5_000n })).rejects.toMatchObject({
      code: "INVOICE_EXPIRED",
    });
    expect(nodes.paid).toHaveLength(0);
    expect(await buyerStore.listPayments()).toHaveLength(0);
  });

  it("refuses an offer that would credit another address than its own", async () => {
    const { buyer, nodes, buyerStore } = setup();
    await expect(
      buyer.buyCredit({ seller: sellerUrl, amountMsat: 5_000n, expectedPeer: "::ffff:127.0.0.9" }),
    ).rejects.toMatchObject({ code: "INVOICE_MISMATCH", details: { field: "peer" } });
    expect(nodes.paid).toHaveLength(0);
    expect(await buyerStore.listPayments()).toHaveLength(0);
    // The address the seller reported at discovery is the default expectation, in any notation.
    await buyer.buyCredit({ seller: sellerUrl, amountMsat: 5_000n, expectedPeer: "::ffff:127.0.0.2" });
    expect(nodes.paid).toHaveLength(1);
  });

  it("keeps to the overcharge rule: paid ≤ cost of received bytes + prepay", async () => {
    const { buyer, nodes } = setup({ policy: { prepayMsat: 10_000n } });
    await buyer.buyCredit({ seller: sellerUrl, amountMsat: 8_000n });
    await expect(buyer.buyCredit({ seller: sellerUrl, amountMsat: 5_000n })).rejects.toMatchObject({
      code: "OVERCHARGE",
    });
    await buyer.discover(sellerUrl);
    // 5 MiB received at 1 000 000 msat/GiB cost 4882 msat: room is now 10 000 + 4882 − 8000.
    await buyer.recordReceived([{ seller: sellerUrl, infohash, bytes: 5n << 20n }]);
    await buyer.buyCredit({ seller: sellerUrl, amountMsat: 5_000n });
    await expect(buyer.buyCredit({ seller: sellerUrl, amountMsat: 2_000n })).rejects.toMatchObject({
      code: "OVERCHARGE",
    });
    expect(nodes.paid).toHaveLength(2);
  });

  it.each([
    ["total", { totalBudgetMsat: 12_000n }],
    ["daily", { dailyBudgetMsat: 12_000n }],
    ["per-seller", { perSellerBudgetMsat: 12_000n }],
    ["per-torrent", { perTorrentBudgetMsat: 12_000n }],
  ])("stops paying when the %s budget is exhausted (fees included)", async (_name, budget) => {
    const { buyer, nodes } = setup({ policy: { ...budget, feeLimitBaseMsat: 100n, feeLimitPpm: 0 } });
    await buyer.buyCredit({ seller: sellerUrl, amountMsat: 6_000n, infohash });
    await buyer.buyCredit({ seller: sellerUrl, amountMsat: 5_000n, infohash });
    // 6000 + 7 + 5000 + 7 spent; 1000 + 100 fee limit would pass 12 000.
    await expect(buyer.buyCredit({ seller: sellerUrl, amountMsat: 1_000n, infohash })).rejects.toMatchObject({
      code: "BUDGET_EXCEEDED",
    });
    expect(nodes.paid).toHaveLength(2);
  });

  it("never pays the same invoice twice, also after a restart with the same store", async () => {
    const { buyer, makeBuyer, nodes, replayLastInvoice } = setup();
    await buyer.buyCredit({ seller: sellerUrl, amountMsat: 3_000n });
    replayLastInvoice(); // the seller (or a replaying proxy) hands out the same invoice again
    await expect(buyer.buyCredit({ seller: sellerUrl, amountMsat: 3_000n })).rejects.toMatchObject({
      code: "INVOICE_ALREADY_PAID",
    });
    const restarted = makeBuyer();
    await expect(restarted.buyCredit({ seller: sellerUrl, amountMsat: 3_000n })).rejects.toMatchObject({
      code: "INVOICE_ALREADY_PAID",
    });
    expect(nodes.paid).toHaveLength(1);
  });

  it("releases the budget after a definite failure and holds it while a payment is in flight", async () => {
    const { buyer, buyerStore, nodes } = setup({
      policy: { totalBudgetMsat: 10_000n, feeLimitBaseMsat: 0n, feeLimitPpm: 0 },
    });
    nodes.failPaymentWith(new AdapterError("buyer-double", "payInvoice", "NO_ROUTE", "no route"));
    await expect(buyer.buyCredit({ seller: sellerUrl, amountMsat: 6_000n })).rejects.toMatchObject({
      code: "NO_ROUTE",
    });
    expect(
      (await buyerStore.listPayments({ state: "failed" })).map((payment) => payment.failureCode),
    ).toEqual(["NO_ROUTE"]);
    nodes.failPaymentWith(new AdapterError("buyer-double", "payInvoice", "TIMEOUT", "still trying"));
    await expect(buyer.buyCredit({ seller: sellerUrl, amountMsat: 6_000n })).rejects.toMatchObject({
      code: "TIMEOUT",
    });
    expect(await buyerStore.listPayments({ state: "pending" })).toHaveLength(1);
    nodes.failPaymentWith(undefined);
    await expect(buyer.buyCredit({ seller: sellerUrl, amountMsat: 6_000n })).rejects.toMatchObject({
      code: "BUDGET_EXCEEDED",
    });
  });

  it("lets only one of two concurrent purchases through when the budget fits one", async () => {
    const { buyer, nodes } = setup({
      policy: { totalBudgetMsat: 7_000n, feeLimitBaseMsat: 0n, feeLimitPpm: 0 },
    });
    const outcomes = await Promise.allSettled([
      buyer.buyCredit({ seller: sellerUrl, amountMsat: 5_000n }),
      buyer.buyCredit({ seller: sellerUrl, amountMsat: 5_000n }),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(nodes.paid).toHaveLength(1);
  });

  it("pays what a 402 balance asks for only when its own byte count backs the debt", async () => {
    const { buyer, nodes, sellerStore } = setup({ blockedDebt: 30_000n, policy: { prepayMsat: 5_000n } });
    expect(await buyer.getBalance(sellerUrl)).toMatchObject({ paymentRequired: true, debtMsat: "30000" });
    await expect(buyer.payWhatIsDue(sellerUrl)).rejects.toMatchObject({ code: "OVERCHARGE" });
    await buyer.discover(sellerUrl);
    await buyer.recordReceived([{ seller: sellerUrl, infohash, bytes: 30n << 20n }]); // costs 29 296 msat
    const paid = await buyer.payWhatIsDue(sellerUrl, [51413]);
    expect(paid?.amountMsat).toBe(30_000n);
    expect(nodes.paid).toHaveLength(1);
    expect((await sellerStore.getInvoice(paid?.paymentHash ?? ""))?.listenPorts).toEqual([51413]);
    const account = await sellerStore.getAccount("127.0.0.2");
    expect(account ? accountBalance(account) : 0n).toBe(0n); // crediting is the settlement watcher's job
  });
});
