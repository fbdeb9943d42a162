/**
 * Paying an invoice through lightningd, never twice and never without a fee limit:
 * 1. check the decoded invoice against what the caller agreed to (amount, network, payee, expiry);
 * 2. `listpays {payment_hash}`: a complete payment is returned as `alreadyPaid`, a pending one is
 *    PAYMENT_IN_FLIGHT;
 * 3. `xpay` (v24.11+) or `pay` with an absolute `maxfee`;
 * 4. if the answer is lost (timeout, dropped connection), ask `listpays` again rather than guess.
 * CLN failure codes 205/206/207/210/219 arrive as typed errors (see cln-errors.ts).
 */
import { createHash } from "node:crypto";
import type { DecodedInvoice, PayInvoiceRequest, PaymentResult } from "@peerpay/core";
import { isPeerpayError } from "@peerpay/core";
import { type ClnClient, versionAtLeast } from "./cln-client.js";
import { adapterError, clnErrorCodes, isClnRpcError } from "./cln-errors.js";
import type { PayEntry } from "./cln-schemas.js";
import type { ClnLogLevel } from "./cln-transport.js";

export interface PayWithClnInput {
  readonly client: ClnClient;
  readonly request: PayInvoiceRequest;
  readonly decoded: DecodedInvoice;
  readonly payMethod: "auto" | "pay" | "xpay";
  readonly retryForSeconds: number;
  readonly log: (level: ClnLogLevel, fields: Record<string, unknown>, message: string) => void;
}

const operation = "payInvoice";

function checkAgreedTerms(request: PayInvoiceRequest, decoded: DecodedInvoice): void {
  if (request.maxFeeMsat < 0n)
    throw adapterError(operation, "INVALID_INPUT", "maxFeeMsat must not be negative");
  if (request.expectedAmountMsat <= 0n)
    throw adapterError(operation, "INVALID_INPUT", "expectedAmountMsat must be positive");
  if (request.expectedNetwork !== undefined && request.expectedNetwork !== decoded.network) {
    throw adapterError(
      operation,
      "INVOICE_MISMATCH",
      `invoice is for ${decoded.network}, expected ${request.expectedNetwork}`,
    );
  }
  if (request.expectedPayee !== undefined && request.expectedPayee !== decoded.payee) {
    throw adapterError(operation, "INVOICE_MISMATCH", "invoice is payable to another node than expected");
  }
  if (decoded.amountMsat !== undefined && decoded.amountMsat !== request.expectedAmountMsat) {
    throw adapterError(
      operation,
      "INVOICE_MISMATCH",
      `invoice asks ${decoded.amountMsat} msat, expected ${request.expectedAmountMsat} msat`,
    );
  }
  if (decoded.expiresAt.getTime() <= Date.now())
    throw adapterError(operation, "INVOICE_EXPIRED", "invoice has expired");
}

function resultFromEntry(
  entry: PayEntry & { status: "complete" },
  decoded: DecodedInvoice,
  alreadyPaid: boolean,
): PaymentResult {
  const amount = BigInt(entry.amount_msat ?? decoded.amountMsat ?? 0);
  const sent = BigInt(entry.amount_sent_msat);
  return {
    paymentHash: entry.payment_hash,
    preimage: entry.preimage,
    amountMsat: amount,
    feeMsat: sent > amount ? sent - amount : 0n,
    ...(alreadyPaid ? { alreadyPaid: true } : {}),
  };
}

async function findPayment(client: ClnClient, paymentHash: string): Promise<PayEntry | undefined> {
  const { pays } = await client.call("listpays", { payment_hash: paymentHash });
  return (
    pays.find((pay) => pay.status === "complete") ??
    pays.find((pay) => pay.status === "pending") ??
    pays.at(-1)
  );
}

function checkPreimage(preimage: string, paymentHash: string): void {
  if (createHash("sha256").update(Buffer.from(preimage, "hex")).digest("hex") !== paymentHash) {
    throw adapterError(
      operation,
      "BACKEND_PROTOCOL_ERROR",
      "lightningd returned a preimage that does not match the payment hash",
    );
  }
}

