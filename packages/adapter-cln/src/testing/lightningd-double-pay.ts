/**
 * TEST DOUBLE of lightningd: `pay`, `xpay` and `listpays`, answered by paying on the simulated
 * network. Failures carry CLN's documented codes (doc/schemas/pay.json, xpay.json): 205 no route,
 * 206 too expensive (pay), 207 expired, 203 refused by the destination, 219 already paid (xpay).
 */
import { isPeerpayError } from "@peerpay/core";
import { clnErrorCodes } from "../cln-errors.js";
import { decodeBolt11Fields, parseMsatInput, RpcFailure } from "./lightningd-double-entries.js";
import type { DefineMethod, LightningdDoubleContext } from "./lightningd-double-methods.js";

const seconds = (milliseconds: number) => Math.floor(milliseconds / 1000);

export function definePayMethods(context: LightningdDoubleContext, define: DefineMethod): void {
  const { network, node } = context;
  const payCommon = async (method: "pay" | "xpay", invstring: string, params: Record<string, unknown>) => {
    const injected = context.payFailures.shift();
    if (injected) throw new RpcFailure(injected.code, injected.message, injected.data);
    const fields = decodeBolt11Fields(invstring);
    const paymentHash = fields.payment_hash as string;
    const invoiceAmount = fields.amount_msat as number | undefined;
    if (invoiceAmount !== undefined && params.amount_msat !== undefined) {
      throw new RpcFailure(-32602, "amount_msat: msatoshi parameter unnecessary");
    }
    const amount =
      invoiceAmount !== undefined
        ? BigInt(invoiceAmount)
        : params.amount_msat !== undefined
          ? parseMsatInput(params.amount_msat as string, "amount_msat")
          : undefined;
    if (amount === undefined) throw new RpcFailure(-32602, "amount_msat: msatoshi parameter required");
    const previous = network.lookupPayment(node, paymentHash);
    if (previous?.status === "succeeded" && method === "xpay") {
      throw new RpcFailure(clnErrorCodes.PAY_INVOICE_ALREADY_PAID, "Already paid");
    }
    // pay's default fee limit is 0.5% with 5000 msat exempt; xpay's is 1% or 5000 msat.
    const percent = method === "pay" ? 200n : 100n;
    const defaultMaxFee = amount / percent > 5000n ? amount / percent : 5000n;
    const maxFee =
      params.maxfee !== undefined ? parseMsatInput(params.maxfee as string, "maxfee") : defaultMaxFee;
    try {
      const result = await network.payInvoice(node, {
        paymentRequest: invstring,
        ...(invoiceAmount === undefined ? { amountMsat: amount } : {}),
        maxFeeMsat: maxFee,
      });
      return { result, amount, fields };
    } catch (error) {
      throw payFailure(method, error, fields, maxFee, amount);
    }
  };

  define("pay", async (params) => {
    const invstring = params.bolt11 as string;
    const { result, fields } = await payCommon("pay", invstring, params);
    const payment = network.lookupPayment(node, result.paymentHash);
    return {
      destination: fields.payee,
      payment_hash: result.paymentHash,
      created_at: (payment?.createdAt.getTime() ?? network.now()) / 1000,
      parts: 1,
      amount_msat: Number(result.amountMsat),
      amount_sent_msat: Number(result.amountMsat + result.feeMsat),
      payment_preimage: result.preimage,
      status: "complete",
    };
  });

  define("xpay", async (params) => {
    const { result } = await payCommon("xpay", params.invstring as string, params);
    return {
      payment_preimage: result.preimage,
      amount_msat: Number(result.amountMsat),
      amount_sent_msat: Number(result.amountMsat + result.feeMsat),
      failed_parts: 0,
      successful_parts: 1,
    };
  });

  define("listpays", (params) => {
    let payments = network.listPayments(node);
    if (params.bolt11 !== undefined)
      payments = payments.filter((payment) => payment.paymentRequest === String(params.bolt11).toLowerCase());
    if (params.payment_hash !== undefined)
      payments = payments.filter((payment) => payment.paymentHash === params.payment_hash);
    const pays = payments.map((payment, index) => {
      const status =
        payment.status === "succeeded" ? "complete" : payment.status === "failed" ? "failed" : "pending";
      return {
        bolt11: payment.paymentRequest,
        destination: payment.payee,
        payment_hash: payment.paymentHash,
        status,
        created_at: seconds(payment.createdAt.getTime()),
        ...(payment.settledAt ? { completed_at: seconds(payment.settledAt.getTime()) } : {}),
        ...(status === "complete"
          ? { preimage: payment.preimage, amount_msat: Number(payment.amountMsat) }
          : {}),
        ...(status !== "pending"
          ? { amount_sent_msat: Number(status === "complete" ? payment.amountMsat + payment.feeMsat : 0n) }
          : {}),
        created_index: index + 1,
      };
    });
    const filtered = params.status === undefined ? pays : pays.filter((pay) => pay.status === params.status);
    return { pays: filtered };
  });
}

/** The simulator's typed failures → CLN's pay/xpay error codes, messages and data. */
function payFailure(
  method: "pay" | "xpay",
  error: unknown,
  fields: Record<string, unknown>,
  maxFee: bigint,
  amount: bigint,
): RpcFailure {
  const code = isPeerpayError(error) ? error.code : "INTERNAL";
  switch (code) {
    case "NO_ROUTE":
    case "INSUFFICIENT_BALANCE":
      return method === "pay"
        ? new RpcFailure(205, "Ran out of routes to try after 1 attempt: see `paystatus`")
        : new RpcFailure(205, "Failed after 1 attempts. We could not find a usable set of paths.");
    case "FEE_LIMIT_EXCEEDED":
      return method === "pay"
        ? new RpcFailure(206, `Route wanted fee of more than ${maxFee}msat`, {
            fee: Number(maxFee + 1n),
            feepercent: Number(((maxFee + 1n) * 1_000_000n) / (amount === 0n ? 1n : amount)) / 10_000,
          })
        : new RpcFailure(
            205,
            `Failed after 1 attempts. Could not find route without excessive cost (maxfee ${maxFee}msat)`,
          );
    case "INVOICE_EXPIRED":
      return new RpcFailure(207, "Invoice expired", {
        now: Math.floor(Date.now() / 1000),
        expiry: (fields.created_at as number) + (fields.expiry as number),
      });
    case "INVOICE_ALREADY_PAID":
    case "PAYMENT_FAILED":
    case "INVOICE_MISMATCH":
      return new RpcFailure(
        203,
        "Destination said it doesn't know invoice: incorrect_or_unknown_payment_details",
      );
    case "INVALID_INPUT":
      return new RpcFailure(-32602, "bolt11: Invalid bolt11");
    case "BACKEND_UNAVAILABLE":
      return new RpcFailure(205, "Ran out of routes to try: the payer is offline");
    default:
      return new RpcFailure(-1, method === "pay" ? "pay failed" : "xpay failed");
  }
}
