/**
 * A PROTOCOL-LEVEL TEST DOUBLE of Core Lightning's lightningd — not a Lightning node. It serves
 * lightningd's JSON-RPC on a unix socket the way lightningd does (a stream of JSON requests,
 * pipelined, answered in any order, each answer followed by "\n\n"; `jsonrpc: "2.0"`, `id` and
 * `params` required; malformed input half-closes the connection) and the same methods over a
 * clnrest-style HTTP server with a `Rune` header. Behind it is one node of the simulated
 * Lightning network, so payments to and from other simulated nodes really settle.
 *
 * It exists because no lightningd can be installed on the machines this project is tested on.
 * Fault knobs (`faults`) let tests drop connections, delay answers, send garbage and inject pay
 * failure codes.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SimNetwork, SimNodeRef } from "@peerpay/lightning-sim";
import { JsonStreamSplitter } from "../cln-json-stream.js";
import { type RpcRequest, rpcRequestSchema } from "../cln-schemas.js";
import { RpcFailure } from "./lightningd-double-entries.js";
import {
  createDoubleHandlers,
  type DoubleHandler,
  type LightningdDoubleContext,
} from "./lightningd-double-methods.js";
import { type LightningdRestDouble, startLightningdRestDouble } from "./lightningd-double-rest.js";

export interface LightningdDoubleOptions {
  /** The simulated network and the node this lightningd double is. */
  readonly network: SimNetwork;
  readonly node: SimNodeRef;
  /** The version getinfo reports; decides which methods exist (decode v23.05+, xpay v24.11+, no decodepay from v26.04). Default "v26.06.6". */
  readonly version?: string;
  /** Methods to leave out even if the version has them (like `disable-plugin=cln-xpay`). */
  readonly disabledMethods?: readonly string[];
  /** getinfo's `network`. Default "simnet" (the simulator's invoices are `lnsb…`). */
  readonly networkName?: string;
  /** Where the socket goes; default a fresh temp dir with `<dir>/simnet/lightning-rpc`. */
  readonly socketPath?: string;
  /** Also serve clnrest on 127.0.0.1 with these runes. */
  readonly rest?: {
    readonly runes: readonly string[];
    readonly host?: string;
    readonly allowedMethods?: readonly string[];
  };
}

export interface LightningdDoubleFaults {
  /** Answers to `method` wait this long first. */
  delay(method: string, milliseconds: number): void;
  /** The next request for `method` makes the double close the connection without answering. */
  dropNext(method: string): void;
  /** The next answer to `method` is replaced by these raw bytes (or what the function makes of the request id). */
  rawNext(method: string, bytes: string | ((id: string | number) => string)): void;
  /** The next pay/xpay calls fail with this CLN error (code per doc/schemas/pay.json, xpay.json). */
  failNextPay(code: number, message: string, data?: unknown): void;
  /** Drops every open connection (socket and HTTP) while staying up: clients must reconnect. */
  dropConnections(): void;
  /** Writes each answer in pieces of this many bytes, one per event-loop turn (undefined: whole). */
  chunkAnswers(bytes: number | undefined): void;
  clear(): void;
}

export interface LightningdDouble {
  readonly socketPath: string;
  /** clnrest base URL (http://127.0.0.1:port) when `rest` was given. */
  readonly restUrl: string | undefined;
  /** Every well-formed request received on the socket, in arrival order. */
  readonly requests: readonly RpcRequest[];
  /** Socket connections accepted so far. */
  readonly connectionCount: number;
  readonly faults: LightningdDoubleFaults;
  /** Stops listening and drops every connection; the node's state (the simulated network) stays. */
  stop(): Promise<void>;
  /** Listens again on the same socket path (and the same REST port). */
  start(): Promise<void>;
  /** stop() then start(): a lightningd restart. */
  restart(): Promise<void>;
  /** Stops and removes the temp dir it created. */
  close(): Promise<void>;
}

interface Faults {
  delays: Map<string, number>;
  drops: Set<string>;
  raw: Map<string, string | ((id: string | number) => string)>;
  chunkBytes: number | undefined;
}

