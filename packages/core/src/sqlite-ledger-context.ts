/**
 * What the SQLite ledger store's parts share: the open database, cached statements, immediate
 * transactions, and the error rule (every failure leaves as a PeerpayError; a SQLite error becomes
 * STORAGE_FAILED, retryable when the file was busy, and never carries row data).
 */
import type Database from "better-sqlite3";
import { isPeerpayError, PeerpayError } from "./errors.js";
import type { LedgerEntry } from "./ledger-store.js";
import { fromDate } from "./sqlite-ledger-rows.js";

export interface SqliteLedgerContext {
  readonly database: Database.Database;
  readonly clock: () => Date;
  statement(sql: string): Database.Statement;
  /** Runs `body` in one IMMEDIATE transaction (write lock taken up front: no upgrade deadlocks). */
  transaction<T>(body: () => T): T;
  /** Runs a store operation; turns anything thrown into a rejected PeerpayError. */
  run<T>(operation: string, body: () => T): Promise<T>;
  appendEntry(entry: Omit<LedgerEntry, "id">): void;
  close(): void;
}

export function createSqliteLedgerContext(
  database: Database.Database,
  clock: () => Date,
): SqliteLedgerContext {
  const statements = new Map<string, Database.Statement>();
  let closed = false;
  const inTransaction = database.transaction((body: () => unknown) => body());

  const statement = (sql: string): Database.Statement => {
    let prepared = statements.get(sql);
    if (!prepared) {
      prepared = database.prepare(sql);
      statements.set(sql, prepared);
    }
    return prepared;
  };

  return {
    database,
    clock,
    statement,
    transaction<T>(body: () => T): T {
      return inTransaction.immediate(body) as T;
    },
    run<T>(operation: string, body: () => T): Promise<T> {
      try {
        if (closed) {
          throw new PeerpayError("STORAGE_FAILED", `sqlite ledger: ${operation}: the store is closed`, {
            retryable: false,
          });
        }
        return Promise.resolve(body());
      } catch (error) {
        return Promise.reject(toStorageError(operation, error));
      }
    },
    appendEntry(entry) {
      statement(
        `INSERT INTO ledger_entries (at, kind, counterparty, infohash, bytes, amount_msat, payment_hash, note)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        fromDate(entry.at),
        entry.kind,
        entry.counterparty,
        entry.infohash ?? null,
        entry.bytes ?? null,
        entry.amountMsat ?? null,
        entry.paymentHash ?? null,
        entry.note ?? null,
      );
    },
    close() {
      if (closed) return;
      closed = true;
      statements.clear();
      database.close();
    },
  };
}

function toStorageError(operation: string, error: unknown): PeerpayError {
  if (isPeerpayError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const sqliteCode = typeof code === "string" ? code : error instanceof Error ? error.name : "unknown";
  const busy = sqliteCode.startsWith("SQLITE_BUSY") || sqliteCode.startsWith("SQLITE_LOCKED");
  return new PeerpayError("STORAGE_FAILED", `sqlite ledger: ${operation} failed (${sqliteCode})`, {
    cause: error,
    retryable: busy,
    details: { operation, sqliteCode },
  });
}
