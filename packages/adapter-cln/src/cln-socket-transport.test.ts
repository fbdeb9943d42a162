/**
 * The socket client against a scripted unix-socket server that answers exactly as each test needs
 * (order, chunking, drops, garbage), to pin down framing, pipelining and reconnection.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPeerpayError } from "@peerpay/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClnRpcError } from "./cln-errors.js";
import { JsonStreamSplitter } from "./cln-json-stream.js";
import { type RpcRequest, rpcRequestSchema } from "./cln-schemas.js";
import { createClnSocketTransport } from "./cln-socket-transport.js";
import type { ClnTransport } from "./cln-transport.js";

type Handler = (request: RpcRequest, socket: Socket, all: RpcRequest[]) => void;

interface ScriptedServer {
  readonly path: string;
  readonly requests: RpcRequest[];
  connections: number;
  handler: Handler;
  close(): Promise<void>;
  listen(): Promise<void>;
}

function answer(socket: Socket, id: string | number, result: unknown): void {
  socket.write(`${JSON.stringify({ jsonrpc: "2.0", id, result })}\n\n`);
}

function startScriptedServer(path: string): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const scripted: ScriptedServer = {
    path,
    requests: [],
    connections: 0,
    handler: (request, socket) => answer(socket, request.id, { echo: request.method }),
    listen() {
      server = createServer((socket) => {
        scripted.connections++;
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        const splitter = new JsonStreamSplitter({ maxValueBytes: 1 << 20 });
        socket.on("data", (chunk) => {
          for (const text of splitter.push(chunk)) {
            const request = rpcRequestSchema.parse(JSON.parse(text));
            scripted.requests.push(request);
            scripted.handler(request, socket, scripted.requests);
          }
        });
      });
      return new Promise((resolve) => server?.listen(path, resolve));
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
  return scripted.listen().then(() => scripted);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("createClnSocketTransport", () => {
  let directory: string;
  let server: ScriptedServer;
  let transport: ClnTransport;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), "peerpay-cln-socket-"));
    server = await startScriptedServer(join(directory, "lightning-rpc"));
    transport = createClnSocketTransport({ socketPath: server.path, requestTimeoutMs: 2_000 });
  });

  afterEach(async () => {
    await transport.close();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it("sends JSON-RPC 2.0 with params {} and ids of the form PREFIX:METHOD#N", async () => {
    await expect(transport.call("getinfo", {})).resolves.toEqual({ echo: "getinfo" });
    const [request] = server.requests;
    expect(request).toMatchObject({ jsonrpc: "2.0", method: "getinfo", params: {} });
    expect(String(request?.id)).toMatch(/^peerpay-\d+-\d+:getinfo#1$/);
  });

  it("pipelines calls on one connection and matches answers that come back in reverse order in one chunk", async () => {
    server.handler = (_request, socket, all) => {
      if (all.length < 3) return;
      const text = [...all]
        .reverse()
        .map(
          (request) =>
            `${JSON.stringify({ jsonrpc: "2.0", id: request.id, result: { method: request.method } })}\n\n`,
        )
        .join("");
      socket.write(text);
    };
    const results = await Promise.all([
      transport.call("getinfo", {}),
      transport.call("listinvoices", {}),
      transport.call("listpays", {}),
    ]);
    expect(results).toEqual([{ method: "getinfo" }, { method: "listinvoices" }, { method: "listpays" }]);
    expect(server.connections).toBe(1);
  });

  it("reassembles an answer written one byte at a time", async () => {
    server.handler = (request, socket) => {
      const bytes = Buffer.from(
        `${JSON.stringify({ jsonrpc: "2.0", id: request.id, result: { text: "é\n\n}" } })}\n\n`,
      );
      let index = 0;
      const next = () => {
        if (index >= bytes.length || socket.destroyed) return;
        socket.write(bytes.subarray(index, index + 1));
        index++;
        setImmediate(next);
      };
      next();
    };
    await expect(transport.call("getinfo", {})).resolves.toEqual({ text: "é\n\n}" });
  });

  it("turns an error answer into a ClnRpcError with the mapped code", async () => {
    server.handler = (request, socket) =>
      socket.write(
        `${JSON.stringify({ jsonrpc: "2.0", id: request.id, error: { code: 900, message: "Duplicate label 'a'" } })}\n\n`,
      );
    const error = await rejection(transport.call("invoice", { label: "a" }));
    expect(error).toBeInstanceOf(ClnRpcError);
    expect(error).toMatchObject({ rpcCode: 900, code: "CONFLICT" });
  });

  it("fails a call in flight when the node drops the connection, then reconnects for the next call", async () => {
    server.handler = (request, socket) => {
      if (request.method === "pay") socket.destroy();
      else answer(socket, request.id, { ok: true });
    };
    const error = await rejection(transport.call("pay", { bolt11: "x" }));
    expect(isPeerpayError(error) && error.code).toBe("BACKEND_UNAVAILABLE");
    expect(isPeerpayError(error) && error.retryable).toBe(true);
    await expect(transport.call("getinfo", {})).resolves.toEqual({ ok: true });
    expect(server.connections).toBe(2);
  });

  it("reports malformed output as BACKEND_PROTOCOL_ERROR without crashing, and recovers", async () => {
    server.handler = (request, socket) => {
      if (request.method === "getinfo") socket.write("<html>not json</html>\n\n");
      else answer(socket, request.id, { ok: true });
    };
    const error = await rejection(transport.call("getinfo", {}));
    expect(isPeerpayError(error) && error.code).toBe("BACKEND_PROTOCOL_ERROR");
    await expect(transport.call("listpays", {})).resolves.toEqual({ ok: true });
  });

  it("reports a JSON value that is not a JSON-RPC response as BACKEND_PROTOCOL_ERROR", async () => {
    server.handler = (request, socket) => {
      if (request.method === "getinfo") socket.write(`${JSON.stringify({ id: request.id, result: {} })}\n\n`);
      else answer(socket, request.id, { ok: true });
    };
    const error = await rejection(transport.call("getinfo", {}));
    expect(isPeerpayError(error) && error.code).toBe("BACKEND_PROTOCOL_ERROR");
  });

  it("drops an oversized answer with a clear error", async () => {
    await transport.close();
    transport = createClnSocketTransport({ socketPath: server.path, maxResponseBytes: 4096 });
    server.handler = (request, socket) => answer(socket, request.id, { blob: "z".repeat(10_000) });
    const error = await rejection(transport.call("listinvoices", {}));
    expect(isPeerpayError(error) && error.code).toBe("BACKEND_PROTOCOL_ERROR");
    expect(String((error as Error).message)).toMatch(/larger than 4096 bytes/);
  });

  it("times out a call with TIMEOUT, ignores the late answer and keeps working", async () => {
    server.handler = (request, socket) => {
      const delay = request.method === "slow" ? 300 : 0;
      setTimeout(() => answer(socket, request.id, { method: request.method }), delay);
    };
    const error = await rejection(transport.call("slow", {}, { timeoutMs: 50 }));
    expect(isPeerpayError(error) && error.code).toBe("TIMEOUT");
    await new Promise((resolve) => setTimeout(resolve, 350));
    await expect(transport.call("getinfo", {})).resolves.toEqual({ method: "getinfo" });
  });

  it("reconnects after the node restarts on the same socket path", async () => {
    await expect(transport.call("getinfo", {})).resolves.toEqual({ echo: "getinfo" });
    await server.close();
    const down = await rejection(transport.call("getinfo", {}));
    expect(isPeerpayError(down) && down.code).toBe("BACKEND_UNAVAILABLE");
    await server.listen();
    await expect(transport.call("getinfo", {})).resolves.toEqual({ echo: "getinfo" });
  });

  it("fails fast with BACKEND_UNAVAILABLE when no socket exists", async () => {
    const missing = createClnSocketTransport({ socketPath: join(directory, "absent") });
    const error = await rejection(missing.call("getinfo", {}));
    expect(isPeerpayError(error) && error.code).toBe("BACKEND_UNAVAILABLE");
    await missing.close();
  });
});
