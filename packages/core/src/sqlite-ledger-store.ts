/**
 * The SQLite ledger store: the embedded default. One file in WAL mode, schema versioned with
 * `user_version`, money and bytes as 64-bit INTEGER read back as bigint. The interface is async;
 * better-sqlite3 is synchronous, so each call runs to completion inside its own IMMEDIATE
 * transaction and concurrent calls never interleave. Several processes may share the file (the
 * busy timeout makes them wait their turn).
 *
 * Exactly once: `applySettlement` inserts the payment hash into `settlements` (primary key), adds
 * the credit, marks the invoice settled and moves the rail cursor in one transaction. A crash
 * before the commit leaves none of it; replaying the stream from the stored cursor then credits
 * the invoice once; after the commit, a replay finds the payment hash and credits nothing.
 */

import type Database from "better-sqlite3";
import { invoiceEntry, settlementEntry, usageEntry } from "./ledger-history-entries.js";
import type {
  HistoryFilter,
  IssuedInvoiceRecord,
  LedgerStore,
  SettlementInput,
  SettlementResult,
  UsageRecord,
} from "./ledger-store.js";
import {
  addTotal,
  checkHistoryLimit,
  checkInvoice,
  checkSettlement,
  checkUsageBatch,
  conflict,
  cursorAdvances,
  settlementCredit,
} from "./seller-ledger-checks.js";
import { createSqliteBuyerMethods } from "./sqlite-ledger-buyer.js";
import { createSqliteLedgerContext, type SqliteLedgerContext } from "./sqlite-ledger-context.js";
import {
  fromDate,
  type IssuedInvoiceRow,
  type LedgerEntryRow,
  type PeerAccountRow,
  toInvoice,
  toLedgerEntry,
  toPeerAccount,
} from "./sqlite-ledger-rows.js";
import { openLedgerDatabase } from "./sqlite-ledger-schema.js";

export interface SqliteLedgerStoreOptions {
  /** The ledger file; created (with its directory's permissions) when missing. */
  readonly path: string;
  /** How long a call waits for another process's write lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * `"full"` (default) syncs the WAL on every commit: a power cut loses nothing committed.
   * `"normal"` is faster and still safe against a process crash; after a power cut the last
   * commits may be gone, and the settlements among them are credited again by replaying the
   * stream from the (equally rolled back) cursor.
   */
  readonly synchronous?: "full" | "normal";
  /** Clock for `updatedAt` stamps. Default: `() => new Date()`. */
  readonly clock?: () => Date;
}

export type SqliteLedgerStore = LedgerStore & {
  readonly kind: "sqlite";
  readonly path: string;
  /** Escape hatch: the better-sqlite3 database (safe-integer mode). */
  getInstance(): Database.Database;
};

