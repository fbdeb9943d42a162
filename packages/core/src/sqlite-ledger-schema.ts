/**
 * The SQLite ledger file: opening it (WAL, busy timeout, 64-bit integers as bigint), its schema
 * version (`PRAGMA user_version`) and the migrations that bring an older file up to date. Each
 * migration runs in its own transaction together with the version bump, so a crash mid-migration
 * leaves the file at the previous version.
 */
import { chmodSync, existsSync } from "node:fs";
import Database from "better-sqlite3";
import { isPeerpayError, PeerpayError } from "./errors.js";

/** "PPY1": marks a file as a peerpay ledger, so a stranger's database is never migrated. */
export const LEDGER_APPLICATION_ID = 0x50505931;

const migrations: readonly string[] = [
  // 1: the first schema. Money and byte counts are INTEGER (signed 64-bit; MAX_MSAT < 2^63),
  // read back as bigint; times are INTEGER milliseconds since the epoch.
  `
  CREATE TABLE peer_accounts (
    peer TEXT PRIMARY KEY,
    credit_msat INTEGER NOT NULL,
    cost_msat INTEGER NOT NULL,
    bytes_served INTEGER NOT NULL,
    free_bytes_used INTEGER NOT NULL,
    payments_settled INTEGER NOT NULL,
    blocked INTEGER NOT NULL,
    blocked_reason TEXT,
    blocked_since INTEGER,
    updated_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE issued_invoices (
    payment_hash TEXT PRIMARY KEY,
    payment_request TEXT NOT NULL,
    peer TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    amount_msat INTEGER NOT NULL,
    credit_msat INTEGER NOT NULL,
    infohash TEXT,
    listen_ports TEXT NOT NULL,
    rail TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    settled_at INTEGER
  ) STRICT;
  CREATE INDEX issued_invoices_by_peer ON issued_invoices (peer, state, expires_at);
  CREATE TABLE settlements (
    payment_hash TEXT PRIMARY KEY,
    peer TEXT NOT NULL,
    received_msat INTEGER NOT NULL,
    credit_msat INTEGER NOT NULL,
    cursor_key TEXT NOT NULL,
    cursor TEXT NOT NULL,
    settled_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE cursors (
    cursor_key TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE outgoing_payments (
    payment_hash TEXT PRIMARY KEY,
    payment_request TEXT NOT NULL,
    seller TEXT NOT NULL,
    infohash TEXT,
    amount_msat INTEGER NOT NULL,
    max_fee_msat INTEGER NOT NULL,
    state TEXT NOT NULL,
    fee_msat INTEGER,
    preimage TEXT,
    failure_code TEXT,
    created_at INTEGER NOT NULL,
    completed_at INTEGER
  ) STRICT;
  CREATE INDEX outgoing_payments_by_time ON outgoing_payments (created_at);
  CREATE TABLE seller_accounts (
    seller TEXT PRIMARY KEY,
    paid_msat INTEGER NOT NULL,
    fees_msat INTEGER NOT NULL,
    bytes_received INTEGER NOT NULL,
    cost_msat INTEGER NOT NULL,
    payments_made INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    infohash TEXT,
    bytes INTEGER,
    amount_msat INTEGER,
    payment_hash TEXT,
    note TEXT
  ) STRICT;
  CREATE INDEX ledger_entries_by_time ON ledger_entries (at);
  CREATE INDEX ledger_entries_by_counterparty ON ledger_entries (counterparty, id);
  `,
];

/** The schema version this code writes. */
export const LEDGER_SCHEMA_VERSION = migrations.length;

export interface OpenLedgerDatabaseOptions {
  readonly path: string;
  readonly busyTimeoutMs: number;
  readonly synchronous: "full" | "normal";
}

export function openLedgerDatabase(options: OpenLedgerDatabaseOptions): Database.Database {
  let database: Database.Database;
  const inMemory = options.path === ":memory:" || options.path === "";
  const existed = inMemory || existsSync(options.path);
  try {
    database = new Database(options.path, { timeout: options.busyTimeoutMs });
  } catch (error) {
    throw new PeerpayError("STORAGE_FAILED", `sqlite ledger: cannot open the ledger file: ${reason(error)}`, {
      cause: error,
      retryable: false,
    });
  }
  try {
    // The ledger holds payment preimages and everyone's balances: a new file is for its owner only
    // (SQLite gives the -wal and -shm files the same mode).
    if (!existed) chmodSync(options.path, 0o600);
    database.defaultSafeIntegers(true);
    database.pragma("journal_mode = WAL");
    database.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    migrate(database);
    return database;
  } catch (error) {
    database.close();
    if (isPeerpayError(error)) throw error;
    throw new PeerpayError("STORAGE_FAILED", `sqlite ledger: cannot use the ledger file: ${reason(error)}`, {
      cause: error,
      retryable: false,
    });
  }
}

function migrate(database: Database.Database): void {
  const step = database.transaction(() => {
    const applicationId = Number(database.pragma("application_id", { simple: true }));
    const version = Number(database.pragma("user_version", { simple: true }));
    if (applicationId !== 0 && applicationId !== LEDGER_APPLICATION_ID) {
      throw new PeerpayError("STORAGE_FAILED", "sqlite ledger: the file is not a peerpay ledger", {
        retryable: false,
      });
    }
    if (applicationId === 0 && version === 0 && hasTables(database)) {
      throw new PeerpayError("STORAGE_FAILED", "sqlite ledger: the file holds another program's tables", {
        retryable: false,
      });
    }
    if (version > LEDGER_SCHEMA_VERSION) {
      throw new PeerpayError(
        "STORAGE_FAILED",
        `sqlite ledger: the file has schema version ${version}, newer than this peerpay knows (${LEDGER_SCHEMA_VERSION}); upgrade peerpay`,
        { retryable: false },
      );
    }
    if (version === LEDGER_SCHEMA_VERSION) return false;
    database.exec(migrations[version] ?? "");
    database.pragma(`application_id = ${LEDGER_APPLICATION_ID}`);
    database.pragma(`user_version = ${version + 1}`);
    return true;
  });
  // One transaction per migration; an exclusive lock so two processes never migrate at once.
  while (step.exclusive()) {
    // keep going until the file is at the current version
  }
}

function hasTables(database: Database.Database): boolean {
  const row = database.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as {
    n: bigint;
  };
  return row.n > 0n;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
