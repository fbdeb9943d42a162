/**
 * A minimal `fetch` over Node's `http`/`https` that sends from a chosen local address. The seller
 * credits the address a request comes from, so a buyer must talk to the seller's endpoint from the
 * same address its BitTorrent client uses towards that seller; on a multi-homed host that means
 * binding the source address. Also used by tests to act as distinct loopback peers (127.0.0.2, …).
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { PeerpayError } from "./errors.js";

export interface NegotiationFetchOptions {
  /** Local (source) address to bind, e.g. "127.0.0.2" or "2001:db8::5". */
  readonly localAddress?: string;
  /** Largest response body read (bytes). Default 1 MiB. */
  readonly maxResponseBytes?: number;
}

export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export function createNegotiationFetch(options: NegotiationFetchOptions = {}): FetchFunction {
  const maxResponseBytes = options.maxResponseBytes ?? 1 << 20;
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new PeerpayError("INVALID_INPUT", `unsupported URL scheme ${url.protocol}`);
    }
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    const body =
      init.body === undefined || init.body === null ? undefined : await new Response(init.body).arrayBuffer();
    if (body !== undefined) headers.set("content-length", String(body.byteLength));
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const outgoing = send(
        url,
        {
          method: init.method ?? "GET",
          headers: Object.fromEntries(headers.entries()),
          ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          let total = 0;
          incoming.on("data", (chunk: Buffer) => {
            total += chunk.byteLength;
            if (total > maxResponseBytes) {
              incoming.destroy(new PeerpayError("BACKEND_PROTOCOL_ERROR", "the response is too large"));
              return;
            }
            chunks.push(chunk);
          });
          incoming.on("error", reject);
          incoming.on("end", () => {
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(incoming.headers)) {
              if (value === undefined) continue;
              for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(name, item);
            }
            const status = incoming.statusCode ?? 502;
            const nullBody =
              status === 204 || status === 304 || (init.method ?? "GET").toUpperCase() === "HEAD";
            resolve(
              new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders }),
            );
          });
        },
      );
      outgoing.on("error", reject);
      const signal = init.signal;
      if (signal) {
        if (signal.aborted) outgoing.destroy(signal.reason as Error);
        else signal.addEventListener("abort", () => outgoing.destroy(signal.reason as Error), { once: true });
      }
      outgoing.end(body === undefined ? undefined : Buffer.from(body));
    });
  };
}