export async function payWithCln(input: PayWithClnInput): Promise<PaymentResult> {
  const { client, request, decoded, log } = input;
  checkAgreedTerms(request, decoded);

  const previous = await findPayment(client, decoded.paymentHash);
  if (previous?.status === "complete") {
    log(
      "info",
      { paymentHash: decoded.paymentHash },
      "invoice was already paid by this node; returning the recorded result",
    );
    checkPreimage(previous.preimage, decoded.paymentHash);
    return resultFromEntry(previous, decoded, true);
  }
  if (previous?.status === "pending") {
    throw adapterError(operation, "PAYMENT_IN_FLIGHT", "a payment of this invoice is already in flight");
  }

  const useXpay =
    input.payMethod === "xpay" ||
    (input.payMethod === "auto" && versionAtLeast(await client.version(), 24, 11));
  const timeoutMs = request.timeoutMs ?? (input.retryForSeconds + 30) * 1000;
  const retryFor = Math.max(1, Math.min(input.retryForSeconds, Math.floor(timeoutMs / 1000)));
  const amountParams =
    decoded.amountMsat === undefined ? { amount_msat: `${request.expectedAmountMsat}msat` } : {};
  const maxfee = `${request.maxFeeMsat}msat`;
  const result = (paid: { payment_preimage: string; amount_msat: number; amount_sent_msat: number }) => {
    checkPreimage(paid.payment_preimage, decoded.paymentHash);
    const amount = BigInt(paid.amount_msat);
    const sent = BigInt(paid.amount_sent_msat);
    return {
      paymentHash: decoded.paymentHash,
      preimage: paid.payment_preimage,
      amountMsat: amount,
      feeMsat: sent - amount,
    };
  };
  const payWithPay = async () => {
    const paid = await client.call(
      "pay",
      {
        bolt11: request.paymentRequest.trim(),
        maxfee,
        retry_for: Math.min(retryFor, 0xffff),
        ...amountParams,
      },
      { timeoutMs },
    );
    if (paid.status !== "complete") {
      throw adapterError(operation, "PAYMENT_IN_FLIGHT", `pay returned status "${paid.status}"`);
    }
    return result(paid);
  };
  try {
    if (!useXpay) return await payWithPay();
    try {
      return result(
        await client.call(
          "xpay",
          { invstring: request.paymentRequest.trim(), maxfee, retry_for: retryFor, ...amountParams },
          { timeoutMs },
        ),
      );
    } catch (error) {
      // A build that claims v24.11+ but runs without the xpay plugin: nothing was sent, use pay.
      if (input.payMethod !== "auto" || !isClnRpcError(error, clnErrorCodes.JSONRPC2_METHOD_NOT_FOUND))
        throw error;
      log("warn", {}, "xpay is not available on this node; paying with pay");
      return await payWithPay();
    }
  } catch (error) {
    if (isClnRpcError(error, clnErrorCodes.PAY_INVOICE_ALREADY_PAID)) {
      const recorded = await findPayment(client, decoded.paymentHash);
      if (recorded?.status === "complete") return resultFromEntry(recorded, decoded, true);
      throw error;
    }
    const lostAnswer =
      !isClnRpcError(error) &&
      isPeerpayError(error) &&
      (error.code === "TIMEOUT" || error.code === "BACKEND_UNAVAILABLE");
    if (!lostAnswer) throw error;
    // The payment may be under way: ask the node instead of guessing (or paying again).
    log("warn", { paymentHash: decoded.paymentHash, code: error.code }, "pay answer lost; checking listpays");
    let recorded: PayEntry | undefined;
    try {
      recorded = await findPayment(client, decoded.paymentHash);
    } catch {
      recorded = undefined;
    }
    if (recorded?.status === "complete") return resultFromEntry(recorded, decoded, false);
    if (recorded?.status === "failed") {
      throw adapterError(operation, "PAYMENT_FAILED", "the payment failed", { cause: error });
    }
    throw adapterError(
      operation,
      "PAYMENT_IN_FLIGHT",
      "no answer from lightningd; the payment may still complete",
      {
        cause: error,
        details: { paymentHash: decoded.paymentHash },
      },
    );
  }
}
