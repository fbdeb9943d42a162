/**
 * The RPC transport against protocol-level doubles (plain HTTP servers that answer the way a
 * misbehaving daemon would): things a real daemon will not do on demand — hang, or answer 409
 * forever. The real daemon's 401, restarts and result strings are covered by the integration tests.
 */
import { createServer, type Server } from "node:http";
import { isPeerpayError } from "@peerpay/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTransmissionRpc } from "./transmission-rpc.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function double(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`;
}

const rpcFor = (baseUrl: string, timeoutMs = 2000) =>
  createTransmissionRpc({ baseUrl, username: "u", password: "secret-pw", timeoutMs, maxSessionRetries: 2 });

describe("transmission RPC transport (protocol-level doubles)", () => {
  it("bounds the 409 session-id loop", async () => {
    let requests = 0;
    const baseUrl = await double((_request, response) => {
      requests++;
      response.writeHead(409, { "x-transmission-session-id": `id-${requests}` }).end();
    });
    const failure = await rpcFor(baseUrl)
      .call("session-get", {}, z.object({}))
      .catch((error: unknown) => error);
    expect(isPeerpayError(failure) && failure.code).toBe("BACKEND_PROTOCOL_ERROR");
    expect(requests).toBeLessThanOrEqual(4);
  });

  it("times out a daemon that never answers", async () => {
    const baseUrl = await double(() => undefined);
    const failure = await rpcFor(baseUrl, 300)
      .call("session-get", {}, z.object({}))
      .catch((error: unknown) => error);
    expect(isPeerpayError(failure) && failure.code).toBe("TIMEOUT");
    expect(isPeerpayError(failure) && failure.retryable).toBe(true);
  });

  it("turns a non-success result into BACKEND_PROTOCOL_ERROR and checks the answer's shape", async () => {
    const baseUrl = await double((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        const method = JSON.parse(body).method as string;
        const answer =
          method === "session-get"
            ? { result: "success", arguments: { version: 3 } }
            : { result: "method name not recognized", arguments: {} };
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
      });
    });
    const rpc = rpcFor(baseUrl);
    const unknown = await rpc.call("no-such-method", {}, z.object({})).catch((error: unknown) => error);
    expect(isPeerpayError(unknown) && unknown.code).toBe("BACKEND_PROTOCOL_ERROR");
    expect((unknown as Error).message).toContain("method name not recognized");
    const shape = await rpc
      .call("session-get", {}, z.object({ version: z.string() }))
      .catch((error: unknown) => error);
    expect(isPeerpayError(shape) && shape.code).toBe("BACKEND_PROTOCOL_ERROR");
  });

  it("maps 401 and 403 without putting the credentials anywhere in the error", async () => {
    let status = 401;
    const baseUrl = await double((_request, response) => {
      response.writeHead(status).end("<h1>nope</h1>");
    });
    const rpc = rpcFor(baseUrl);
    const unauthorized = await rpc.call("session-get", {}, z.object({})).catch((error: unknown) => error);
    expect(isPeerpayError(unauthorized) && unauthorized.code).toBe("BACKEND_AUTH_FAILED");
    status = 403;
    const forbidden = await rpc.call("session-get", {}, z.object({})).catch((error: unknown) => error);
    expect(isPeerpayError(forbidden) && forbidden.code).toBe("BACKEND_PERMISSION_DENIED");
    for (const error of [unauthorized, forbidden]) {
      const text = `${String(error)} ${JSON.stringify(error)} ${String((error as Error).cause)}`;
      expect(text).not.toContain("secret-pw");
      expect(text).not.toContain(Buffer.from("u:secret-pw").toString("base64"));
    }
  });
});
