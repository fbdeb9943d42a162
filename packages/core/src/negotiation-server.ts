/**
 * A small Node `http` host for the negotiation handler: it turns each request into a Fetch
 * `Request` (streaming the body, never buffering it), passes the socket's remote address as the
 * context, and writes the `Response` back. Any framework can host the handler the same way.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { PeerpayError } from "./errors.js";
import type { NegotiationHandler } from "./negotiation-options.js";
import { errorResponse } from "./negotiation-responses.js";

export interface ServeNegotiationOptions {
  /** Address to listen on, e.g. "127.0.0.1" or "::". */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Milliseconds a client gets to send a whole request. Default 10 000. */
  readonly requestTimeoutMs?: number;
  /** Called with failures of the host itself (not of the handler). */
  readonly onError?: (error: unknown) => void;
}

export interface NegotiationServer {
  /** "http://host:port", with the port actually bound. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
  /** Escape hatch: the Node http server. */
  getInstance(): Server;
}

export async function serveNegotiation(
  handler: NegotiationHandler,
  options: ServeNegotiationOptions,
): Promise<NegotiationServer> {
  const server = createServer((incoming, outgoing) => {
    handle(handler, incoming, outgoing).catch((error: unknown) => {
      options.onError?.(error);
      if (!outgoing.headersSent) outgoing.writeHead(500, { "content-type": "application/json" });
      outgoing.end('{"code":"INTERNAL","message":"internal error"}');
    });
  });
  const timeout = options.requestTimeoutMs ?? 10_000;
  server.requestTimeout = timeout;
  server.headersTimeout = Math.min(timeout, 60_000);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl =
    address.family === "IPv6" || address.address.includes(":") ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostForUrl}:${address.port}`,
    host: address.address,
    port: address.port,
    getInstance: () => server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(handler: NegotiationHandler, incoming: IncomingMessage, outgoing: ServerResponse) {
  const remoteAddress = incoming.socket.remoteAddress ?? "";
  let response: Response | undefined;
  let request: Request | undefined;
  try {
    // The path comes from the request line only; the Host header is never trusted.
    const target = incoming.url ?? "/";
    if (!target.startsWith("/") || target.startsWith("//")) {
      throw new PeerpayError("INVALID_INPUT", "the request target must be an absolute path");
    }
    const url = new URL(`http://peerpay.invalid${target}`);
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
    }
    const method = incoming.method ?? "GET";
    const hasBody = method !== "GET" && method !== "HEAD";
    request = new Request(url, {
      method,
      headers,
      ...(hasBody ? { body: Readable.toWeb(incoming) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
    } as RequestInit);
  } catch (error) {
    response = errorResponse(
      error instanceof PeerpayError ? error : new PeerpayError("INVALID_INPUT", "malformed request"),
    );
  }
  response ??= await handler(request as Request, { remoteAddress });
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    responseHeaders[name] = value;
  });
  const body = Buffer.from(await response.arrayBuffer());
  responseHeaders["content-length"] = String(body.byteLength);
  // A body the handler refused without reading it all is not drained: the connection is closed.
  if (!incoming.complete) responseHeaders.connection = "close";
  outgoing.writeHead(response.status, responseHeaders);
  outgoing.end(body);
}
