import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryLedgerStore } from "./memory-ledger-store.js";
import { createNegotiationClient } from "./negotiation-client.js";
import { createNegotiationHandler } from "./negotiation-handler.js";
import { createNegotiationFetch } from "./negotiation-node-fetch.js";
import { type NegotiationServer, serveNegotiation } from "./negotiation-server.js";
import type { PaymentAdapter } from "./payment-adapter.js";

/** A protocol-level double of the seller's node: it hands out invoice ids; nothing is payable. */
const invoiceDouble = {
  specificationVersion: "v1",
  name: "double",
  capabilities: {
    createInvoice: true,
    payInvoice: false,
    settledInvoiceStream: false,
    descriptionHash: false,
  },
  getInfo: async () => ({
    nodeId: `03${"cd".repeat(32)}`,
    alias: "double",
    network: "simnet",
    simulated: true,
  }),
  createInvoice: async (request) => {
    const paymentHash = randomBytes(32).toString("hex");
    const createdAt = new Date();
    return {
      paymentHash,
      paymentRequest: `lnsbdouble${paymentHash}`,
      amountMsat: request.amountMsat,
      state: "open",
      createdAt,
      expiresAt: new Date(createdAt.getTime() + request.expirySeconds * 1000),
    };
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

const store = createMemoryLedgerStore();
let server: NegotiationServer;

beforeAll(async () => {
  const handler = createNegotiationHandler({
    adapter: invoiceDouble,
    store,
    accounts: {
      getView: async () => ({ balanceMsat: 0n, debtMsat: 0n, blocked: false, amountToUnblockMsat: 0n }),
    },
    pricing: { defaultPrice: () => 1_000n, listPrices: () => new Map(), priceOf: () => 1_000n },
    terms: { freeAllowanceBytes: 0n, blockThresholdMsat: 0n },
    limits: { maxBodyBytes: 1_024 },
  });
  server = await serveNegotiation(handler, { host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await server?.close();
});

function rawRequest(
  path: string,
  options: { method?: string; body?: Buffer; headers?: Record<string, string> } = {},
) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: "127.0.0.1",
        port: server.port,
        path,
        method: options.method ?? "GET",
        headers: options.headers ?? {},
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("end", () =>
          resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    outgoing.on("error", reject);
    outgoing.end(options.body);
  });
}

describe("serveNegotiation over loopback HTTP", () => {
  it("passes the connection's source address to the handler as the identity", async () => {
    for (const localAddress of ["127.0.0.2", "127.0.0.3"]) {
      const client = createNegotiationClient({
        baseUrl: server.url,
        fetch: createNegotiationFetch({ localAddress }),
      });
      expect((await client.getWellKnown()).identity.address).toBe(localAddress);
      const offer = await client.requestInvoice({ amountMsat: "1000", listenPorts: [51413] });
      expect(offer.peer).toBe(localAddress);
      expect((await store.getInvoice(offer.paymentHash))?.requestedBy).toBe(localAddress);
      expect((await client.getInvoiceStatus(offer.paymentHash)).state).toBe("open");
    }
  });

  it("works with the global fetch too, and reports seller errors with their codes", async () => {
    const client = createNegotiationClient({ baseUrl: server.url });
    await expect(client.getInvoiceStatus("f".repeat(64))).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(client.requestInvoice({ amountMsat: "1" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("refuses an oversized body and a protocol-relative target, and keeps serving", async () => {
    const big = await rawRequest("/peerpay/v1/invoices", {
      method: "POST",
      body: Buffer.alloc(2_000_000, 0x20),
      headers: { "content-type": "application/json" },
    });
    expect(big.status).toBe(413);
    const chunked = await rawRequest("/peerpay/v1/invoices", {
      method: "POST",
      body: Buffer.alloc(50_000, 0x20),
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    });
    expect(chunked.status).toBe(413);
    expect((await rawRequest("//evil.example/.well-known/peerpay")).status).toBe(400);
    expect((await rawRequest("/.well-known/peerpay")).status).toBe(200);
  });
});

describe("negotiation client against a misbehaving seller", () => {
  it("turns garbage, oversized answers and an unreachable seller into typed errors", async () => {
    const bad = createServer((request, response) => {
      if (request.url === "/.well-known/peerpay") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ protocol: "peerpay", version: 1 }));
      } else if (request.url === "/peerpay/v1/balance") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(`"${"x".repeat(200_000)}"`);
      } else {
        response.writeHead(500);
        response.end("<html>oops</html>");
      }
    });
    await new Promise<void>((resolve) => bad.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = bad.address() as AddressInfo;
      const client = createNegotiationClient({ baseUrl: `http://127.0.0.1:${port}` });
      await expect(client.getWellKnown()).rejects.toMatchObject({ code: "BACKEND_PROTOCOL_ERROR" });
      await expect(client.getBalance()).rejects.toMatchObject({ code: "BACKEND_PROTOCOL_ERROR" });
      await expect(client.requestInvoice({ amountMsat: "1000" })).rejects.toMatchObject({
        code: "BACKEND_PROTOCOL_ERROR",
      });
    } finally {
      bad.closeAllConnections();
      await new Promise<void>((resolve) => bad.close(() => resolve()));
    }
    const { port } = await new Promise<AddressInfo>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address() as AddressInfo;
        probe.close(() => resolve(address));
      });
    });
    const gone = createNegotiationClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2_000 });
    await expect(gone.getWellKnown()).rejects.toMatchObject({ code: "BACKEND_UNAVAILABLE" });
  });
});
