/**
 * TEST DOUBLE of clnrest (CLN's REST plugin), over plain HTTP on loopback: `POST /v1/<method>`
 * with a JSON body of params and a `Rune` header. Success is HTTP 201 with the bare result; an RPC
 * error is HTTP 500 with `{code, message, data?}`; a missing or unknown rune is HTTP 401 with code
 * 1501, a method the rune does not allow is 401 with code 1502. Runes here are opaque strings the
 * test chooses (no rune cryptography).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { RpcFailure } from "./lightningd-double-entries.js";

export interface LightningdRestDoubleOptions {
  readonly runes: readonly string[];
  readonly host: string;
  /** 0 for a free port. */
  readonly port: number;
  readonly allowedMethods?: readonly string[];
  readonly dispatch: (method: string, params: unknown, signal: AbortSignal) => Promise<unknown>;
}

export interface LightningdRestDouble {
  readonly port: number;
  dropConnections(): void;
  close(): Promise<void>;
}

const maxBodyBytes = 1024 * 1024;

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.writableEnded || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

export async function startLightningdRestDouble(
  options: LightningdRestDoubleOptions,
): Promise<LightningdRestDouble> {
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const match = /^\/v1\/([a-z0-9-]+)$/.exec(request.url ?? "");
    if (!match) return send(response, 404, { code: -32601, message: "Not found" });
    if (request.method !== "POST")
      return send(response, 405, { code: -32600, message: "Method not allowed" });
    const method = match[1] as string;
    const rune = request.headers.rune;
    if (typeof rune !== "string" || rune.length === 0) {
      return send(response, 401, { code: 1501, message: "Not authorized: Missing rune" });
    }
    if (!options.runes.includes(rune)) {
      return send(response, 401, { code: 1501, message: "Not authorized: Not derived from master" });
    }
    if (options.allowedMethods && !options.allowedMethods.includes(method)) {
      return send(response, 401, {
        code: 1502,
        message: `Not permitted: method is not one of the rune's methods`,
      });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const aborter = new AbortController();
    response.on("close", () => aborter.abort());
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) request.destroy();
      else chunks.push(chunk);
    });
    request.on("end", () => {
      let params: unknown = {};
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.trim().length > 0) {
        try {
          params = JSON.parse(text);
        } catch {
          return send(response, 400, { code: -32600, message: "Invalid JSON body" });
        }
      }
      options.dispatch(method, params, aborter.signal).then(
        (result) => send(response, 201, result),
        (error: unknown) => {
          const failure =
            error instanceof RpcFailure
              ? error
              : new RpcFailure(-1, "internal error in the lightningd double");
          send(response, 500, {
            code: failure.code,
            message: failure.message,
            ...(failure.data === undefined ? {} : { data: failure.data }),
          });
        },
      );
    });
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    dropConnections: () => server.closeAllConnections(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
