/**
 * Test fixture for the negotiation handler tests (not shipped: dist excludes *.test.*). A seller
 * handler over the in-memory ledger store and a protocol-level double of the seller's node.
 */
import { randomBytes } from "node:crypto";
import { accountBalance } from "./ledger-store.js";
import { createMemoryLedgerStore } from "./memory-ledger-store.js";
import { createNegotiationHandler } from "./negotiation-handler.js";
import type { NegotiationHandlerOptions, NegotiationLimits } from "./negotiation-options.js";
import type { Invoice, PaymentAdapter } from "./payment-adapter.js";

export const infohash = "a".repeat(40);
export const nodeId = `02${"ab".repeat(32)}`;

/** A protocol-level double of the seller's node: it only hands out invoice ids; nothing is payable. */
export function createInvoiceDouble(options: { failWith?: Error } = {}) {
  const created: Invoice[] = [];
  const adapter = {
    specificationVersion: "v1",
    name: "double",
    capabilities: {
      createInvoice: true,
      payInvoice: false,
      settledInvoiceStream: false,
      descriptionHash: false,
    },
    getInfo: async () => ({ nodeId, alias: "seller (double)", network: "simnet", simulated: true }),
    createInvoice: async (request) => {
      if (options.failWith) throw options.failWith;
      const paymentHash = randomBytes(32).toString("hex");
      const createdAt = new Date();
      const invoice: Invoice = {
        paymentHash,
        paymentRequest: `lnsbdouble${request.amountMsat}x${paymentHash}`,
        amountMsat: request.amountMsat,
        state: "open",
        createdAt,
        expiresAt: new Date(createdAt.getTime() + request.expirySeconds * 1000),
      };
      created.push(invoice);
      return invoice;
    },
    lookupInvoice: async () => undefined,
    payInvoice: async () => {
      throw new Error("not a paying node");
    },
    decodeInvoice: async () => {
      throw new Error("not a decoding node");
    },
    subscribeSettledInvoices: () => ({ close: async () => undefined }),
    close: async () => undefined,
  } satisfies PaymentAdapter;
  return { adapter, created };
}

export function createSeller(
  overrides: Partial<NegotiationHandlerOptions> & { limits?: Partial<NegotiationLimits> } = {},
) {
  const store = createMemoryLedgerStore();
  const double = createInvoiceDouble();
  let clock = Date.now();
  const handler = createNegotiationHandler({
    adapter: double.adapter,
    store,
    accounts: {
      async getView(peer) {
        const account = await store.getAccount(peer);
        const balance = account ? accountBalance(account) : 0n;
        const debt = balance < 0n ? -balance : 0n;
        return {
          balanceMsat: balance,
          debtMsat: debt,
          blocked: account?.blocked ?? false,
          amountToUnblockMsat: account?.blocked ? debt : 0n,
        };
      },
    },
    pricing: {
      defaultPrice: () => 100_000n,
      listPrices: () => new Map([[infohash, 2_000_000n]]),
      priceOf: (hash) => (hash === infohash ? 2_000_000n : 100_000n),
    },
    terms: { freeAllowanceBytes: 1n << 24n, blockThresholdMsat: 5_000n },
    now: () => new Date(clock),
    ...overrides,
  });
  return {
    handler,
    store,
    double,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

export function post(body: unknown, init: { contentType?: string; raw?: boolean } = {}): Request {
  return new Request("http://seller.test/peerpay/v1/invoices", {
    method: "POST",
    headers: { "content-type": init.contentType ?? "application/json" },
    body: init.raw ? (body as string) : JSON.stringify(body),
  });
}

export const get = (path: string) => new Request(`http://seller.test${path}`);
export const from = (remoteAddress: string) => ({ remoteAddress });
