/**
 * The settled-invoice stream part of the payment-adapter conformance suite: order, cursors,
 * resuming from a stored cursor, catching up across a restart and after a dropped connection.
 */
import { describe, expect, it } from "vitest";
import type { PaymentAdapterConformanceContext } from "./payment-adapter-conformance.js";
import {
  collectSettled,
  deliveriesOf,
  expectWellFormedDeliveries,
  retrying,
  type StreamCollector,
} from "./payment-adapter-conformance-helpers.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function unless(condition: boolean, reason: string): string {
  return condition ? "" : ` [skipped: ${reason}]`;
}

/** Deliveries with repeats (allowed across reconnects: at least once) removed. */
function distinct(collector: StreamCollector) {
  const seen = new Set<string>();
  return collector.delivered.filter((invoice) => {
    if (seen.has(invoice.paymentHash)) return false;
    seen.add(invoice.paymentHash);
    return true;
  });
}

export function defineSettledStreamTests(context: PaymentAdapterConformanceContext): void {
  const { capabilities, fixture, waitMs } = context;
  const canStream =
    capabilities.createInvoice && capabilities.payInvoice && capabilities.settledInvoiceStream;
  const reason = "needs createInvoice, payInvoice and settledInvoiceStream";
  const timeout = waitMs * 2 + 15_000;

  /** Settles one invoice and returns its hash and settle cursor. */
  async function settled(): Promise<{ hash: string; cursor: string }> {
    const hash = await context.settleOne();
    const invoice = await retrying(() => context.payee().lookupInvoice(hash), waitMs);
    expect(invoice?.settleCursor, "a settled invoice reports its settle cursor").toBeDefined();
    return { hash, cursor: invoice!.settleCursor! };
  }

  describe("settled-invoice stream", () => {
    it.skipIf(!canStream)(
      `delivers each settled invoice once, in settle order, with increasing cursors${unless(canStream, reason)}`,
      async () => {
        const base = await settled();
        const collector = collectSettled(context.payee(), base.cursor);
        try {
          const hashes: string[] = [];
          for (let index = 0; index < 3; index++) hashes.push(await context.settleOne());
          await collector.waitFor(hashes, waitMs);
          await pause(200); // room for a duplicate to show up
          expect(deliveriesOf(collector.delivered, hashes)).toEqual(hashes);
          expect(deliveriesOf(collector.delivered, [base.hash])).toEqual([]);
          expectWellFormedDeliveries(collector.delivered);
          for (const invoice of collector.delivered)
            expect(BigInt(invoice.cursor) > BigInt(base.cursor)).toBe(true);
          for (const hash of hashes) {
            const delivered = collector.delivered.find((invoice) => invoice.paymentHash === hash)!;
            const looked = await context.payee().lookupInvoice(hash);
            expect(delivered.cursor).toBe(looked?.settleCursor);
            expect(delivered.amountMsat).toBe(looked?.receivedMsat);
          }
          expect(collector.maxConcurrent(), "one onSettled at a time").toBe(1);
        } finally {
          await collector.close();
        }
      },
      timeout,
    );

    it.skipIf(!canStream)(
      `resuming from a stored cursor delivers only what settled after it, including while unsubscribed${unless(canStream, reason)}`,
      async () => {
        const stored = await settled();
        const later = [await context.settleOne(), await context.settleOne()];
        const collector = collectSettled(context.payee(), stored.cursor);
        try {
          await collector.waitFor(later, waitMs);
          expect(deliveriesOf(collector.delivered, [stored.hash, ...later])).toEqual(later);
          expectWellFormedDeliveries(collector.delivered);
        } finally {
          await collector.close();
        }
      },
      timeout,
    );

    it.skipIf(!canStream)(
      `without a cursor replays every settled invoice from the start${unless(canStream, reason)}`,
      async () => {
        const earlier = await settled();
        const collector = collectSettled(context.payee(), undefined);
        try {
          await collector.waitFor([earlier.hash], waitMs);
          expectWellFormedDeliveries(collector.delivered);
          expect(BigInt(collector.delivered[0]!.cursor) <= BigInt(earlier.cursor)).toBe(true);
        } finally {
          await collector.close();
        }
      },
      timeout,
    );

    it.skipIf(!canStream)(
      `a closed subscription delivers nothing more${unless(canStream, reason)}`,
      async () => {
        const base = await settled();
        const collector = collectSettled(context.payee(), base.cursor);
        await collector.close();
        const after = await context.settleOne();
        await pause(300);
        expect(deliveriesOf(collector.delivered, [after])).toEqual([]);
      },
      timeout,
    );

    const canRestart = canStream && context.fixture.restartPayee !== undefined;
    it.skipIf(!canRestart)(
      `after a restart, resumes from the stored cursor and catches up what settled meanwhile${unless(canRestart, "fixture cannot restart the payee")}`,
      async () => {
        const stored = await settled();
        const beforeRestart = await context.settleOne();
        context.setPayee(await fixture.restartPayee!());
        const afterRestart = await context.settleOne();
        const collector = collectSettled(context.payee(), stored.cursor);
        try {
          await collector.waitFor([beforeRestart, afterRestart], waitMs);
          expect(deliveriesOf(distinct(collector), [stored.hash, beforeRestart, afterRestart])).toEqual([
            beforeRestart,
            afterRestart,
          ]);
          expectWellFormedDeliveries(distinct(collector));
        } finally {
          await collector.close();
        }
      },
      timeout,
    );

    const dropStream = fixture.faults?.dropSettledStream;
    const canDrop = canStream && dropStream !== undefined;
    it.skipIf(!canDrop)(
      `a dropped stream reconnects by itself and misses nothing${unless(canDrop, "fixture cannot drop the stream")}`,
      async () => {
        const base = await settled();
        const collector = collectSettled(context.payee(), base.cursor);
        try {
          const first = await context.settleOne();
          await collector.waitFor([first], waitMs);
          await dropStream!();
          const second = await context.settleOne();
          await collector.waitFor([second], waitMs);
          expect(deliveriesOf(distinct(collector), [first, second])).toEqual([first, second]);
          expectWellFormedDeliveries(distinct(collector));
        } finally {
          await collector.close();
        }
      },
      timeout,
    );

    const makeUnavailable = fixture.faults?.makeUnavailable;
    const canOutage = canStream && makeUnavailable !== undefined;
    it.skipIf(!canOutage)(
      `a stream open across an outage keeps delivering once the backend is back${unless(canOutage, "fixture cannot make the backend unavailable")}`,
      async () => {
        const base = await settled();
        const collector = collectSettled(context.payee(), base.cursor);
        try {
          const restore = await makeUnavailable!();
          await pause(300);
          await restore();
          const after = await context.settleOne();
          await collector.waitFor([after], waitMs);
          expect(deliveriesOf(distinct(collector), [base.hash, after])).toEqual([after]);
        } finally {
          await collector.close();
        }
      },
      timeout,
    );
  });
}
