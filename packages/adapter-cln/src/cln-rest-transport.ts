/**
 * clnrest transport (CLN's REST plugin, built in since v23.08): `POST <url>/v1/<method>` with the
 * params as a JSON body and the rune in the `Rune` header. Success is HTTP 201 (200 accepted) with
 * the bare result; an error is a 4xx/5xx with `{code, message, data?}`.
 *
 * The rune lives only in this closure: it is never logged, never put in an error, and not
 * reachable from the returned object.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { AdapterError, type ErrorCode } from "@peerpay/core";
import { ADAPTER_NAME, ClnRpcError, clnErrorCodes } from "./cln-errors.js";
import { rpcErrorObjectSchema } from "./cln-schemas.js";
import { defaultRetrySafeMethods } from "./cln-socket-transport.js";
import type { ClnCallOptions, ClnLogLevel, ClnTransport } from "./cln-transport.js";

export interface ClnRestTransportOptions {
  /** e.g. "https://127.0.0.1:3010" (clnrest's default protocol is https). */
  readonly url: string;
  readonly rune: string;
  /** PEM CA certificate(s) for clnrest's self-signed certificate (`<lightning-dir>/<network>/ca.pem`). */
  readonly caCertificate?: string | Buffer;
  readonly requestTimeoutMs?: number;
  readonly maxResponseBytes?: number;
  /** Methods re-sent once when the connection breaks before an answer (see the socket transport). */
  readonly retrySafeMethods?: ReadonlySet<string>;
  readonly log?: (level: ClnLogLevel, fields: Record<string, unknown>, message: string) => void;
}

