/**
 * JSON-RPC 2.0 client for lightningd's unix socket (`<lightning-dir>/<network>/lightning-rpc`).
 * Requests are pipelined on one connection and answers matched by id (they may come back in any
 * order); the byte stream is framed with a streaming JSON splitter, not by lines. A dropped
 * connection fails the calls in flight with a typed, retryable error and the next call reconnects.
 *
 * Hand-written: there is no maintained TypeScript client for Core Lightning (see PRODUCT.md).
 */
import { connect, type Socket } from "node:net";
import { AdapterError } from "@peerpay/core";
import { ADAPTER_NAME, ClnRpcError } from "./cln-errors.js";
import { JsonStreamError, JsonStreamSplitter } from "./cln-json-stream.js";
import { rpcResponseSchema } from "./cln-schemas.js";
import type { ClnCallOptions, ClnLogLevel, ClnTransport } from "./cln-transport.js";

export interface ClnSocketTransportOptions {
  readonly socketPath: string;
  /** Default per-call timeout. Default 60 s. */
  readonly requestTimeoutMs?: number;
  /** How long to wait for the socket to accept a connection. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** The largest response accepted. Default 32 MiB. */
  readonly maxResponseBytes?: number;
  /**
   * Methods re-sent once on a fresh connection when the connection drops before the answer:
   * read-only calls, and `invoice` (the adapter treats "Duplicate label" for its own label as the
   * same invoice). Never pay/xpay. Any call whose request was never written is re-sent too.
   */
  readonly retrySafeMethods?: ReadonlySet<string>;
  /** Prefix of request ids, as lightningd-rpc(7) recommends: `PREFIX:METHOD#N`. Default "peerpay". */
  readonly idPrefix?: string;
  readonly log?: (level: ClnLogLevel, fields: Record<string, unknown>, message: string) => void;
}

interface PendingCall {
  readonly method: string;
  /** The request reached the kernel; until then a lost connection cannot have run it. */
  written: boolean;
  /** The connection the request went out on. */
  readonly connection: Socket;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

let connectionCounter = 0;

export const defaultRetrySafeMethods: ReadonlySet<string> = new Set([
  "getinfo",
  "listinvoices",
  "listpays",
  "decode",
  "decodepay",
  "waitanyinvoice",
  "invoice",
]);

/** Failures caused by a dropped connection, which `call` may re-send once. */
class DroppedConnection extends AdapterError {
  readonly written: boolean;
  constructor(method: string, written: boolean) {
    super(ADAPTER_NAME, method, "BACKEND_UNAVAILABLE", "connection to lightningd closed before it answered");
    this.written = written;
  }
}

export function createClnSocketTransport(options: ClnSocketTransportOptions): ClnTransport {
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const maxResponseBytes = options.maxResponseBytes ?? 32 * 1024 * 1024;
  const idPrefix = `${options.idPrefix ?? "peerpay"}-${process.pid}-${++connectionCounter}`;
  const log = options.log ?? (() => {});
  const pending = new Map<string, PendingCall>();
  const retrySafeMethods = options.retrySafeMethods ?? defaultRetrySafeMethods;
  let socket: Socket | undefined;
  let connecting: Promise<Socket> | undefined;
  let closed = false;
  let counter = 0;

  const failure = (
    method: string,
    code: "BACKEND_UNAVAILABLE" | "BACKEND_PROTOCOL_ERROR" | "TIMEOUT",
    message: string,
    cause?: unknown,
  ) => new AdapterError(ADAPTER_NAME, method, code, message, cause === undefined ? {} : { cause });

  /** Fails the calls waiting on `connection` (all calls when undefined). */
  function failAll(make: (method: string, call: PendingCall) => Error, connection?: Socket): void {
    for (const [id, call] of pending) {
      if (connection !== undefined && call.connection !== connection) continue;
      clearTimeout(call.timer);
      pending.delete(id);
      call.reject(make(call.method, call));
    }
  }

  function dropConnection(current: Socket, make: (method: string) => Error): void {
    if (socket === current) socket = undefined;
    current.destroy();
    failAll(make, current);
  }

  function handleMessage(current: Socket, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      dropConnection(current, (method) =>
        failure(method, "BACKEND_PROTOCOL_ERROR", "lightningd sent invalid JSON", error),
      );
      return;
    }
    const parsed = rpcResponseSchema.safeParse(message);
    if (!parsed.success) {
      dropConnection(current, (method) =>
        failure(
          method,
          "BACKEND_PROTOCOL_ERROR",
          "lightningd sent something that is not a JSON-RPC 2.0 response",
        ),
      );
      return;
    }
    const response = parsed.data as {
      id?: unknown;
      result?: unknown;
      error?: { code: number; message: string; data?: unknown };
    };
    if (response.id === undefined || response.id === null) {
      if (response.error)
        log("warn", { code: response.error.code }, "lightningd reported an error without an id");
      return; // a notification, or an error about an unparsable request
    }
    const id = String(response.id);
    const call = pending.get(id);
    if (!call) {
      log("debug", { id }, "response for a call no longer waiting (timed out)");
      return;
    }
    pending.delete(id);
    clearTimeout(call.timer);
    if (response.error) {
      call.reject(
        new ClnRpcError(call.method, response.error.code, response.error.message, response.error.data),
      );
    } else {
      call.resolve(response.result);
    }
  }

