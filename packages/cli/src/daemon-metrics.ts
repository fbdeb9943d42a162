/**
 * Prometheus metrics (prom-client), counted where the facts are made: a decorator on the ledger
 * store counts what was actually written (bytes priced, invoices, credits, blocks, payments), and a
 * proxy on each bridge times its polls and counts its failures. Each daemon has its own registry.
 */
import type { LedgerStore, TorrentBridge } from "@peerpay/core";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export interface DaemonMetrics {
  readonly registry: Registry;
  /** The store, counting what is written through it. */
  instrumentStore(store: LedgerStore): LedgerStore;
  /** The bridge, timing its polls and counting its errors (keeps every extra method of the bridge). */
  instrumentBridge<T extends TorrentBridge>(bridge: T, role: string): T;
  /** Called with each usage batch and each money movement, for the status page's aggregates. */
  onUsage?: (batch: Parameters<LedgerStore["recordUsage"]>[0]) => void;
}

export function createDaemonMetrics(options: { defaultMetrics?: boolean } = {}): DaemonMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "peerpay_" });
  const bytesPriced = new Counter({
    name: "peerpay_bytes_priced_total",
    help: "Bytes served to peers on priced torrents, by whether the free allowance covered them",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const earned = new Counter({
    name: "peerpay_msat_earned_total",
    help: "Millisatoshi credited from settled invoices (seller)",
    registers: [registry],
  });
  const spent = new Counter({
    name: "peerpay_msat_spent_total",
    help: "Millisatoshi paid to sellers, fees included (buyer)",
    registers: [registry],
  });
  const invoicesCreated = new Counter({
    name: "peerpay_invoices_created_total",
    help: "Invoices issued through the negotiation endpoint",
    registers: [registry],
  });
  const invoicesSettled = new Counter({
    name: "peerpay_invoices_settled_total",
    help: "Issued invoices settled and credited (exactly once each)",
    registers: [registry],
  });
  const blocks = new Counter({
    name: "peerpay_peer_blocks_total",
    help: "Peers blocked (over their credit line) and unblocked (paid)",
    labelNames: ["action"] as const,
    registers: [registry],
  });
  const pollSeconds = new Histogram({
    name: "peerpay_poll_duration_seconds",
    help: "Time one bridge poll takes",
    labelNames: ["role"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const bridgeErrors = new Counter({
    name: "peerpay_bridge_errors_total",
    help: "Failed calls to the torrent client through its bridge",
    labelNames: ["role", "operation"] as const,
    registers: [registry],
  });
  for (const kind of ["charged", "free"] as const) bytesPriced.inc({ kind }, 0);
  for (const action of ["block", "unblock"] as const) blocks.inc({ action }, 0);

  const metrics: DaemonMetrics = {
    registry,
    instrumentStore(store) {
      return {
        ...bindAll(store),
        async recordUsage(batch) {
          await store.recordUsage(batch);
          for (const record of batch) {
            bytesPriced.inc({ kind: "free" }, Number(record.freeBytes));
            bytesPriced.inc({ kind: "charged" }, Number(record.bytes - record.freeBytes));
          }
          metrics.onUsage?.(batch);
        },
        async recordInvoice(invoice) {
          await store.recordInvoice(invoice);
          invoicesCreated.inc();
        },
        async applySettlement(settlement) {
          const result = await store.applySettlement(settlement);
          if (result.credited) {
            invoicesSettled.inc();
            earned.inc(Number(result.invoice?.creditMsat ?? settlement.receivedMsat));
          }
          return result;
        },
        async setBlocked(peer, blocked, reason, at) {
          const before = await store.getAccount(peer);
          await store.setBlocked(peer, blocked, reason, at);
          if ((before?.blocked ?? false) !== blocked) blocks.inc({ action: blocked ? "block" : "unblock" });
        },
        async completePayment(paymentHash, outcome, at) {
          const before = await store.getPayment(paymentHash);
          await store.completePayment(paymentHash, outcome, at);
          if (outcome.state === "succeeded" && before?.state === "pending") {
            spent.inc(Number(before.amountMsat + outcome.feeMsat));
          }
        },
      };
    },
    instrumentBridge(bridge, role) {
      return new Proxy(bridge, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== "function" || typeof property !== "string") return value;
          return (...args: unknown[]) => {
            const stop = property === "poll" ? pollSeconds.startTimer({ role }) : undefined;
            let result: unknown;
            try {
              result = value.apply(target, args);
            } catch (error) {
              bridgeErrors.inc({ role, operation: property });
              throw error;
            }
            if (!(result instanceof Promise)) return result;
            return result.then(
              (resolved) => {
                stop?.();
                return resolved;
              },
              (error: unknown) => {
                bridgeErrors.inc({ role, operation: property });
                throw error;
              },
            );
          };
        },
      });
    },
  };
  return metrics;
}

/** The store's methods (own and inherited) bound to it, so the decorator can spread them and override a few. */
function bindAll(store: LedgerStore): LedgerStore {
  const bound: Record<string, unknown> = { kind: store.kind };
  for (let source: object | null = store; source && source !== Object.prototype; ) {
    for (const key of Object.getOwnPropertyNames(source)) {
      if (key === "constructor" || key in bound) continue;
      const value = (store as unknown as Record<string, unknown>)[key];
      bound[key] =
        typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(store) : value;
    }
    source = Object.getPrototypeOf(source) as object | null;
  }
  return bound as unknown as LedgerStore;
}