export async function createLightningdDouble(options: LightningdDoubleOptions): Promise<LightningdDouble> {
  const ownDirectory = options.socketPath
    ? undefined
    : mkdtempSync(join(tmpdir(), "peerpay-lightningd-double-"));
  const lightningDir = ownDirectory ?? join(options.socketPath as string, "..", "..");
  const socketPath = options.socketPath ?? join(ownDirectory as string, "simnet", "lightning-rpc");
  if (ownDirectory) mkdirSync(join(ownDirectory, "simnet"));
  const payFailures: LightningdDoubleContext["payFailures"] = [];
  const context: LightningdDoubleContext = {
    network: options.network,
    node: options.network.getNode(options.node),
    version: options.version ?? "v26.06.6",
    networkName: options.networkName ?? "simnet",
    lightningDir,
    socketPath,
    payFailures,
  };
  const handlers = createDoubleHandlers(context);
  for (const method of options.disabledMethods ?? []) handlers.delete(method);
  const faults: Faults = { delays: new Map(), drops: new Set(), raw: new Map(), chunkBytes: undefined };
  const requests: RpcRequest[] = [];
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let rest: LightningdRestDouble | undefined;
  let restPort = 0;
  let connectionCount = 0;

  const dispatch = async (method: string, params: unknown, signal: AbortSignal): Promise<unknown> => {
    const handler: DoubleHandler | undefined = handlers.get(method);
    if (!handler) throw new RpcFailure(-32601, `Unknown command '${method}'`);
    const delay = faults.delays.get(method);
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    return handler(params, signal);
  };

  function write(socket: Socket, text: string): void {
    if (socket.destroyed) return;
    const chunk = faults.chunkBytes;
    if (!chunk) {
      socket.write(text);
      return;
    }
    const bytes = Buffer.from(text);
    let offset = 0;
    const next = () => {
      if (offset >= bytes.length || socket.destroyed) return;
      socket.write(bytes.subarray(offset, offset + chunk));
      offset += chunk;
      setImmediate(next);
    };
    next();
  }

  function reply(socket: Socket, id: unknown, body: { result: unknown } | { error: unknown }): void {
    write(socket, `${JSON.stringify({ jsonrpc: "2.0", id, ...body })}\n\n`);
  }

  function handleRequest(socket: Socket, text: string, signal: AbortSignal): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      reply(socket, null, { error: { code: -32600, message: "Invalid token in json input" } });
      socket.end();
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      reply(socket, null, { error: { code: -32600, message: "Expected {} for json command" } });
      return;
    }
    const object = value as Record<string, unknown>;
    if (object.id === undefined) {
      reply(socket, null, { error: { code: -32600, message: "No id" } });
      return;
    }
    if (object.method === undefined || object.params === undefined) {
      reply(socket, object.id, {
        error: { code: -32600, message: object.method === undefined ? "No method" : "No params" },
      });
      return;
    }
    if (object.jsonrpc !== "2.0") {
      reply(socket, object.id, {
        error: { code: -32600, message: 'jsonrpc: "2.0" must be specified in the request' },
      });
      return;
    }
    const parsed = rpcRequestSchema.safeParse(object);
    if (!parsed.success) {
      reply(socket, object.id, {
        error: { code: -32600, message: "Expected string for method, array or object for params" },
      });
      return;
    }
    const request = parsed.data;
    requests.push(request);
    if (faults.drops.delete(request.method)) {
      socket.destroy();
      return;
    }
    const raw = faults.raw.get(request.method);
    if (raw !== undefined) {
      faults.raw.delete(request.method);
      write(socket, typeof raw === "function" ? raw(request.id) : raw);
      return;
    }
    dispatch(request.method, request.params, signal).then(
      (result) => reply(socket, request.id, { result }),
      (error: unknown) => {
        if (signal.aborted) return;
        const failure =
          error instanceof RpcFailure ? error : new RpcFailure(-1, "internal error in the lightningd double");
        reply(socket, request.id, {
          error: {
            code: failure.code,
            message: failure.message,
            ...(failure.data === undefined ? {} : { data: failure.data }),
          },
        });
      },
    );
  }

  async function start(): Promise<void> {
    rmSync(socketPath, { force: true });
    server = createServer((socket) => {
      connectionCount++;
      sockets.add(socket);
      const aborter = new AbortController();
      const splitter = new JsonStreamSplitter({ maxValueBytes: 16 * 1024 * 1024 });
      socket.on("close", () => {
        sockets.delete(socket);
        aborter.abort();
      });
      socket.on("error", () => {});
      socket.on("data", (chunk: Buffer) => {
        let texts: string[];
        try {
          texts = splitter.push(chunk);
        } catch {
          // lightningd answers a parse failure once and half-closes the connection.
          reply(socket, null, { error: { code: -32600, message: "Invalid token in json input" } });
          socket.end();
          return;
        }
        for (const text of texts) handleRequest(socket, text, aborter.signal);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server?.once("error", reject);
      server?.listen(socketPath, () => resolve());
    });
    if (options.rest) {
      rest = await startLightningdRestDouble({
        runes: options.rest.runes,
        host: options.rest.host ?? "127.0.0.1",
        port: restPort,
        ...(options.rest.allowedMethods ? { allowedMethods: options.rest.allowedMethods } : {}),
        dispatch,
      });
      restPort = rest.port;
    }
  }

  async function stop(): Promise<void> {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    const current = server;
    server = undefined;
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    await rest?.close();
    rest = undefined;
  }

  await start();
  return {
    socketPath,
    get restUrl() {
      return options.rest ? `http://${options.rest.host ?? "127.0.0.1"}:${restPort}` : undefined;
    },
    requests,
    get connectionCount() {
      return connectionCount;
    },
    faults: {
      delay: (method, milliseconds) => void faults.delays.set(method, milliseconds),
      dropNext: (method) => void faults.drops.add(method),
      rawNext: (method, bytes) => void faults.raw.set(method, bytes),
      failNextPay: (code, message, data) => void payFailures.push({ code, message, data }),
      dropConnections: () => {
        for (const socket of sockets) socket.destroy();
        rest?.dropConnections();
      },
      chunkAnswers: (bytes) => {
        faults.chunkBytes = bytes;
      },
      clear: () => {
        faults.delays.clear();
        faults.drops.clear();
        faults.raw.clear();
        faults.chunkBytes = undefined;
        payFailures.length = 0;
      },
    },
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    async close() {
      await stop();
      rmSync(socketPath, { force: true });
      if (ownDirectory) rmSync(ownDirectory, { recursive: true, force: true });
    },
  };
}
