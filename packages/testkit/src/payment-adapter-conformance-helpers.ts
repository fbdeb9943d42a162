/**
 * Shared pieces of the payment-adapter conformance suite: the fixture type, error assertions,
 * bounded waiting, and a collector for settled-invoice streams.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  type ErrorCode,
  isPeerpayError,
  type LightningNetwork,
  type PaymentAdapter,
  type PaymentAdapterCapabilities,
  type PeerpayError,
  type SettledInvoice,
  type SettledInvoiceSubscription,
} from "@peerpay/core";
import { expect } from "vitest";

export interface PaymentAdapterConformanceFixture {
  /** Shown in the suite's title, e.g. "sim", "lnd (regtest)", "cln (double)". */
  readonly name: string;
  /** The adapter of the node that issues invoices (the seller). */
  createPayee(): Promise<PaymentAdapter>;
  /** The adapter of a node with a route (and liquidity) to the payee (the buyer). */
  createPayer(): Promise<PaymentAdapter>;
  /** The network both nodes are on. */
  readonly network: LightningNetwork;
  /**
   * What the adapters can do, when it differs from "everything". Tests needing a capability that
   * is declared false are skipped with the reason; the suite also checks the adapters declare the
   * same. Payee capabilities: createInvoice, settledInvoiceStream, descriptionHash; payer: payInvoice.
   */
  readonly capabilities?: Partial<PaymentAdapterCapabilities>;
  /**
   * Restarts the payee's backend or program (whatever "restart" means for it), closing the current
   * payee adapter, and returns a new adapter for the same node with the same invoices.
   */
  restartPayee?(): Promise<PaymentAdapter>;
  readonly faults?: {
    /** Makes the payee's backend unreachable; returns a function that makes it reachable again. */
    makeUnavailable?(): Promise<() => Promise<void>>;
    /** Breaks the connection carrying the payee's settled-invoice stream (the node stays up). */
    dropSettledStream?(): Promise<void>;
  };
  /** Invoice amounts the tests use start here (default 10 000 msat). */
  readonly amountMsat?: bigint;
  /** The fee limit the tests pay with (default 10 000 msat). */
  readonly maxFeeMsat?: bigint;
  /** How long to wait for anything asynchronous, ms (default 20 000). */
  readonly waitMs?: number;
}

export const hexHash = /^[0-9a-f]{64}$/;
export const decimal = /^(0|[1-9][0-9]*)$/;

export function sha256Hex(hex: string): string {
  return createHash("sha256").update(Buffer.from(hex, "hex")).digest("hex");
}

export function randomHash(): string {
  return randomBytes(32).toString("hex");
}

/** Awaits a rejection and checks it is a PeerpayError with one of `codes`. */
export async function expectPeerpayError(
  operation: Promise<unknown>,
  codes: ErrorCode | readonly ErrorCode[],
): Promise<PeerpayError> {
  let caught: unknown;
  let resolved = false;
  try {
    await operation;
    resolved = true;
  } catch (error) {
    caught = error;
  }
  expect(resolved, `expected a rejection with ${String(codes)}, but it resolved`).toBe(false);
  expect(isPeerpayError(caught), `expected a PeerpayError, got ${String(caught)}`).toBe(true);
  const error = caught as PeerpayError;
  expect(typeof error.retryable).toBe("boolean");
  expect(typeof error.message).toBe("string");
  expect(error.code).toMatch(/^[A-Z][A-Z0-9_]*$/);
  expect(typeof codes === "string" ? [codes] : codes).toContain(error.code);
  return error;
}

/** Polls `condition` every 10 ms until it holds, failing after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Runs `operation`, retrying it while it fails with a retryable PeerpayError, as a careful caller
 * would right after a restart, an outage or a dropped connection (bounded by `timeoutMs`).
 */
export async function retrying<T>(operation: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (!isPeerpayError(error) || !error.retryable || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export interface StreamCollector {
  readonly delivered: SettledInvoice[];
  readonly errors: unknown[];
  /** The most handlers that ran at the same time (the contract says one). */
  readonly maxConcurrent: () => number;
  readonly subscription: SettledInvoiceSubscription;
  /** Waits until every hash has been delivered. */
  waitFor(hashes: readonly string[], timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Subscribes and records every delivery; each handler takes a little time to expose overlap. */
export function collectSettled(adapter: PaymentAdapter, cursor: string | undefined): StreamCollector {
  const delivered: SettledInvoice[] = [];
  const errors: unknown[] = [];
  let running = 0;
  let maxConcurrent = 0;
  const subscription = adapter.subscribeSettledInvoices({
    cursor,
    onSettled: async (invoice) => {
      running += 1;
      maxConcurrent = Math.max(maxConcurrent, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      delivered.push(invoice);
      running -= 1;
    },
    onError: (error) => errors.push(error),
  });
  return {
    delivered,
    errors,
    maxConcurrent: () => maxConcurrent,
    subscription,
    waitFor: (hashes, timeoutMs) =>
      waitUntil(
        () => hashes.every((hash) => delivered.some((invoice) => invoice.paymentHash === hash)),
        timeoutMs,
        `${hashes.length} settled invoice(s) on the stream`,
      ),
    close: () => subscription.close(),
  };
}

/** Checks the deliveries' shape and that cursors only grow. */
export function expectWellFormedDeliveries(delivered: readonly SettledInvoice[]): void {
  let previous = -1n;
  for (const invoice of delivered) {
    expect(invoice.paymentHash).toMatch(hexHash);
    expect(typeof invoice.amountMsat).toBe("bigint");
    expect(invoice.settledAt).toBeInstanceOf(Date);
    expect(invoice.cursor).toMatch(decimal);
    const cursor = BigInt(invoice.cursor);
    expect(cursor, "cursors increase along the stream").toBeGreaterThan(previous);
    previous = cursor;
  }
}

/** The deliveries of the given hashes, in delivery order. */
export function deliveriesOf(delivered: readonly SettledInvoice[], hashes: readonly string[]): string[] {
  return delivered.map((invoice) => invoice.paymentHash).filter((hash) => hashes.includes(hash));
}
