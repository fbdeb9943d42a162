/**
 * The clnrest transport against a scripted HTTP server on loopback: what it sends (POST /v1/<method>,
 * the Rune header, params as the body), how it reads answers (201 result, error objects, statuses),
 * bad output, and connections the server drops.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isPeerpayError } from "@peerpay/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClnRpcError } from "./cln-errors.js";
import { createClnRestTransport } from "./cln-rest-transport.js";
import type { ClnTransport } from "./cln-transport.js";

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

describe("createClnRestTransport", () => {
  let server: Server;
  let handler: Handler;
  let transport: ClnTransport;
  const seen: Array<{ method?: string; url?: string; rune?: string; body: string }> = [];

  beforeEach(async () => {
    seen.length = 0;
    handler = (_request, _body, response) => response.writeHead(201).end('{"ok":true}');
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        seen.push({ method: request.method, url: request.url, rune: request.headers.rune as string, body });
        handler(request, body, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    transport = createClnRestTransport({
      url: `http://127.0.0.1:${port}`,
      rune: "rune-for-test",
      requestTimeoutMs: 2_000,
      maxResponseBytes: 1_000,
    });
  });

  afterEach(async () => {
    await transport.close();
    await new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  });

  it("POSTs the params as JSON to /v1/<method> with the Rune header, and returns the 201 body", async () => {
    await expect(
      transport.call("invoice", { amount_msat: "1000msat", label: "a", description: "b" }),
    ).resolves.toEqual({ ok: true });
    expect(seen).toEqual([
      {
        method: "POST",
        url: "/v1/invoice",
        rune: "rune-for-test",
        body: '{"amount_msat":"1000msat","label":"a","description":"b"}',
      },
    ]);
  });

  it("turns an error object into a ClnRpcError with CLN's code", async () => {
    handler = (_request, _body, response) =>
      response
        .writeHead(500)
        .end('{"code":206,"message":"Route wanted fee of 1001msat","data":{"fee":1001}}');
    const error = await transport.call("pay", { bolt11: "x" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClnRpcError);
    expect(error).toMatchObject({ rpcCode: 206, code: "FEE_LIMIT_EXCEEDED", rpcData: { fee: 1001 } });
  });

  it.each([
    [201, "<html>proxy</html>", "BACKEND_PROTOCOL_ERROR"],
    [502, "Bad Gateway", "BACKEND_UNAVAILABLE"],
    [404, '{"message":"no such route"}', "UNSUPPORTED"],
    [401, '{"code":1501,"message":"Not authorized: Not derived from master"}', "BACKEND_AUTH_FAILED"],
    [401, '{"code":1502,"message":"Not permitted: method not allowed"}', "BACKEND_PERMISSION_DENIED"],
    [201, JSON.stringify({ blob: "z".repeat(2_000) }), "BACKEND_PROTOCOL_ERROR"],
  ])("answers HTTP %i %s with %s", async (status, body, code) => {
    handler = (_request, _body, response) => response.writeHead(status).end(body);
    const error = await transport.call("getinfo", {}).catch((caught: unknown) => caught);
    expect(isPeerpayError(error) && error.code).toBe(code);
  });

  it("keeps working after the server closes its idle keep-alive connections", async () => {
    await transport.call("getinfo", {});
    // The server drops its idle keep-alive connections; the next request may find its socket dead.
    server.closeIdleConnections();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(transport.call("listinvoices", {})).resolves.toEqual({ ok: true });
  });

  it("does not re-send a payment when the connection breaks after the server read it", async () => {
    handler = (request, _body, response) => {
      if (request.url === "/v1/pay") request.socket.destroy();
      else response.writeHead(201).end('{"ok":true}');
    };
    const error = await transport.call("pay", { bolt11: "x" }).catch((caught: unknown) => caught);
    expect(isPeerpayError(error) && error.code).toBe("BACKEND_UNAVAILABLE");
    expect(seen.filter((entry) => entry.url === "/v1/pay")).toHaveLength(1);
    // A read-only call in the same situation is sent again once.
    handler = (request, _body, response) => {
      if (seen.filter((entry) => entry.url === "/v1/getinfo").length === 1) request.socket.destroy();
      else response.writeHead(201).end('{"again":true}');
    };
    await expect(transport.call("getinfo", {})).resolves.toEqual({ again: true });
    expect(seen.filter((entry) => entry.url === "/v1/getinfo")).toHaveLength(2);
  });

  it("times out with TIMEOUT", async () => {
    handler = () => {};
    const error = await transport.call("getinfo", {}, { timeoutMs: 50 }).catch((caught: unknown) => caught);
    expect(isPeerpayError(error) && error.code).toBe("TIMEOUT");
  });

  it("refuses a URL that is not http(s) and a missing rune at construction", () => {
    expect(() => createClnRestTransport({ url: "ftp://127.0.0.1", rune: "r" })).toThrow(/http/);
    expect(() => createClnRestTransport({ url: "not a url", rune: "r" })).toThrow(/not a URL/);
    expect(() => createClnRestTransport({ url: "http://127.0.0.1:1", rune: "" })).toThrow(/rune/);
  });
});
