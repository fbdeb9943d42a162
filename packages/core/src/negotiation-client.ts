/**
 * The buyer's client for a seller's negotiation endpoint. Everything the seller answers is
 * validated with the protocol's zod schemas; errors come back as PeerpayError with the seller's
 * code when it is one of ours (BACKEND_PROTOCOL_ERROR otherwise).
 */
import type { z } from "zod";
import { type ErrorCode, errorCodes, isPeerpayError, PeerpayError } from "./errors.js";
import { readBoundedBytes } from "./negotiation-limits.js";
import type { FetchFunction } from "./negotiation-node-fetch.js";
import {
  type BalanceAnswer,
  balanceSchema,
  errorBodySchema,
  type InvoiceOffer,
  type InvoiceRequestBody,
  type InvoiceStatus,
  invoiceOfferSchema,
  invoiceStatusSchema,
  negotiationPaths,
  paymentHashSchema,
  type WellKnownDocument,
  wellKnownSchema,
} from "./negotiation-schemas.js";

export interface NegotiationClientOptions {
  /** The seller's endpoint, e.g. "http://203.0.113.5:9736". */
  readonly baseUrl: string;
  /** Defaults to the global fetch; pass `createNegotiationFetch({ localAddress })` to bind a source. */
  readonly fetch?: FetchFunction;
  /** Per-request timeout. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Largest answer read. Default 64 KiB. */
  readonly maxResponseBytes?: number;
}

export interface NegotiationClient {
  /** The seller's origin ("http://host:port"): the buyer ledger's key for this seller. */
  readonly origin: string;
  getWellKnown(): Promise<WellKnownDocument>;
  requestInvoice(body: InvoiceRequestBody): Promise<InvoiceOffer>;
  /** The balance; `paymentRequired` is true (and `offer` set) when the seller answered 402. */
  getBalance(): Promise<BalanceAnswer>;
  getInvoiceStatus(paymentHash: string): Promise<InvoiceStatus>;
}

const knownCodes: ReadonlySet<string> = new Set(errorCodes);

export function createNegotiationClient(options: NegotiationClientOptions): NegotiationClient {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch (error) {
    throw new PeerpayError("INVALID_CONFIG", "baseUrl is not a URL", { cause: error });
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new PeerpayError("INVALID_CONFIG", "baseUrl must be http: or https:");
  }
  const send = options.fetch ?? (globalThis.fetch as FetchFunction);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxResponseBytes = options.maxResponseBytes ?? 65_536;

  const call = async <T extends z.ZodType>(
    path: string,
    schema: T,
    init: RequestInit,
    acceptStatus: (status: number) => boolean,
  ): Promise<z.infer<T>> => {
    const url = new URL(path, base);
    let response: Response;
    let text: string;
    try {
      response = await send(url.toString(), { ...init, signal: AbortSignal.timeout(timeoutMs) });
      text = await readText(response, maxResponseBytes);
    } catch (error) {
      if (isPeerpayError(error)) throw error;
      const timedOut =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      throw new PeerpayError(
        timedOut ? "TIMEOUT" : "BACKEND_UNAVAILABLE",
        `seller ${base.origin}: ${timedOut ? "no answer in time" : "unreachable"}`,
        { cause: error },
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw protocolError(`answered ${response.status} without JSON`);
    }
    if (!acceptStatus(response.status)) {
      const parsed = errorBodySchema.safeParse(value);
      if (parsed.success && knownCodes.has(parsed.data.code)) {
        throw new PeerpayError(
          parsed.data.code as ErrorCode,
          `seller ${base.origin}: ${parsed.data.message}`,
          {
            details: { status: response.status, ...(parsed.data.details ?? {}) },
          },
        );
      }
      throw protocolError(`answered ${response.status}`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw protocolError(`sent an invalid answer (${issue?.path.join(".") || "body"}: ${issue?.message})`);
    }
    return parsed.data;
  };

  const protocolError = (message: string) =>
    new PeerpayError("BACKEND_PROTOCOL_ERROR", `seller ${base.origin}: ${message}`);

  return {
    origin: base.origin,
    getWellKnown: () =>
      call(negotiationPaths.wellKnown, wellKnownSchema, { method: "GET" }, (status) => status === 200),
    requestInvoice: (body) =>
      call(
        negotiationPaths.invoices,
        invoiceOfferSchema,
        { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
        (status) => status === 201,
      ),
    getBalance: () =>
      call(
        negotiationPaths.balance,
        balanceSchema,
        { method: "GET" },
        (status) => status === 200 || status === 402,
      ),
    getInvoiceStatus: (paymentHash) => {
      const hash = paymentHashSchema.parse(paymentHash);
      return call(
        `${negotiationPaths.invoices}/${hash}`,
        invoiceStatusSchema,
        { method: "GET" },
        (status) => status === 200,
      );
    },
  };
}

async function readText(response: Response, maxBytes: number): Promise<string> {
  const bytes = await readBoundedBytes(
    response.body,
    maxBytes,
    () => new PeerpayError("BACKEND_PROTOCOL_ERROR", `the seller's answer is larger than ${maxBytes} bytes`),
  );
  return Buffer.from(bytes).toString("utf8");
}
