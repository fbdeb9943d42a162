/**
 * Paying invoices through LND's router (SendPaymentV2), safely:
 * - the invoice's amount, network, expiry and payee are checked against what the caller agreed
 *   to before anything is sent, and a fee limit is always set (the library sets none by default);
 * - one payment per hash at a time in this process: a second call joins the first;
 * - LND refuses a second payment of a hash (gRPC ALREADY_EXISTS); the adapter then recovers the
 *   preimage with TrackPaymentV2 instead of failing, so paying twice returns the same preimage;
 * - when the caller's time-out passes, the payment is still watched until LND reports it final;
 *   the caller gets a retryable PAYMENT_IN_FLIGHT and the next call for the hash waits for it.
 */
import type { Msat, PaymentResult } from "@peerpay/core";
import {
  type AuthenticatedLnd,
  getRouteToDestination,
  subscribeToPastPayment,
  subscribeToPayViaRequest,
} from "lightning";
import { describeLndFailure, grpcStatus, lndError, type Redactor, toLndAdapterError } from "./lnd-errors.js";

const operation = "payInvoice";

interface ConfirmedEvent {
  readonly id: string;
  readonly secret: string;
  readonly mtokens: string;
  readonly fee_mtokens: string;
}
interface FailedEvent {
  readonly is_insufficient_balance?: boolean;
  readonly is_invalid_payment?: boolean;
  readonly is_pathfinding_timeout?: boolean;
  readonly is_route_not_found?: boolean;
  readonly is_canceled?: boolean;
}

/** A checked invoice to pay. */
export interface PaymentTarget {
  readonly paymentHash: string;
  readonly paymentRequest: string;
  readonly destination: string;
  readonly amountMsat: Msat;
}

export interface PaymentTracker {
  /** Pays (or joins / recovers) the payment of `paymentHash`; the request is already checked. */
  pay(
    input: PaymentTarget & { readonly maxFeeMsat: Msat; readonly timeoutMs: number },
  ): Promise<PaymentResult>;
  /** The outcome of an earlier payment of the hash; undefined when LND never saw one. */
  recover(paymentHash: string, maxFeeMsat: Msat): Promise<PaymentResult | undefined>;
  /** Hashes this process is still waiting on. */
  inFlight(): string[];
  close(): void;
}

export interface PaymentTrackerConfiguration {
  readonly lnd: AuthenticatedLnd;
  readonly redact: Redactor;
  readonly pathfindingTimeoutMs: number;
}

function resultFrom(event: ConfirmedEvent, alreadyPaid: boolean): PaymentResult {
  return {
    paymentHash: event.id,
    preimage: event.secret,
    amountMsat: BigInt(event.mtokens) - BigInt(event.fee_mtokens),
    feeMsat: BigInt(event.fee_mtokens),
    ...(alreadyPaid ? { alreadyPaid: true } : {}),
  };
}

function failureError(failed: FailedEvent, maxFeeMsat: Msat, paymentHash: string) {
  const details = { paymentHash, maxFeeMsat: maxFeeMsat.toString() };
  if (failed.is_insufficient_balance) {
    return lndError(operation, "INSUFFICIENT_BALANCE", "not enough outbound balance to pay", details);
  }
  if (failed.is_invalid_payment) {
    return lndError(
      operation,
      "PAYMENT_FAILED",
      "the payee rejected the payment (wrong details, or already paid)",
      details,
    );
  }
  if (failed.is_route_not_found || failed.is_pathfinding_timeout) {
    return lndError(
      operation,
      "NO_ROUTE",
      `no route found within the fee limit of ${maxFeeMsat} msat${failed.is_pathfinding_timeout ? " (path finding timed out)" : ""}`,
      details,
    );
  }
  return lndError(operation, "PAYMENT_FAILED", "LND gave up on the payment", details);
}

/** Resolves with the final outcome of a past payment; rejects with NOT_FOUND when LND has none. */
function trackToFinal(lnd: AuthenticatedLnd, paymentHash: string, maxFeeMsat: Msat, redact: Redactor) {
  return new Promise<PaymentResult>((resolve, reject) => {
    const emitter = subscribeToPastPayment({ lnd, id: paymentHash });
    const finish = (callback: () => void) => {
      emitter.removeAllListeners();
      emitter.on("error", () => {});
      callback();
    };
    emitter.on("confirmed", (event: ConfirmedEvent) => finish(() => resolve(resultFrom(event, true))));
    emitter.on("failed", (event: FailedEvent) =>
      finish(() => reject(failureError(event, maxFeeMsat, paymentHash))),
    );
    emitter.on("end", () =>
      finish(() =>
        reject(lndError(operation, "BACKEND_UNAVAILABLE", "payment tracking ended before a final state")),
      ),
    );
    emitter.on("error", (error: unknown) =>
      finish(() => {
        const failure = describeLndFailure(error);
        if (failure.library === "SentPaymentNotFound") {
          reject(lndError(operation, "NOT_FOUND", "LND has no payment for this hash", { paymentHash }));
        } else {
          reject(toLndAdapterError(error, { operation, fallback: "PAYMENT_FAILED", redact }));
        }
      }),
    );
  });
}

