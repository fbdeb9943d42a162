/**
 * The settled-invoice stream of a simulated node, modelled on LND's SubscribeInvoices with a
 * settle_index: the node keeps every settled invoice in settle order with a monotonic index, so a
 * stream that starts from a cursor replays everything settled after it — also what settled while
 * nobody listened — and then follows live. When the "connection" drops or the node goes offline
 * the stream reports a retryable BACKEND_UNAVAILABLE through `onError`, waits, reconnects and
 * catches up from the last cursor it delivered.
 */
import type {
  SettledInvoice,
  SettledInvoiceSubscription,
  SettledInvoiceSubscriptionOptions,
} from "@peerpay/core";
import { simError } from "./sim-network-state.js";
import type { SimInvoice, SimNetwork, SimNode } from "./sim-network-types.js";

export interface SimSettledStreamOptions extends SettledInvoiceSubscriptionOptions {
  /** How long a broken stream waits before reconnecting. */
  readonly reconnectDelayMs: number;
}

/** Parses a settle cursor: undefined means from the start; otherwise a decimal string. */
export function parseSettleCursor(cursor: string | undefined): bigint {
  if (cursor === undefined) return 0n;
  if (typeof cursor !== "string" || !/^(0|[1-9][0-9]{0,19})$/.test(cursor)) {
    throw simError("subscribeSettledInvoices", "INVALID_INPUT", "cursor must be a decimal settle index");
  }
  return BigInt(cursor);
}

export function toSettledInvoice(invoice: SimInvoice): SettledInvoice {
  return {
    paymentHash: invoice.paymentHash,
    amountMsat: invoice.receivedMsat ?? invoice.amountMsat,
    settledAt: invoice.settledAt ?? new Date(0),
    cursor: invoice.settleIndex!.toString(),
  };
}

export function openSimSettledStream(
  network: SimNetwork,
  node: SimNode,
  options: SimSettledStreamOptions,
): SettledInvoiceSubscription {
  let cursor = parseSettleCursor(options.cursor);
  let closed = false;
  let broken = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const stopSettled = network.onInvoiceSettled(node, signal);
  const stopConnection = network.onConnectionEvent(node, (event) => {
    if (event === "drop" || event === "offline") broken = true;
    signal();
  });
  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // A throwing error handler must not kill the stream.
    }
  };
  const waitFor = (ms?: number) =>
    new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(signal, ms);
      wake = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });

  const run = async () => {
    while (!closed) {
      if (broken || !network.isOnline(node)) {
        broken = false;
        report(
          simError(
            "subscribeSettledInvoices",
            "BACKEND_UNAVAILABLE",
            "the settled-invoice stream disconnected",
            {
              retryable: true,
            },
          ),
        );
        // Reconnect after a delay; while the node stays offline, keep trying at the same pace.
        do await waitFor(options.reconnectDelayMs);
        while (!closed && !network.isOnline(node));
        broken = false;
        continue;
      }
      const next = network.listSettledInvoices(node, cursor, 1)[0];
      if (next === undefined) {
        await waitFor();
        continue;
      }
      try {
        await options.onSettled(toSettledInvoice(next));
      } catch (error) {
        closed = true;
        report(error);
        break;
      }
      cursor = next.settleIndex!;
    }
    stopSettled();
    stopConnection();
  };
  const finished = run();

  return {
    async close() {
      closed = true;
      signal();
      await finished;
    },
  };
}
