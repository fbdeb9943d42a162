/**
 * The lightningd DOUBLE itself, spoken to with raw bytes: framing, the JSON-RPC envelope rules,
 * CLN's error codes and messages, which methods exist per version, and that every answer it gives
 * passes the same response schemas the adapter checks (so double and adapter cannot drift).
 */
import { connect, type Socket } from "node:net";
import type { PaymentAdapter } from "@peerpay/core";
import { createSimAdapter, createSimNetwork, type SimNetwork, type SimNode } from "@peerpay/lightning-sim";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClnAdapter } from "../cln-adapter.js";
import { JsonStreamSplitter } from "../cln-json-stream.js";
import { type ClnMethod, responseSchemas } from "../cln-schemas.js";
import { createLightningdDouble, type LightningdDouble } from "./lightningd-double.js";

interface RawConnection {
  readonly answers: Array<Record<string, unknown>>;
  readonly socket: Socket;
  send(text: string): void;
  next(count?: number): Promise<Array<Record<string, unknown>>>;
  ended(): Promise<void>;
}

async function rawConnection(path: string): Promise<RawConnection> {
  const socket = connect({ path });
  await new Promise((resolve) => socket.once("connect", resolve));
  const answers: Array<Record<string, unknown>> = [];
  const splitter = new JsonStreamSplitter({ maxValueBytes: 1 << 20 });
  const raw: string[] = [];
  socket.on("data", (chunk: Buffer) => {
    raw.push(chunk.toString());
    for (const text of splitter.push(chunk)) answers.push(JSON.parse(text));
  });
  const endedPromise = new Promise<void>((resolve) => socket.once("end", () => resolve()));
  return {
    answers,
    socket,
    send: (text) => void socket.write(text),
    async next(count = 1) {
      const deadline = Date.now() + 5_000;
      while (answers.length < count) {
        if (Date.now() > deadline) throw new Error(`no answer; got ${raw.join("")}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(raw.join("").endsWith("\n\n")).toBe(true);
      return answers.splice(0, count);
    },
    ended: () => endedPromise,
  };
}

const request = (id: number | string, method: string, params: unknown = {}) =>
  JSON.stringify({ jsonrpc: "2.0", id, method, params });

describe("lightningd double (JSON-RPC socket)", () => {
  let network: SimNetwork;
  let node: SimNode;
  let double: LightningdDouble;
  let connection: RawConnection;

  beforeEach(async () => {
    network = createSimNetwork();
    node = network.addNode({ alias: "cln" });
    double = await createLightningdDouble({ network, node });
    connection = await rawConnection(double.socketPath);
  });
  afterEach(async () => {
    connection.socket.destroy();
    await double.close();
  });

  it("answers two requests sent in one write, each followed by a blank line", async () => {
    connection.send(request(1, "getinfo") + request(2, "listinvoices"));
    const [first, second] = await connection.next(2);
    expect(first).toMatchObject({ jsonrpc: "2.0", id: 1, result: { id: node.id, network: "simnet" } });
    expect(second).toMatchObject({ jsonrpc: "2.0", id: 2, result: { invoices: [] } });
  });

  it("reads a request that arrives one byte at a time", async () => {
    for (const character of request("x:getinfo#1", "getinfo")) connection.send(character);
    const [answer] = await connection.next();
    expect(answer).toMatchObject({ id: "x:getinfo#1", result: { id: node.id } });
  });

  it("answers pipelined requests out of order: a waiting waitanyinvoice does not hold up getinfo", async () => {
    connection.send(request(1, "waitanyinvoice", { lastpay_index: 0 }) + request(2, "getinfo"));
    const [answer] = await connection.next();
    expect(answer?.id).toBe(2);
    const payer = network.addNode({ alias: "payer" });
    network.openChannel(payer, node, 1_000_000n);
    connection.send(request(3, "invoice", { amount_msat: "5sat", label: "l1", description: "d" }));
    const [created] = await connection.next();
    await network.payInvoice(payer, {
      paymentRequest: (created!.result as { bolt11: string }).bolt11,
      maxFeeMsat: 0n,
    });
    const [paid] = await connection.next();
    expect(paid).toMatchObject({
      id: 1,
      result: { label: "l1", status: "paid", pay_index: 1, amount_received_msat: 5_000 },
    });
  });

  it.each([
    [
      JSON.stringify({ id: 1, method: "getinfo", params: {} }),
      1,
      -32600,
      'jsonrpc: "2.0" must be specified in the request',
    ],
    [JSON.stringify({ jsonrpc: "2.0", id: 2, method: "getinfo" }), 2, -32600, "No params"],
    [JSON.stringify({ jsonrpc: "2.0", method: "getinfo", params: {} }), null, -32600, "No id"],
    [request(4, "frobnicate"), 4, -32601, "Unknown command 'frobnicate'"],
    [
      request(5, "invoice", { amount_msat: 1, label: "a", description: "b", colour: "red" }),
      5,
      -32602,
      "unknown parameter: colour",
    ],
    [request(6, "invoice", { label: "a", description: "b" }), 6, -32602, "amount_msat: Invalid input"],
  ])("answers a bad request with CLN's error: %s", async (text, id, code, message) => {
    connection.send(text);
    const [answer] = await connection.next();
    expect(answer).toMatchObject({ jsonrpc: "2.0", id, error: { code } });
    expect(String((answer!.error as { message: string }).message)).toContain(message);
  });

  it("answers a duplicate label with 900 and CLN's message", async () => {
    connection.send(request(1, "invoice", { amount_msat: 1000, label: "dup", description: "x" }));
    connection.send(request(2, "invoice", { amount_msat: 1000, label: "dup", description: "x" }));
    const [, second] = await connection.next(2);
    expect(second).toMatchObject({ id: 2, error: { code: 900, message: "Duplicate label 'dup'" } });
  });

  it("accepts positional params like lightning-cli does", async () => {
    connection.send(request(1, "invoice", ["10sat", "positional", "desc", 120]));
    const [answer] = await connection.next();
    const result = answer?.result as { bolt11: string; expires_at: number };
    expect(result.bolt11).toMatch(/^lnsb100n1/);
    connection.send(request(2, "listinvoices", ["positional"]));
    const [listed] = await connection.next();
    expect(listed).toMatchObject({
      result: {
        invoices: [{ label: "positional", amount_msat: 10_000, status: "unpaid", description: "desc" }],
      },
    });
  });

  it("answers malformed JSON once with an id-less error and half-closes the connection", async () => {
    connection.send('{"jsonrpc":"2.0","id":1,"method":}');
    const [answer] = await connection.next();
    expect(answer).toMatchObject({
      id: null,
      error: { code: -32600, message: "Invalid token in json input" },
    });
    await connection.ended();
  });

  it("waitanyinvoice with a timeout answers 904", async () => {
    connection.send(request(1, "waitanyinvoice", { lastpay_index: 0, timeout: 0 }));
    const [answer] = await connection.next();
    expect(answer).toMatchObject({ id: 1, error: { code: 904 } });
  });

  it("gives answers that pass the adapter's response schemas for every method", async () => {
    const payer = network.addNode({ alias: "payer" });
    network.openChannel(payer, node, 1_000_000_000n);
    network.openChannel(node, payer, 1_000_000_000n);
    const payerAdapter = createSimAdapter({ network, node: payer });
    const theirs = await payerAdapter.createInvoice({
      amountMsat: 2_000n,
      description: "theirs",
      expirySeconds: 600,
    });
    connection.send(request(1, "invoice", { amount_msat: 3000, label: "mine", description: "mine" }));
    const [created] = await connection.next();
    const bolt11 = (created!.result as { bolt11: string }).bolt11;
    await payerAdapter.payInvoice({ paymentRequest: bolt11, expectedAmountMsat: 3_000n, maxFeeMsat: 0n });
    const calls: Array<[ClnMethod, unknown]> = [
      ["getinfo", {}],
      ["listinvoices", { label: "mine" }],
      ["waitanyinvoice", { lastpay_index: 0 }],
      ["decode", { string: theirs.paymentRequest }],
      ["pay", { bolt11: theirs.paymentRequest, maxfee: 0 }],
    ];
    for (const [index, [method, params]] of calls.entries())
      connection.send(request(index + 10, method, params));
    const answers = await connection.next(calls.length);
    for (const answer of answers) {
      const [method] = calls[(answer.id as number) - 10] as [ClnMethod, unknown];
      const parsed = responseSchemas[method].safeParse(answer.result);
      expect(parsed.success, `${method}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
    expect(answers.find((answer) => answer.id === 13)?.result).toMatchObject({
      type: "bolt11 invoice",
      valid: true,
      currency: "sb",
      amount_msat: 2_000,
    });

    // listpays after the payment; xpay of a fresh invoice; xpay again answers 219 (already paid).
    const fresh = await payerAdapter.createInvoice({ amountMsat: 2_500n, expirySeconds: 600 });
    connection.send(request(20, "listpays", { payment_hash: theirs.paymentHash }));
    connection.send(request(21, "xpay", { invstring: fresh.paymentRequest }));
    const [listed, xpaid] = await connection.next(2);
    expect(listed).toMatchObject({
      id: 20,
      result: { pays: [{ status: "complete", payment_hash: theirs.paymentHash }] },
    });
    expect(responseSchemas.listpays.safeParse(listed?.result).success).toBe(true);
    expect(responseSchemas.xpay.safeParse(xpaid?.result).success).toBe(true);
    connection.send(request(22, "xpay", { invstring: fresh.paymentRequest }));
    const [again] = await connection.next();
    expect(again).toMatchObject({ id: 22, error: { code: 219, message: "Already paid" } });
    await payerAdapter.close();
  });
});

describe("lightningd double versions and the adapter's choice of methods", () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close();
  });

  it.each([
    ["v23.02.2", ["decodepay", "pay"], ["decode", "xpay"]],
    ["v24.11.1", ["decode", "xpay"], ["decodepay", "pay"]],
    ["v26.06.6", ["decode", "xpay"], ["decodepay", "pay"]],
  ])("on %s the adapter uses %j and not %j", async (version, used, unused) => {
    const network = createSimNetwork();
    const node = network.addNode({ alias: "cln" });
    const peer = network.addNode({ alias: "peer" });
    network.openChannel(node, peer, 1_000_000_000n);
    const double = await createLightningdDouble({ network, node, version });
    const peerAdapter: PaymentAdapter = createSimAdapter({ network, node: peer });
    const adapter = createClnAdapter({ socketPath: double.socketPath });
    opened.push(double, peerAdapter, adapter);
    const invoice = await peerAdapter.createInvoice({ amountMsat: 1_500n, expirySeconds: 600 });
    const paid = await adapter.payInvoice({
      paymentRequest: invoice.paymentRequest,
      expectedAmountMsat: 1_500n,
      maxFeeMsat: 0n,
    });
    expect(paid.paymentHash).toBe(invoice.paymentHash);
    const methods = new Set(double.requests.map((entry) => entry.method));
    for (const method of used) expect(methods.has(method)).toBe(true);
    for (const method of unused) expect(methods.has(method)).toBe(false);
  });

  it("answers decodepay with Unknown command on v26.04 and later", async () => {
    const network = createSimNetwork();
    const node = network.addNode({ alias: "cln" });
    const double = await createLightningdDouble({ network, node, version: "v26.04" });
    opened.push(double);
    const connection = await rawConnection(double.socketPath);
    connection.send(request(1, "decodepay", { bolt11: "lnsb1" }));
    const [answer] = await connection.next();
    expect(answer).toMatchObject({ error: { code: -32601, message: "Unknown command 'decodepay'" } });
    connection.socket.destroy();
  });
});

describe("lightningd double (clnrest)", () => {
  it("needs a known rune in the Rune header and answers 201 with the bare result", async () => {
    const network = createSimNetwork();
    const node = network.addNode({ alias: "cln" });
    const double = await createLightningdDouble({ network, node, rest: { runes: ["test-rune"] } });
    try {
      const post = (headers: Record<string, string>) =>
        fetch(`${double.restUrl}/v1/getinfo`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: "{}",
        });
      const missing = await post({});
      expect(missing.status).toBe(401);
      expect(await missing.json()).toMatchObject({ code: 1501 });
      const wrong = await post({ rune: "other" });
      expect(wrong.status).toBe(401);
      const good = await post({ rune: "test-rune" });
      expect(good.status).toBe(201);
      expect(await good.json()).toMatchObject({ id: node.id, version: "v26.06.6" });
      const unknown = await fetch(`${double.restUrl}/v1/frobnicate`, {
        method: "POST",
        headers: { rune: "test-rune" },
        body: "{}",
      });
      expect(unknown.status).toBe(500);
      expect(await unknown.json()).toMatchObject({ code: -32601, message: "Unknown command 'frobnicate'" });
    } finally {
      await double.close();
    }
  });
});