function isAlreadyExists(error: unknown): boolean {
  const failure = describeLndFailure(error);
  return (
    failure.grpcCode === grpcStatus.alreadyExists ||
    /already (paid|exists)|payment is in transition/i.test(failure.details ?? "")
  );
}

export function createPaymentTracker(configuration: PaymentTrackerConfiguration): PaymentTracker {
  const { lnd, redact } = configuration;
  const pending = new Map<string, Promise<PaymentResult>>();

  /**
   * LND reports "no route" both when there is none and when every route costs more than the fee
   * limit. Asking for a route without the limit tells the two apart, so the caller learns the fee
   * it would need (FEE_LIMIT_EXCEEDED) instead of a vague NO_ROUTE.
   */
  const explainNoRoute = async (target: PaymentTarget, maxFeeMsat: Msat, original: Error) => {
    try {
      const { route } = await getRouteToDestination({
        lnd,
        destination: target.destination,
        mtokens: target.amountMsat.toString(),
      });
      const needed = route ? BigInt(route.fee_mtokens) : undefined;
      if (needed !== undefined && needed > maxFeeMsat) {
        return lndError(
          operation,
          "FEE_LIMIT_EXCEEDED",
          `the cheapest route costs ${needed} msat in fees, above the fee limit of ${maxFeeMsat} msat`,
          {
            paymentHash: target.paymentHash,
            maxFeeMsat: maxFeeMsat.toString(),
            requiredFeeMsat: needed.toString(),
          },
        );
      }
    } catch {
      // Keep the original answer when the probe itself fails.
    }
    return original;
  };

  const send = (target: PaymentTarget, maxFeeMsat: Msat) =>
    new Promise<PaymentResult>((resolve, reject) => {
      const { paymentHash, paymentRequest } = target;
      const emitter = subscribeToPayViaRequest({
        lnd,
        request: paymentRequest,
        max_fee_mtokens: maxFeeMsat.toString(),
        pathfinding_timeout: configuration.pathfindingTimeoutMs,
      });
      const finish = (callback: () => void) => {
        emitter.removeAllListeners();
        emitter.on("error", () => {});
        callback();
      };
      emitter.on("confirmed", (event: ConfirmedEvent) => finish(() => resolve(resultFrom(event, false))));
      emitter.on("failed", (event: FailedEvent) =>
        finish(() => {
          const error = failureError(event, maxFeeMsat, paymentHash);
          if (error.code === "NO_ROUTE") explainNoRoute(target, maxFeeMsat, error).then(reject, reject);
          else reject(error);
        }),
      );
      emitter.on("error", (error: unknown) =>
        finish(() => {
          if (isAlreadyExists(error)) {
            // Paid before (by us, maybe in an earlier process) or still in flight: follow that payment.
            trackToFinal(lnd, paymentHash, maxFeeMsat, redact).then(resolve, reject);
          } else {
            reject(
              toLndAdapterError(error, {
                operation,
                fallback: "PAYMENT_FAILED",
                redact,
                details: { paymentHash },
              }),
            );
          }
        }),
      );
    });

  return {
    async pay({ maxFeeMsat, timeoutMs, ...target }) {
      const { paymentHash } = target;
      let payment = pending.get(paymentHash);
      if (payment !== undefined) {
        // Another call is paying this hash: wait for it; for this caller the invoice was already paid.
        payment = payment.then((result) => ({ ...result, alreadyPaid: true }));
      } else {
        payment = send(target, maxFeeMsat);
        pending.set(paymentHash, payment);
        const settled = payment;
        // Forget the hash once LND reports a final state (success is also remembered by LND itself).
        settled.then(
          () => pending.delete(paymentHash),
          () => pending.delete(paymentHash),
        );
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              lndError(
                operation,
                "PAYMENT_IN_FLIGHT",
                `no final result after ${timeoutMs} ms; the payment is still tracked and will not be sent twice`,
                { paymentHash },
              ),
            ),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([payment, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async recover(paymentHash, maxFeeMsat) {
      const joined = pending.get(paymentHash);
      if (joined) return joined;
      try {
        return await trackToFinal(lnd, paymentHash, maxFeeMsat, redact);
      } catch (error) {
        if ((error as { code?: string }).code === "NOT_FOUND") return undefined;
        throw error;
      }
    },
    inFlight: () => [...pending.keys()],
    close() {
      pending.clear();
    },
  };
}