export function createClnRestTransport(options: ClnRestTransportOptions): ClnTransport {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new AdapterError(ADAPTER_NAME, "configure", "INVALID_CONFIG", "rest.url is not a URL");
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new AdapterError(
      ADAPTER_NAME,
      "configure",
      "INVALID_CONFIG",
      "rest.url must be an http:// or https:// URL",
    );
  }
  if (!options.rune)
    throw new AdapterError(ADAPTER_NAME, "configure", "INVALID_CONFIG", "rest.rune is required");
  const rune = options.rune;
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const maxResponseBytes = options.maxResponseBytes ?? 32 * 1024 * 1024;
  const log = options.log ?? (() => {});
  const inFlight = new Set<{ abort: () => void }>();
  const retrySafeMethods = options.retrySafeMethods ?? defaultRetrySafeMethods;
  // Own keep-alive pool, so close() can drop it and tests do not share sockets across transports.
  const agent =
    base.protocol === "https:"
      ? new HttpsAgent({ keepAlive: true, ...(options.caCertificate ? { ca: options.caCertificate } : {}) })
      : new HttpAgent({ keepAlive: true });
  let closed = false;

  const failure = (
    method: string,
    code: ErrorCode,
    message: string,
    extra: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) => new AdapterError(ADAPTER_NAME, method, code, message, extra);

  function send(
    method: string,
    params: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<{ status: number; body: string }> {
    const body = JSON.stringify(params);
    const target = new URL(
      `v1/${encodeURIComponent(method)}`,
      base.href.endsWith("/") ? base.href : `${base.href}/`,
    );
    const requestFunction = target.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = requestFunction(
        target,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), rune },
          ...(options.caCertificate ? { ca: options.caCertificate } : {}),
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxResponseBytes) {
              response.destroy();
              reject(
                failure(method, "BACKEND_PROTOCOL_ERROR", `response larger than ${maxResponseBytes} bytes`),
              );
              return;
            }
            chunks.push(chunk);
          });
          response.on("end", () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
          response.on("error", (error) =>
            reject(
              failure(method, "BACKEND_UNAVAILABLE", "clnrest connection failed while reading", {
                cause: scrubCause(error),
              }),
            ),
          );
        },
      );
      const handle = { abort: () => outgoing.destroy(new Error("closed")) };
      inFlight.add(handle);
      const timer = setTimeout(() => {
        outgoing.destroy();
        reject(failure(method, "TIMEOUT", `no answer from clnrest within ${timeoutMs} ms`));
      }, timeoutMs);
      outgoing.on("error", (error: NodeJS.ErrnoException) => {
        const code = error.code;
        const failed = failure(
          method,
          "BACKEND_UNAVAILABLE",
          `cannot reach clnrest${code ? ` (${code})` : ""}`,
          {
            cause: scrubCause(error),
            details: code ? { errno: code } : {},
          },
        );
        // A kept-alive socket the server had already closed: the request never reached it.
        const stale = outgoing.reusedSocket && code === "ECONNRESET";
        reject(Object.assign(failed, { resendable: stale || code === "ECONNRESET" ? { stale } : undefined }));
      });
      outgoing.on("close", () => {
        clearTimeout(timer);
        inFlight.delete(handle);
      });
      outgoing.end(body);
    });
  }

  /** Node's errors never carry request headers, but keep only name/code/message to be sure. */
  function scrubCause(error: Error): Error {
    const copy = new Error(error.message.split(rune).join("[redacted]"));
    copy.name = error.name;
    return copy;
  }

  return {
    kind: "rest",
    async call(
      method: string,
      params: Record<string, unknown>,
      callOptions: ClnCallOptions = {},
    ): Promise<unknown> {
      if (closed) throw failure(method, "BACKEND_UNAVAILABLE", "the transport has been closed");
      const timeoutMs = callOptions.timeoutMs ?? requestTimeoutMs;
      let answer: { status: number; body: string };
      try {
        answer = await send(method, params, timeoutMs);
      } catch (error) {
        const resendable = (error as { resendable?: { stale: boolean } }).resendable;
        if (closed || !resendable || !(resendable.stale || retrySafeMethods.has(method))) throw error;
        log("debug", { method }, "clnrest connection broke before the answer; sending the call again");
        answer = await send(method, params, timeoutMs);
      }
      const { status, body } = answer;
      let parsed: unknown;
      try {
        parsed = body.length === 0 ? undefined : JSON.parse(body);
      } catch {
        throw failure(
          method,
          status >= 400 ? httpCode(status) : "BACKEND_PROTOCOL_ERROR",
          `clnrest answered HTTP ${status} with a body that is not JSON`,
        );
      }
      if (status === 200 || status === 201) return parsed;
      const error = rpcErrorObjectSchema.safeParse(parsed);
      log("debug", { method, status }, "clnrest answered with an error");
      if (error.success && status !== 401 && status !== 403) {
        throw new ClnRpcError(
          method,
          error.data.code,
          error.data.message.split(rune).join("[redacted]"),
          error.data.data,
        );
      }
      if (error.success && (status === 401 || status === 403)) {
        // 1501 (not authorized) / 1503 (blacklisted) or 1502 (rune does not permit this method).
        const permission = error.data.code === clnErrorCodes.RUNE_NOT_PERMITTED || status === 403;
        throw failure(
          method,
          permission ? "BACKEND_PERMISSION_DENIED" : "BACKEND_AUTH_FAILED",
          `clnrest refused the rune (HTTP ${status}, code ${error.data.code})`,
          { details: { httpStatus: status, clnCode: error.data.code } },
        );
      }
      throw failure(method, httpCode(status), `clnrest answered HTTP ${status}`, {
        details: { httpStatus: status },
      });
    },
    async close(): Promise<void> {
      closed = true;
      for (const handle of inFlight) handle.abort();
      inFlight.clear();
      agent.destroy();
    },
  };
}

function httpCode(status: number): ErrorCode {
  if (status === 401) return "BACKEND_AUTH_FAILED";
  if (status === 403) return "BACKEND_PERMISSION_DENIED";
  if (status === 404 || status === 405) return "UNSUPPORTED";
  if (status >= 500) return "BACKEND_UNAVAILABLE";
  return "BACKEND_PROTOCOL_ERROR";
}