export function createSqliteLedgerStore(options: SqliteLedgerStoreOptions): SqliteLedgerStore {
  const database = openLedgerDatabase({
    path: options.path,
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    synchronous: options.synchronous ?? "full",
  });
  const context = createSqliteLedgerContext(database, options.clock ?? (() => new Date()));
  const { run, transaction, statement } = context;

  const readAccount = (peer: string): PeerAccountRow | undefined =>
    statement("SELECT * FROM peer_accounts WHERE peer = ?").get(peer) as PeerAccountRow | undefined;

  return {
    kind: "sqlite",
    path: options.path,
    getInstance: () => database,

    recordUsage: (batch) =>
      run("recordUsage", () => {
        checkUsageBatch(batch);
        if (batch.length === 0) return;
        transaction(() => recordUsageRows(context, readAccount, batch));
      }),

    getAccount: (peer) =>
      run("getAccount", () => {
        const row = readAccount(peer);
        return row ? toPeerAccount(row) : undefined;
      }),

    listAccounts: () =>
      run("listAccounts", () =>
        (statement("SELECT * FROM peer_accounts ORDER BY peer").all() as PeerAccountRow[]).map(toPeerAccount),
      ),

    setBlocked: (peer, blocked, reason, at) =>
      run("setBlocked", () =>
        transaction(() => {
          const row = readAccount(peer);
          const now = fromDate(context.clock());
          if (!row) insertEmptyAccount(context, peer, now);
          const wasBlocked = row ? row.blocked !== 0n : false;
          if (wasBlocked === blocked) {
            if (blocked)
              statement("UPDATE peer_accounts SET blocked_reason = ? WHERE peer = ?").run(reason, peer);
            return;
          }
          statement(
            `UPDATE peer_accounts SET blocked = ?, blocked_reason = ?, blocked_since = ?, updated_at = ?
             WHERE peer = ?`,
          ).run(blocked ? 1 : 0, blocked ? reason : null, blocked ? fromDate(at) : null, now, peer);
          context.appendEntry({ at, kind: blocked ? "block" : "unblock", counterparty: peer, note: reason });
        }),
      ),

    recordInvoice: (invoice) =>
      run("recordInvoice", () => {
        checkInvoice(invoice);
        transaction(() => insertInvoice(context, invoice));
      }),

    getInvoice: (paymentHash) =>
      run("getInvoice", () => {
        const row = statement("SELECT * FROM issued_invoices WHERE payment_hash = ?").get(paymentHash) as
          | IssuedInvoiceRow
          | undefined;
        return row ? toInvoice(row) : undefined;
      }),

    countOpenInvoices: (peer, now) =>
      run("countOpenInvoices", () => {
        const row = statement(
          "SELECT count(*) AS n FROM issued_invoices WHERE peer = ? AND state = 'open' AND expires_at > ?",
        ).get(peer, fromDate(now)) as { n: bigint };
        return Number(row.n);
      }),

    applySettlement: (settlement) =>
      run("applySettlement", () => {
        checkSettlement(settlement);
        return transaction(() => applySettlementRows(context, readAccount, settlement));
      }),

    getCursor: (cursorKey) =>
      run("getCursor", () => {
        const row = statement("SELECT cursor FROM cursors WHERE cursor_key = ?").get(cursorKey) as
          | { cursor: string }
          | undefined;
        return row?.cursor;
      }),

    ...createSqliteBuyerMethods(context),

    history: (filter?: HistoryFilter) =>
      run("history", () => {
        const limit = checkHistoryLimit(filter?.limit);
        const where: string[] = [];
        const values: unknown[] = [];
        if (filter?.since) {
          where.push("at >= ?");
          values.push(fromDate(filter.since));
        }
        if (filter?.until) {
          where.push("at < ?");
          values.push(fromDate(filter.until));
        }
        if (filter?.counterparty !== undefined) {
          where.push("counterparty = ?");
          values.push(filter.counterparty);
        }
        if (filter?.kinds) {
          if (filter.kinds.length === 0) return [];
          where.push(`kind IN (${filter.kinds.map(() => "?").join(", ")})`);
          values.push(...filter.kinds);
        }
        const sql = `SELECT * FROM ledger_entries${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id${
          limit === undefined ? "" : ` LIMIT ${limit}`
        }`;
        return (context.database.prepare(sql).all(...values) as LedgerEntryRow[]).map(toLedgerEntry);
      }),

    close: async () => {
      context.close();
    },
  };
}

function recordUsageRows(
  context: SqliteLedgerContext,
  readAccount: (peer: string) => PeerAccountRow | undefined,
  batch: readonly UsageRecord[],
): void {
  const totals = new Map<string, { cost: bigint; bytes: bigint; free: bigint; exists: boolean }>();
  for (const record of batch) {
    let total = totals.get(record.peer);
    if (!total) {
      const row = readAccount(record.peer);
      total = row
        ? { cost: row.cost_msat, bytes: row.bytes_served, free: row.free_bytes_used, exists: true }
        : { cost: 0n, bytes: 0n, free: 0n, exists: false };
      totals.set(record.peer, total);
    }
    total.cost = addTotal(total.cost, record.costMsat, "costMsat");
    total.bytes = addTotal(total.bytes, record.bytes, "bytesServed");
    total.free = addTotal(total.free, record.freeBytes, "freeBytesUsed");
  }
  const now = fromDate(context.clock());
  for (const [peer, total] of totals) {
    if (!total.exists) insertEmptyAccount(context, peer, now);
    context
      .statement(
        `UPDATE peer_accounts SET cost_msat = ?, bytes_served = ?, free_bytes_used = ?, updated_at = ?
         WHERE peer = ?`,
      )
      .run(total.cost, total.bytes, total.free, now, peer);
  }
  for (const record of batch) {
    context.appendEntry(usageEntry(record));
  }
}

