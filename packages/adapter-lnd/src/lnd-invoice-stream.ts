/**
 * The settled-invoice stream. The adapter keeps the settle index itself: `lightning`'s own
 * auto-restart of `subscribeToInvoices` overwrites its cursor with every event, and an *add* event
 * has no settle index, so after a break it resubscribes with settle_index 0 ("no backlog") and
 * loses what settled in between. Here every break tears the library's emitter down and opens a new
 * subscription with `confirmed_after` = the highest settle index delivered (LND sends the backlog
 * after it). LND's index 0 means "no backlog" (the first settled invoice has index 1), so with no
 * cursor the backlog is read by paging `ListInvoices` instead. Indexes may have gaps; only order
 * is relied on.
 */
import type {
  SettledInvoice,
  SettledInvoiceSubscription,
  SettledInvoiceSubscriptionOptions,
} from "@peerpay/core";
import { type AuthenticatedLnd, getInvoices, subscribeToInvoices } from "lightning";
import { type Redactor, toLndAdapterError } from "./lnd-errors.js";

/** The fields of a library invoice event this stream reads. */
export interface LndInvoiceEvent {
  readonly id: string;
  readonly is_confirmed: boolean;
  readonly confirmed_index?: number;
  readonly confirmed_at?: string;
  readonly received_mtokens: string;
}

export interface InvoiceStreamConfiguration {
  readonly lnd: AuthenticatedLnd;
  readonly redact: Redactor;
  readonly reconnectDelayMs: { readonly initial: number; readonly max: number };
}

const operation = "subscribeSettledInvoices";
const pageLimit = 250;
const maxPages = 10_000;

function parseCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === "") return 0;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(cursor)) {
    throw new TypeError(
      `[lnd] ${operation}: cursor must be a decimal settle index, got "${cursor.slice(0, 40)}"`,
    );
  }
  return Number(cursor);
}

export function toSettledInvoice(event: LndInvoiceEvent): SettledInvoice {
  return {
    paymentHash: event.id,
    amountMsat: BigInt(event.received_mtokens),
    settledAt: event.confirmed_at ? new Date(event.confirmed_at) : new Date(),
    cursor: String(event.confirmed_index),
  };
}

/** Every settled invoice the node knows, in settle order (used when there is no cursor). */
async function readSettledBacklog(lnd: AuthenticatedLnd, isOpen: () => boolean): Promise<LndInvoiceEvent[]> {
  const settled: LndInvoiceEvent[] = [];
  let token: string | undefined;
  for (let page = 0; page < maxPages && isOpen(); page += 1) {
    const result = await getInvoices(token === undefined ? { lnd, limit: pageLimit } : { lnd, token });
    for (const invoice of result.invoices as unknown as LndInvoiceEvent[]) {
      if (invoice.is_confirmed && typeof invoice.confirmed_index === "number") settled.push(invoice);
    }
    token = result.next;
    if (token === undefined) break;
  }
  return settled.sort((left, right) => (left.confirmed_index ?? 0) - (right.confirmed_index ?? 0));
}

export function subscribeSettledInvoices(
  configuration: InvoiceStreamConfiguration,
  options: SettledInvoiceSubscriptionOptions,
): SettledInvoiceSubscription {
  const { lnd, redact, reconnectDelayMs } = configuration;
  let cursor = parseCursor(options.cursor);
  let open = true;
  let emitter: ReturnType<typeof subscribeToInvoices> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let delay = reconnectDelayMs.initial;
  const queue: LndInvoiceEvent[] = [];
  let pumping: Promise<void> | undefined;
  let generation = 0;
  let rescanned = false;

  const report = (error: unknown) => {
    if (!open) return;
    try {
      options.onError?.(toLndAdapterError(error, { operation, fallback: "BACKEND_UNAVAILABLE", redact }));
    } catch {
      // A throwing error handler must not stop the stream.
    }
  };

  // Delivers queued settlements one at a time, in order, skipping what the cursor already covers.
  const pump = async () => {
    while (open && queue.length > 0) {
      const event = queue.shift() as LndInvoiceEvent;
      const index = event.confirmed_index ?? 0;
      if (index <= cursor) continue;
      try {
        await options.onSettled(toSettledInvoice(event));
      } catch (error) {
        open = false;
        teardown();
        try {
          options.onError?.(error);
        } catch {
          // ignore
        }
        return;
      }
      cursor = index;
      delay = reconnectDelayMs.initial;
    }
  };
  const enqueue = (events: readonly LndInvoiceEvent[]) => {
    queue.push(...events);
    if (pumping === undefined) {
      pumping = pump().finally(() => {
        pumping = undefined;
        if (open && queue.length > 0) enqueue([]);
      });
    }
  };

  const teardown = () => {
    if (reconnectTimer) clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    if (emitter) {
      // Removing the 'invoice_updated' listener cancels the gRPC call and the library's restart.
      emitter.removeAllListeners();
      emitter.on("error", () => {});
      emitter = undefined;
    }
  };

  const scheduleReconnect = () => {
    if (!open || reconnectTimer) return;
    const wait = delay;
    delay = Math.min(delay * 2, reconnectDelayMs.max);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, wait);
  };

  const connect = async () => {
    if (!open) return;
    teardown();
    const mine = ++generation;
    try {
      // Wait for earlier deliveries so `cursor` is as far as it can be before asking for a backlog.
      await pumping;
      if (cursor === 0) {
        const backlog = await readSettledBacklog(lnd, () => open && mine === generation);
        if (!open || mine !== generation) return;
        enqueue(backlog);
        await pumping;
      }
      if (!open || mine !== generation) return;
      const after = Math.max(cursor, ...queue.map((event) => event.confirmed_index ?? 0));
      const subscription = subscribeToInvoices({
        lnd,
        ...(after > 0 ? { confirmed_after: after } : {}),
        restart_delay_ms: 2_147_000_000,
      });
      emitter = subscription;
      subscription.on("invoice_updated", (event: LndInvoiceEvent) => {
        if (mine !== generation || !event.is_confirmed || typeof event.confirmed_index !== "number") return;
        if (after === 0 && cursor === 0 && event.confirmed_index > 1 && !rescanned) {
          // Subscribed "live only" because nothing had settled yet, but this is not the first
          // settlement: something settled between the scan and the subscription. Scan again.
          rescanned = true;
          void connect();
          return;
        }
        enqueue([event]);
      });
      subscription.on("error", (error: unknown) => {
        if (mine !== generation) return;
        teardown();
        report(error ?? new Error("invoice stream ended"));
        scheduleReconnect();
      });
    } catch (error) {
      if (mine !== generation) return;
      report(error);
      scheduleReconnect();
    }
  };

  void connect();

  return {
    async close() {
      open = false;
      generation += 1;
      teardown();
      await pumping;
    },
  };
}
