/**
 * The payment engine of the simulated network. A payment is checked, routed and locked in one
 * synchronous step (so two concurrent calls can never both pay), then settles after the injected
 * delay: the payee's invoice becomes settled with the next settle index and each hop's receiver
 * is credited. A hash a node has paid is never paid again by it; the recorded result comes back.
 */
import { isPeerpayError, type PaymentResult } from "@peerpay/core";
import { decodeBolt11, InvoiceDecodeError } from "./sim-invoice.js";
import type { InvoiceRecord, NodeState, PaymentRecord, SimNetworkContext } from "./sim-network-state.js";
import { simError } from "./sim-network-state.js";
import type { SimPayRequest } from "./sim-network-types.js";
import { findRoute, type SimChannelEdge, type SimRoute } from "./sim-routing.js";

const operation = "payInvoice";

export function payFromNode(
  context: SimNetworkContext,
  payer: NodeState,
  request: SimPayRequest,
): Promise<PaymentResult> {
  if (payer.faults.offline) {
    return Promise.reject(simError(operation, "BACKEND_UNAVAILABLE", `node ${payer.name} is offline`));
  }
  let decoded: ReturnType<typeof decodeBolt11>;
  try {
    decoded = decodeBolt11(request.paymentRequest);
  } catch (error) {
    const message = error instanceof InvoiceDecodeError ? error.message : "not a BOLT11 payment request";
    return Promise.reject(simError(operation, "INVALID_INPUT", message));
  }
  if (decoded.network !== "simnet") {
    return Promise.reject(
      simError(operation, "INVOICE_MISMATCH", `invoice is for ${decoded.network}; this node is on simnet`),
    );
  }
  const hash = decoded.paymentHash;
  const previous = payer.payments.get(hash);
  if (previous?.status === "succeeded") return Promise.resolve(recovered(previous));
  const inFlight = payer.inFlight.get(hash);
  if (inFlight) {
    return withTimeout(
      inFlight.then((result) => ({ ...result, alreadyPaid: true })),
      request.timeoutMs,
      hash,
    );
  }
  if (request.maxFeeMsat < 0n) {
    return Promise.reject(simError(operation, "INVALID_INPUT", "maxFeeMsat must not be negative"));
  }
  const amountMsat = decoded.amountMsat ?? request.amountMsat;
  if (amountMsat === undefined || amountMsat <= 0n) {
    return Promise.reject(simError(operation, "INVALID_INPUT", "an amountless invoice needs an amount"));
  }
  if (request.amountMsat !== undefined && request.amountMsat !== amountMsat) {
    return Promise.reject(
      simError(operation, "INVOICE_MISMATCH", `invoice asks ${amountMsat} msat, not ${request.amountMsat}`),
    );
  }
  if (context.now() >= decoded.expiresAt.getTime()) {
    return Promise.reject(simError(operation, "INVOICE_EXPIRED", "the invoice has expired"));
  }

  let started: { route: SimRoute; invoice: InvoiceRecord; payee: NodeState; delayMs: number };
  try {
    injectedFailure(context, payer, hash);
    const payee = context.nodes.get(decoded.payee);
    if (!payee || payee === payer) {
      throw simError(operation, "NO_ROUTE", "no route to the payee: it is not a node of this network");
    }
    const route = chooseRoute(context, payer, payee, amountMsat, request.maxFeeMsat);
    const invoice = payee.invoices.get(hash);
    if (!invoice || invoice.paymentRequest !== decoded.paymentRequest) {
      throw simError(operation, "PAYMENT_FAILED", "the payee rejected the payment: unknown payment details");
    }
    if (invoice.state === "settled") {
      throw simError(operation, "INVOICE_ALREADY_PAID", "the payee rejected the payment: already paid");
    }
    if (invoice.state === "canceled" || context.now() >= invoice.expiresAt) {
      throw simError(operation, "INVOICE_EXPIRED", "the payee rejected the payment: invoice expired");
    }
    if (invoice.accepting) {
      throw simError(operation, "PAYMENT_IN_FLIGHT", "another payment for this invoice is settling");
    }
    started = { route, invoice, payee, delayMs: settlementDelay(context, hash, route, payer) };
  } catch (error) {
    recordFailure(context, payer, request.paymentRequest, decoded.payee, hash, amountMsat, error);
    return Promise.reject(error);
  }

  // Lock: debit every hop's sender now (the HTLCs), credit the receivers when it settles.
  const { route, invoice, payee, delayMs } = started;
  for (const hop of route.hops) {
    const channel = context.channels.get(hop.channelId)!;
    if (channel.nodeA === hop.from) channel.balanceAMsat -= hop.amountMsat;
    else channel.balanceBMsat -= hop.amountMsat;
  }
  invoice.accepting = true;
  const record: PaymentRecord = {
    paymentHash: hash,
    paymentRequest: decoded.paymentRequest,
    payee: payee.id,
    amountMsat,
    feeMsat: route.feeMsat,
    status: "in-flight",
    hops: [...route.hops],
    createdAt: context.now(),
  };
  payer.payments.set(hash, record);
  context.changed();
  const settlement = sleep(delayMs).then(() => completePayment(context, record));
  payer.inFlight.set(hash, settlement);
  const forget = () => payer.inFlight.delete(hash);
  settlement.then(forget, forget);
  return withTimeout(settlement, request.timeoutMs, hash);
}

