/**
 * The settled-invoice stream: `waitanyinvoice {lastpay_index}` in a loop. lightningd's pay_index
 * starts at 1 and `lastpay_index: 0` replays every paid invoice, so resuming from the consumer's
 * stored cursor (the last pay_index it processed) never misses and never repeats an invoice.
 * The cursor advances only after `onSettled` resolves. Each subscription has its own connection,
 * so a long wait never holds up other calls and closing it aborts the wait at once.
 */
import type {
  SettledInvoice,
  SettledInvoiceSubscription,
  SettledInvoiceSubscriptionOptions,
} from "@peerpay/core";
import { createClnClient } from "./cln-client.js";
import { adapterError, clnErrorCodes, isClnRpcError } from "./cln-errors.js";
import type { ClnLogLevel, ClnTransport } from "./cln-transport.js";

export interface ClnSettledStreamOptions extends SettledInvoiceSubscriptionOptions {
  readonly createTransport: () => ClnTransport;
  /** Seconds each waitanyinvoice may block before lightningd answers 904 and we ask again. */
  readonly waitTimeoutSeconds: number;
  readonly reconnectDelayMs: { readonly initial: number; readonly max: number };
  readonly log: (level: ClnLogLevel, fields: Record<string, unknown>, message: string) => void;
}

const decimal = /^(0|[1-9][0-9]{0,19})$/;

export function parseCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  if (!decimal.test(cursor) || !Number.isSafeInteger(Number(cursor))) {
    throw adapterError(
      "subscribeSettledInvoices",
      "INVALID_INPUT",
      'cursor must be a decimal pay_index such as "12"',
    );
  }
  return Number(cursor);
}

export function startClnSettledStream(options: ClnSettledStreamOptions): SettledInvoiceSubscription {
  let cursor = parseCursor(options.cursor);
  let closed = false;
  let transport: ClnTransport | undefined;
  let wakeSleep: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function run(): Promise<void> {
    let delay = options.reconnectDelayMs.initial;
    while (!closed) {
      transport ??= options.createTransport();
      const client = createClnClient(transport);
      try {
        const invoice = await client.call(
          "waitanyinvoice",
          { lastpay_index: cursor, timeout: options.waitTimeoutSeconds },
          { timeoutMs: (options.waitTimeoutSeconds + 30) * 1000 },
        );
        delay = options.reconnectDelayMs.initial;
        if (invoice.status !== "paid") {
          throw adapterError(
            "subscribeSettledInvoices",
            "BACKEND_PROTOCOL_ERROR",
            "waitanyinvoice returned an invoice that is not paid",
          );
        }
        if (invoice.pay_index <= cursor) {
          throw adapterError(
            "subscribeSettledInvoices",
            "BACKEND_PROTOCOL_ERROR",
            `waitanyinvoice returned pay_index ${invoice.pay_index}, not after ${cursor}`,
          );
        }
        const settled: SettledInvoice = {
          paymentHash: invoice.payment_hash,
          amountMsat: BigInt(invoice.amount_received_msat),
          settledAt: new Date(invoice.paid_at * 1000),
          cursor: String(invoice.pay_index),
        };
        if (closed) return;
        try {
          await options.onSettled(settled);
        } catch (error) {
          options.log(
            "warn",
            { payIndex: invoice.pay_index },
            "onSettled failed; the settled-invoice stream stops",
          );
          options.onError?.(error);
          closed = true;
          return;
        }
        cursor = invoice.pay_index;
      } catch (error) {
        if (closed) return;
        if (isClnRpcError(error, clnErrorCodes.INVOICE_WAIT_TIMED_OUT)) continue; // 904: nothing paid yet
        options.log("warn", { cursor, delayMs: delay }, "settled-invoice stream interrupted; reconnecting");
        options.onError?.(error);
        // Start over on a fresh connection after a pause that grows up to the maximum.
        const broken = transport;
        transport = undefined;
        await broken?.close();
        await sleep(delay);
        delay = Math.min(delay * 2, options.reconnectDelayMs.max);
      }
    }
  }

  const done = run().finally(async () => {
    await transport?.close();
  });

  return {
    async close(): Promise<void> {
      closed = true;
      wakeSleep?.();
      await transport?.close();
      await done;
    },
  };
}
