/**
 * The daemon's status server (node:http, loopback by default): the HTML status page at `/`, JSON at
 * `/api/status`, Prometheus text at `/metrics`. When a token is set (required off loopback), every
 * request must carry it as `Authorization: Bearer <token>` or `?token=<token>` (for a browser).
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { ServiceLogger } from "./service-logger.js";
import { renderStatusPage } from "./status-page.js";
import type { StatusSnapshot } from "./status-snapshot.js";

export interface StatusServerOptions {
  readonly host: string;
  readonly port: number;
  readonly token?: string;
  readonly snapshot: () => Promise<StatusSnapshot>;
  readonly registry: Registry;
  readonly logger: ServiceLogger;
}

export interface StatusServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://status.invalid");
    if (request.method !== "GET" && request.method !== "HEAD") {
      return send(response, 405, "text/plain", "method not allowed\n", { allow: "GET, HEAD" });
    }
    if (options.token && !authorized(request, url, options.token)) {
      return send(response, 401, "text/plain", "a token is required: Authorization: Bearer <token>\n", {
        "www-authenticate": 'Bearer realm="peerpay"',
      });
    }
    switch (url.pathname) {
      case "/":
        return send(
          response,
          200,
          "text/html; charset=utf-8",
          renderStatusPage(await options.snapshot(), { refreshSeconds: 5 }),
        );
      case "/api/status":
        return send(response, 200, "application/json", `${JSON.stringify(await options.snapshot())}\n`);
      case "/metrics":
        return send(response, 200, options.registry.contentType, await options.registry.metrics());
      case "/healthz":
        return send(response, 200, "text/plain", "ok\n");
      default:
        return send(response, 404, "text/plain", "not found\n");
    }
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.logger.error({ err: error }, "status request failed");
      if (!response.headersSent) send(response, 500, "text/plain", "internal error\n");
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function authorized(request: IncomingMessage, url: URL, token: string): boolean {
  const header = request.headers.authorization ?? "";
  const offered = header.startsWith("Bearer ") ? header.slice(7) : (url.searchParams.get("token") ?? "");
  const expected = Buffer.from(token);
  const given = Buffer.from(offered);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    "content-type": type,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    ...headers,
  });
  response.end(body);
}