/** Settles a locked payment: credits the hops' receivers and settles the payee's invoice. */
export function completePayment(context: SimNetworkContext, record: PaymentRecord): PaymentResult {
  const payee = context.nodes.get(record.payee)!;
  const invoice = payee.invoices.get(record.paymentHash)!;
  for (const hop of record.hops) {
    // Channels with payments settling over them cannot close, so each is still there.
    const channel = context.channels.get(hop.channelId)!;
    if (channel.nodeA === hop.to) channel.balanceAMsat += hop.amountMsat;
    else channel.balanceBMsat += hop.amountMsat;
  }
  const now = context.now();
  payee.settleIndex += 1n;
  invoice.state = "settled";
  invoice.accepting = false;
  invoice.settledAt = now;
  invoice.receivedMsat = record.amountMsat;
  invoice.settleIndex = payee.settleIndex;
  payee.settled.push(invoice);
  record.status = "succeeded";
  record.preimage = invoice.preimage;
  record.settledAt = now;
  context.changed();
  payee.events.emit("settled", invoice);
  return {
    paymentHash: record.paymentHash,
    preimage: invoice.preimage,
    amountMsat: record.amountMsat,
    feeMsat: record.feeMsat,
  };
}

function recovered(record: PaymentRecord): PaymentResult {
  return {
    paymentHash: record.paymentHash,
    preimage: record.preimage!,
    amountMsat: record.amountMsat,
    feeMsat: record.feeMsat,
    alreadyPaid: true,
  };
}

function injectedFailure(context: SimNetworkContext, payer: NodeState, hash: string): void {
  const fault = context.paymentFaults.get(hash);
  if (fault?.failure) {
    if (fault.remaining !== undefined && --fault.remaining <= 0) context.paymentFaults.delete(hash);
    throw simError(operation, fault.failure, `injected fault for this payment: ${fault.failure}`);
  }
  if (payer.faults.failPayments) {
    throw simError(operation, payer.faults.failPayments, `injected fault: ${payer.faults.failPayments}`);
  }
}

function settlementDelay(
  context: SimNetworkContext,
  hash: string,
  route: SimRoute,
  payer: NodeState,
): number {
  let delayMs = payer.faults.settlementDelayMs ?? 0;
  for (const hop of route.hops) {
    delayMs = Math.max(delayMs, context.nodes.get(hop.to)?.faults.settlementDelayMs ?? 0);
  }
  const fault = context.paymentFaults.get(hash);
  if (fault?.settlementDelayMs !== undefined) {
    delayMs = Math.max(delayMs, fault.settlementDelayMs);
    if (fault.failure === undefined && fault.remaining !== undefined && --fault.remaining <= 0) {
      context.paymentFaults.delete(hash);
    }
  }
  return delayMs;
}

function chooseRoute(
  context: SimNetworkContext,
  payer: NodeState,
  payee: NodeState,
  amountMsat: bigint,
  maxFeeMsat: bigint,
): SimRoute {
  const edges: SimChannelEdge[] = [];
  let bestOutbound = 0n;
  for (const channel of context.channels.values()) {
    edges.push(
      {
        channelId: channel.id,
        from: channel.nodeA,
        to: channel.nodeB,
        liquidityMsat: channel.balanceAMsat,
        policy: channel.policyA,
      },
      {
        channelId: channel.id,
        from: channel.nodeB,
        to: channel.nodeA,
        liquidityMsat: channel.balanceBMsat,
        policy: channel.policyB,
      },
    );
    if (channel.nodeA === payer.id && channel.balanceAMsat > bestOutbound)
      bestOutbound = channel.balanceAMsat;
    if (channel.nodeB === payer.id && channel.balanceBMsat > bestOutbound)
      bestOutbound = channel.balanceBMsat;
  }
  const unavailable = new Set(
    [...context.nodes.values()].filter((node) => node.faults.offline).map((node) => node.id),
  );
  const input = { from: payer.id, to: payee.id, amountMsat, edges, unavailable };
  const route = findRoute({ ...input, maxFeeMsat });
  if (route) return route;
  if (bestOutbound < amountMsat) {
    throw simError(operation, "INSUFFICIENT_BALANCE", "no channel of this node can send that amount");
  }
  const expensive = findRoute(input);
  if (expensive) {
    throw simError(
      operation,
      "FEE_LIMIT_EXCEEDED",
      `the cheapest route charges ${expensive.feeMsat} msat, over the limit of ${maxFeeMsat} msat`,
      { details: { routeFeeMsat: expensive.feeMsat.toString(), maxFeeMsat: maxFeeMsat.toString() } },
    );
  }
  throw simError(operation, "NO_ROUTE", "no route to the payee with enough liquidity");
}

function recordFailure(
  context: SimNetworkContext,
  payer: NodeState,
  paymentRequest: string,
  payee: string,
  hash: string,
  amountMsat: bigint,
  error: unknown,
): void {
  if (payer.payments.get(hash)?.status === "succeeded") return;
  payer.payments.set(hash, {
    paymentHash: hash,
    paymentRequest,
    payee,
    amountMsat,
    feeMsat: 0n,
    status: "failed",
    hops: [],
    createdAt: context.now(),
    ...(isPeerpayError(error) ? { failureCode: error.code } : {}),
  });
  context.changed();
}

function withTimeout(
  settlement: Promise<PaymentResult>,
  timeoutMs: number | undefined,
  hash: string,
): Promise<PaymentResult> {
  if (timeoutMs === undefined) return settlement;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        simError(operation, "PAYMENT_IN_FLIGHT", `still settling after ${timeoutMs} ms; ask again later`, {
          details: { paymentHash: hash },
        }),
      );
    }, timeoutMs);
    settlement.then(
      (result) => {
        clearTimeout(timer);
        resolve(result);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
