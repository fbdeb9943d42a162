import { describe, expect, it } from "vitest";
import { AdapterError } from "./errors.js";
import type { LedgerStore } from "./ledger-store.js";
import { createMemoryLedgerStore } from "./memory-ledger-store.js";
import {
  createInvoiceDouble,
  createSeller,
  from,
  get,
  infohash,
  nodeId,
  post,
} from "./negotiation-handler.test.fixture.js";
import {
  balanceSchema,
  invoiceOfferSchema,
  invoiceStatusSchema,
  wellKnownSchema,
} from "./negotiation-schemas.js";

describe("negotiation handler", () => {
  it("publishes who it is, its rails, prices, terms and limits, and the caller's address", async () => {
    const { handler } = createSeller();
    const response = await handler(get("/.well-known/peerpay"), from("::ffff:127.0.0.2"));
    expect(response.status).toBe(200);
    const document = wellKnownSchema.parse(await response.json());
    expect(document.version).toBe("1");
    expect(document.simulated).toBe(true);
    expect(document.rails).toEqual([
      { rail: "lightning", scheme: "bolt11", network: "simnet", asset: "BTC", unit: "msat", payee: nodeId },
    ]);
    expect(document.prices).toEqual({
      unit: "msat/GiB",
      default: "100000",
      byInfohash: { [infohash]: "2000000" },
    });
    expect(document.terms.freeAllowanceBytes).toBe(String(1 << 24));
    expect(document.identity).toEqual({ binding: "remote-address", address: "127.0.0.2" });
  });

  it("issues an invoice for an amount, bound to the requesting address, with the re-dial ports", async () => {
    const { handler, store, double } = createSeller();
    const response = await handler(
      post({ amountMsat: "5000", listenPorts: [6881, 6881, 51413] }),
      from("127.0.0.3"),
    );
    expect(response.status).toBe(201);
    const offer = invoiceOfferSchema.parse(await response.json());
    expect(offer).toMatchObject({
      amountMsat: "5000",
      creditMsat: "5000",
      peer: "127.0.0.3",
      network: "simnet",
    });
    expect(offer.listenPorts).toEqual([6881, 51413]);
    expect(double.created).toHaveLength(1);
    const record = await store.getInvoice(offer.paymentHash);
    expect(record).toMatchObject({
      peer: "127.0.0.3",
      requestedBy: "127.0.0.3",
      amountMsat: 5000n,
      state: "open",
    });
    expect(record?.listenPorts).toEqual([6881, 51413]);
    expect(record?.paymentRequest).toBe(offer.paymentRequest);
  });

  it("binds to the identity a trusted proxy reports when `identify` is configured", async () => {
    const { handler, store } = createSeller({
      identify: (request, context) => request.headers.get("x-forwarded-for") ?? context.remoteAddress,
    });
    const proxied = post({ amountMsat: "1000" });
    proxied.headers.set("x-forwarded-for", "::FFFF:198.51.100.7");
    const offer = invoiceOfferSchema.parse(await (await handler(proxied, from("127.0.0.1"))).json());
    expect(offer.peer).toBe("198.51.100.7");
    expect(await store.getInvoice(offer.paymentHash)).toMatchObject({
      peer: "198.51.100.7",
      requestedBy: "127.0.0.1",
    });
    const garbage = post({ amountMsat: "1000" });
    garbage.headers.set("x-forwarded-for", "not-an-address");
    expect((await handler(garbage, from("127.0.0.1"))).status).toBe(400);
  });

  it("prices a request for bytes on a torrent, rounding up so the credit covers every byte", async () => {
    const { handler, store } = createSeller();
    const bytes = (1n << 30n) / 3n; // a third of a GiB at 2 000 000 msat/GiB
    const response = await handler(
      post({ bytes: bytes.toString(), infohash: infohash.toUpperCase() }),
      from("127.0.0.4"),
    );
    expect(response.status).toBe(201);
    const offer = invoiceOfferSchema.parse(await response.json());
    const exact = (bytes * 2_000_000n) / (1n << 30n);
    expect(BigInt(offer.amountMsat)).toBe(exact + 1n);
    expect(offer).toMatchObject({ infohash, bytes: bytes.toString(), priceMsatPerGiB: "2000000" });
    expect((await store.getInvoice(offer.paymentHash))?.infohash).toBe(infohash);
  });

  it("reports invoice status, expiry, and refuses bad or unknown payment hashes", async () => {
    const { handler, advance } = createSeller({ limits: { invoiceExpirySeconds: 60 } });
    const offer = invoiceOfferSchema.parse(
      await (await handler(post({ amountMsat: "2000" }), from("127.0.0.5"))).json(),
    );
    const status = async () => handler(get(offer.statusPath), from("127.0.0.5"));
    expect(invoiceStatusSchema.parse(await (await status()).json()).state).toBe("open");
    advance(61_000);
    expect(invoiceStatusSchema.parse(await (await status()).json()).state).toBe("expired");
    const unknown = await handler(get(`/peerpay/v1/invoices/${"0".repeat(64)}`), from("127.0.0.5"));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "NOT_FOUND" });
    const bad = await handler(get("/peerpay/v1/invoices/xyz"), from("127.0.0.5"));
    expect(bad.status).toBe(400);
  });

  it("answers the balance with 200, or 402 and an offer when the peer is blocked", async () => {
    const { handler, store } = createSeller();
    const fine = await handler(get("/peerpay/v1/balance"), from("127.0.0.6"));
    expect(fine.status).toBe(200);
    expect(balanceSchema.parse(await fine.json())).toMatchObject({
      balanceMsat: "0",
      paymentRequired: false,
    });

    await store.recordUsage([
      {
        peer: "127.0.0.6",
        infohash,
        bytes: 1n << 30n,
        freeBytes: 0n,
        priceMsatPerGiB: 7_000n,
        costMsat: 7_000n,
        accuracy: "exact",
        at: new Date(),
      },
    ]);
    await store.setBlocked("127.0.0.6", true, "over the credit line", new Date());
    const due = await handler(get("/peerpay/v1/balance"), from("127.0.0.6"));
    expect(due.status).toBe(402);
    const body = await due.json();
    expect(body).toMatchObject({
      code: "PAYMENT_REQUIRED",
      balanceMsat: "-7000",
      debtMsat: "7000",
      blocked: true,
    });
    expect(balanceSchema.parse(body).offer).toMatchObject({
      amountMsat: "7000",
      method: "POST",
      path: "/peerpay/v1/invoices",
      body: { amountMsat: "7000" },
    });
  });

  it("refuses more open invoices per peer than the limit, without asking the node", async () => {
    const { handler, double, store } = createSeller({ limits: { maxOpenInvoicesPerPeer: 2 } });
    const answers = await Promise.all(
      [1, 2, 3].map(() => handler(post({ amountMsat: "1000" }), from("127.0.0.7"))),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 201, 429]);
    expect(double.created).toHaveLength(2);
    expect(await store.countOpenInvoices("127.0.0.7", new Date())).toBe(2);
    // Another address is not affected.
    expect((await handler(post({ amountMsat: "1000" }), from("127.0.0.8"))).status).toBe(201);
  });

  it("rate-limits per address with a token bucket and says when to retry", async () => {
    const { handler, advance } = createSeller({ limits: { burst: 3, requestsPerSecond: 1 } });
    const statuses = [];
    for (let index = 0; index < 4; index++)
      statuses.push((await handler(get("/.well-known/peerpay"), from("127.0.0.9"))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await handler(get("/.well-known/peerpay"), from("127.0.0.9"));
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(await limited.json()).toMatchObject({ code: "RATE_LIMITED" });
    expect((await handler(get("/.well-known/peerpay"), from("127.0.0.10"))).status).toBe(200);
    advance(1_000);
    expect((await handler(get("/.well-known/peerpay"), from("127.0.0.9"))).status).toBe(200);
  });

  it("refuses oversized bodies, declared or streamed, before parsing them", async () => {
    const { handler, double } = createSeller({ limits: { maxBodyBytes: 64 } });
    const declared = await handler(post({ amountMsat: "1000", pad: "x".repeat(100) }), from("127.0.0.11"));
    expect(declared.status).toBe(413);
    const chunk = new TextEncoder().encode(" ".repeat(40));
    const streamed = new Request("http://seller.test/peerpay/v1/invoices", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          for (let index = 0; index < 5; index++) controller.enqueue(chunk);
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    const answer = await handler(streamed, from("127.0.0.11"));
    expect(answer.status).toBe(413);
    expect(await answer.json()).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    expect(double.created).toHaveLength(0);
  });

  it("answers unknown paths, wrong methods and a wrong content type with 4xx JSON errors", async () => {
    const { handler } = createSeller();
    expect((await handler(get("/nope"), from("127.0.0.12"))).status).toBe(404);
    const wrongMethod = await handler(get("/peerpay/v1/invoices"), from("127.0.0.12"));
    expect(wrongMethod.status).toBe(400);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    const form = await handler(
      post("amountMsat=1000", { raw: true, contentType: "application/x-www-form-urlencoded" }),
      from("127.0.0.12"),
    );
    expect(form.status).toBe(400);
    expect(await form.json()).toMatchObject({ code: "INVALID_INPUT" });
  });

  it("turns a node failure into 503, hides unexpected errors as 500, and records nothing", async () => {
    const store: LedgerStore = createMemoryLedgerStore();
    const down = createInvoiceDouble({
      failWith: new AdapterError("double", "createInvoice", "BACKEND_UNAVAILABLE", "node is down"),
    });
    const answer = await createSeller({ adapter: down.adapter, store }).handler(
      post({ amountMsat: "1000" }),
      from("127.0.0.13"),
    );
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ code: "BACKEND_UNAVAILABLE", retryable: true });
    const broken = createInvoiceDouble({ failWith: new Error("secret=hunter2 at 10.0.0.1") });
    const errors: unknown[] = [];
    const hidden = await createSeller({
      adapter: broken.adapter,
      store,
      onError: (error) => errors.push(error),
    }).handler(post({ amountMsat: "1000" }), from("127.0.0.13"));
    expect(hidden.status).toBe(500);
    expect(await hidden.json()).toEqual({ code: "INTERNAL", message: "internal error", retryable: false });
    expect(errors).toHaveLength(1);
    expect(await store.history()).toHaveLength(0);
  });
});