  function open(): Promise<Socket> {
    if (socket && !socket.destroyed && !socket.readableEnded && socket.writable)
      return Promise.resolve(socket);
    if (socket) {
      socket.destroy();
      socket = undefined;
    }
    if (connecting) return connecting;
    connecting = new Promise<Socket>((resolve, reject) => {
      const current = connect({ path: options.socketPath });
      const splitter = new JsonStreamSplitter({ maxValueBytes: maxResponseBytes });
      const timer = setTimeout(() => {
        current.destroy();
        reject(new Error(`no connection within ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      current.once("connect", () => {
        clearTimeout(timer);
        socket = current;
        log("debug", {}, "connected to lightningd");
        resolve(current);
      });
      current.on("data", (chunk: Buffer) => {
        let texts: string[];
        try {
          texts = splitter.push(chunk);
        } catch (error) {
          const oversized = error instanceof JsonStreamError && error.reason === "oversized";
          dropConnection(current, (method) =>
            failure(
              method,
              "BACKEND_PROTOCOL_ERROR",
              oversized ? `response larger than ${maxResponseBytes} bytes` : "lightningd sent malformed JSON",
              error,
            ),
          );
          return;
        }
        for (const text of texts) handleMessage(current, text);
      });
      current.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
        log("warn", { code: (error as NodeJS.ErrnoException).code }, "lightningd socket error");
      });
      current.on("close", () => {
        clearTimeout(timer);
        if (socket === current) socket = undefined;
        failAll((method, call) => new DroppedConnection(method, call.written), current);
      });
    }).finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  async function callOnce(
    method: string,
    params: Record<string, unknown>,
    callOptions: ClnCallOptions,
  ): Promise<unknown> {
    if (closed) throw failure(method, "BACKEND_UNAVAILABLE", "the connection has been closed");
    let current: Socket;
    try {
      current = await open();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new AdapterError(
        ADAPTER_NAME,
        method,
        "BACKEND_UNAVAILABLE",
        `cannot connect to lightningd's socket${code ? ` (${code})` : ""}`,
        { cause: error, details: code ? { errno: code } : {} },
      );
    }
    const id = `${idPrefix}:${method}#${++counter}`;
    const timeoutMs = callOptions.timeoutMs ?? requestTimeoutMs;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(failure(method, "TIMEOUT", `no answer from lightningd within ${timeoutMs} ms`));
      }, timeoutMs);
      const call: PendingCall = { method, resolve, reject, timer, written: false, connection: current };
      pending.set(id, call);
      current.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`, (error) => {
        if (!error) call.written = true;
      });
    });
  }

  return {
    kind: "socket",
    async call(
      method: string,
      params: Record<string, unknown>,
      callOptions: ClnCallOptions = {},
    ): Promise<unknown> {
      try {
        return await callOnce(method, params, callOptions);
      } catch (error) {
        if (!(error instanceof DroppedConnection) || closed) throw error;
        if (error.written && !retrySafeMethods.has(method)) throw error;
        log("debug", { method }, "connection dropped before the answer; sending the call again");
        return callOnce(method, params, callOptions);
      }
    },
    async close(): Promise<void> {
      closed = true;
      const current = socket;
      socket = undefined;
      current?.destroy();
      failAll((method) => failure(method, "BACKEND_UNAVAILABLE", "the connection has been closed"));
    },
  };
}
