/**
 * The buyer side of the SQLite ledger store: outgoing payments (one row per payment hash, the
 * guard against paying twice), bytes received per seller, and what was spent (for budgets).
 */
import { paymentOutcomeEntry, paymentStartEntry, receivedEntry } from "./ledger-history-entries.js";
import type { LedgerStore, ReceivedRecord } from "./ledger-store.js";
import type { Msat } from "./money.js";
import {
  addTotal,
  checkOutcome,
  checkPaymentStart,
  checkReceivedBatch,
  conflict,
  notFound,
  type PaymentOutcome,
} from "./seller-ledger-checks.js";
import type { SqliteLedgerContext } from "./sqlite-ledger-context.js";
import {
  fromDate,
  type OutgoingPaymentRow,
  type SellerAccountRow,
  toPayment,
  toSellerAccount,
} from "./sqlite-ledger-rows.js";

type BuyerMethods = Pick<
  LedgerStore,
  | "beginPayment"
  | "completePayment"
  | "getPayment"
  | "listPayments"
  | "recordReceived"
  | "getSellerAccount"
  | "listSellerAccounts"
  | "spentSince"
>;

export function createSqliteBuyerMethods(context: SqliteLedgerContext): BuyerMethods {
  const { run, transaction, statement } = context;
  const readPayment = (paymentHash: string) =>
    statement("SELECT * FROM outgoing_payments WHERE payment_hash = ?").get(paymentHash) as
      | OutgoingPaymentRow
      | undefined;
  const readSeller = (seller: string) =>
    statement("SELECT * FROM seller_accounts WHERE seller = ?").get(seller) as SellerAccountRow | undefined;
  const ensureSeller = (seller: string, now: number): SellerAccountRow => {
    const row = readSeller(seller);
    if (row) return row;
    statement(
      `INSERT INTO seller_accounts (seller, paid_msat, fees_msat, bytes_received, cost_msat, payments_made, updated_at)
       VALUES (?, 0, 0, 0, 0, 0, ?)`,
    ).run(seller, now);
    return readSeller(seller) as SellerAccountRow;
  };

  return {
    beginPayment: (payment) =>
      run("beginPayment", () => {
        checkPaymentStart(payment);
        transaction(() => {
          if (readPayment(payment.paymentHash)) {
            throw conflict("ledger store: a payment for this payment hash was already begun", {
              paymentHash: payment.paymentHash,
            });
          }
          statement(
            `INSERT INTO outgoing_payments (payment_hash, payment_request, seller, infohash, amount_msat,
               max_fee_msat, state, created_at)
             VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
          ).run(
            payment.paymentHash,
            payment.paymentRequest,
            payment.seller,
            payment.infohash ?? null,
            payment.amountMsat,
            payment.maxFeeMsat,
            fromDate(payment.createdAt),
          );
          context.appendEntry(paymentStartEntry(payment));
        });
      }),

    completePayment: (paymentHash, outcome: PaymentOutcome, at) =>
      run("completePayment", () => {
        checkOutcome(outcome, at);
        transaction(() => {
          const row = readPayment(paymentHash);
          if (!row)
            throw notFound("ledger store: no payment was begun for this payment hash", { paymentHash });
          if (row.state !== "pending") {
            if (row.state === outcome.state) return;
            throw conflict(`ledger store: the payment already ${row.state}`, { paymentHash });
          }
          const now = fromDate(context.clock());
          if (outcome.state === "succeeded") {
            const seller = ensureSeller(row.seller, now);
            statement(
              `UPDATE seller_accounts SET paid_msat = ?, fees_msat = ?, payments_made = payments_made + 1,
                 updated_at = ? WHERE seller = ?`,
            ).run(
              addTotal(seller.paid_msat, row.amount_msat, "paidMsat"),
              addTotal(seller.fees_msat, outcome.feeMsat, "feesMsat"),
              now,
              row.seller,
            );
            statement(
              `UPDATE outgoing_payments SET state = 'succeeded', fee_msat = ?, preimage = ?, completed_at = ?
               WHERE payment_hash = ?`,
            ).run(outcome.feeMsat, outcome.preimage, fromDate(at), paymentHash);
          } else {
            statement(
              `UPDATE outgoing_payments SET state = 'failed', failure_code = ?, completed_at = ?
               WHERE payment_hash = ?`,
            ).run(outcome.failureCode, fromDate(at), paymentHash);
          }
          context.appendEntry(
            paymentOutcomeEntry(
              {
                paymentHash,
                seller: row.seller,
                infohash: row.infohash ?? undefined,
                amountMsat: row.amount_msat,
                maxFeeMsat: row.max_fee_msat,
              },
              outcome,
              at,
            ),
          );
        });
      }),

    getPayment: (paymentHash) =>
      run("getPayment", () => {
        const row = readPayment(paymentHash);
        return row ? toPayment(row) : undefined;
      }),

    listPayments: (filter) =>
      run("listPayments", () => {
        const rows = statement(
          `SELECT * FROM outgoing_payments WHERE (@state IS NULL OR state = @state) AND (@seller IS NULL OR seller = @seller)
           ORDER BY created_at, rowid`,
        ).all({ state: filter?.state ?? null, seller: filter?.seller ?? null }) as OutgoingPaymentRow[];
        return rows.map(toPayment);
      }),

    recordReceived: (batch: readonly ReceivedRecord[]) =>
      run("recordReceived", () => {
        checkReceivedBatch(batch);
        if (batch.length === 0) return;
        transaction(() => {
          const now = fromDate(context.clock());
          const totals = new Map<string, { bytes: bigint; cost: bigint }>();
          for (const record of batch) {
            let total = totals.get(record.seller);
            if (!total) {
              const row = ensureSeller(record.seller, now);
              total = { bytes: row.bytes_received, cost: row.cost_msat };
              totals.set(record.seller, total);
            }
            total.bytes = addTotal(total.bytes, record.bytes, "bytesReceived");
            total.cost = addTotal(total.cost, record.costMsat, "costMsat");
          }
          for (const [seller, total] of totals) {
            statement(
              "UPDATE seller_accounts SET bytes_received = ?, cost_msat = ?, updated_at = ? WHERE seller = ?",
            ).run(total.bytes, total.cost, now, seller);
          }
          for (const record of batch) {
            context.appendEntry(receivedEntry(record));
          }
        });
      }),

    getSellerAccount: (seller) =>
      run("getSellerAccount", () => {
        const row = readSeller(seller);
        return row ? toSellerAccount(row) : undefined;
      }),

    listSellerAccounts: () =>
      run("listSellerAccounts", () =>
        (statement("SELECT * FROM seller_accounts ORDER BY seller").all() as SellerAccountRow[]).map(
          toSellerAccount,
        ),
      ),

    spentSince: (since) =>
      run("spentSince", () => {
        // Summed here, not in SQL: SQLite turns an overflowing integer sum into a float.
        const rows = statement(
          `SELECT state, amount_msat, max_fee_msat, fee_msat FROM outgoing_payments
           WHERE created_at >= ? AND state IN ('pending', 'succeeded')`,
        ).all(fromDate(since)) as Pick<
          OutgoingPaymentRow,
          "state" | "amount_msat" | "max_fee_msat" | "fee_msat"
        >[];
        let total: Msat = 0n;
        for (const row of rows) {
          total += row.amount_msat + (row.state === "succeeded" ? (row.fee_msat ?? 0n) : row.max_fee_msat);
        }
        return total;
      }),
  };
}