function applySettlementRows(
  context: SqliteLedgerContext,
  readAccount: (peer: string) => PeerAccountRow | undefined,
  settlement: SettlementInput,
): SettlementResult {
  const { statement } = context;
  const row = statement("SELECT * FROM issued_invoices WHERE payment_hash = ?").get(settlement.paymentHash) as
    | IssuedInvoiceRow
    | undefined;
  if (!row) {
    moveCursor(context, settlement);
    return { credited: false, reason: "unknown-invoice" };
  }
  const invoice = toInvoice(row);
  const seen = statement("SELECT 1 FROM settlements WHERE payment_hash = ?").get(settlement.paymentHash);
  if (seen !== undefined || invoice.state === "settled") {
    moveCursor(context, settlement);
    const account = readAccount(invoice.peer);
    return {
      credited: false,
      reason: "already-credited",
      invoice,
      ...(account ? { account: toPeerAccount(account) } : {}),
    };
  }
  const credit = settlementCredit(invoice, settlement.receivedMsat);
  const now = fromDate(context.clock());
  const before = readAccount(invoice.peer);
  if (!before) insertEmptyAccount(context, invoice.peer, now);
  const creditTotal = addTotal(before?.credit_msat ?? 0n, credit, "creditMsat");
  statement(
    `UPDATE peer_accounts SET credit_msat = ?, payments_settled = payments_settled + 1, updated_at = ?
     WHERE peer = ?`,
  ).run(creditTotal, now, invoice.peer);
  statement("UPDATE issued_invoices SET state = 'settled', settled_at = ? WHERE payment_hash = ?").run(
    fromDate(settlement.settledAt),
    invoice.paymentHash,
  );
  statement(
    `INSERT INTO settlements (payment_hash, peer, received_msat, credit_msat, cursor_key, cursor, settled_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    invoice.paymentHash,
    invoice.peer,
    settlement.receivedMsat,
    credit,
    settlement.cursorKey,
    settlement.cursor,
    fromDate(settlement.settledAt),
  );
  const account = toPeerAccount(readAccount(invoice.peer) as PeerAccountRow);
  context.appendEntry(settlementEntry(invoice, settlement, credit, account.creditMsat - account.costMsat));
  // The cursor moves last, in the same transaction as the credit.
  moveCursor(context, settlement);
  return {
    credited: true,
    account,
    invoice: { ...invoice, state: "settled", settledAt: settlement.settledAt },
  };
}

function moveCursor(context: SqliteLedgerContext, settlement: SettlementInput): void {
  const stored = context
    .statement("SELECT cursor FROM cursors WHERE cursor_key = ?")
    .get(settlement.cursorKey) as { cursor: string } | undefined;
  if (!cursorAdvances(stored?.cursor, settlement.cursor)) return;
  context
    .statement(
      `INSERT INTO cursors (cursor_key, cursor, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (cursor_key) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
    )
    .run(settlement.cursorKey, settlement.cursor, fromDate(context.clock()));
}

function insertInvoice(context: SqliteLedgerContext, invoice: IssuedInvoiceRecord): void {
  const exists = context
    .statement("SELECT 1 FROM issued_invoices WHERE payment_hash = ?")
    .get(invoice.paymentHash);
  if (exists !== undefined) {
    throw conflict("ledger store: an invoice with this payment hash was already recorded", {
      paymentHash: invoice.paymentHash,
    });
  }
  context
    .statement(
      `INSERT INTO issued_invoices (payment_hash, payment_request, peer, requested_by, amount_msat, credit_msat,
         infohash, listen_ports, rail, state, created_at, expires_at, settled_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      invoice.paymentHash,
      invoice.paymentRequest,
      invoice.peer,
      invoice.requestedBy,
      invoice.amountMsat,
      invoice.creditMsat,
      invoice.infohash ?? null,
      JSON.stringify(invoice.listenPorts),
      invoice.rail,
      invoice.state,
      fromDate(invoice.createdAt),
      fromDate(invoice.expiresAt),
      invoice.settledAt ? fromDate(invoice.settledAt) : null,
    );
  context.appendEntry(invoiceEntry(invoice));
}

function insertEmptyAccount(context: SqliteLedgerContext, peer: string, now: number): void {
  context
    .statement(
      `INSERT INTO peer_accounts (peer, credit_msat, cost_msat, bytes_served, free_bytes_used, payments_settled,
         blocked, updated_at)
       VALUES (?, 0, 0, 0, 0, 0, 0, ?)`,
    )
    .run(peer, now);
}
