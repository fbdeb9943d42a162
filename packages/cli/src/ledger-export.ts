/**
 * `peerpay ledger export`: the ledger's itemised history (store.history) as CSV or JSON. CSV has a
 * header row; amounts are whole msat (signed from the ledger owner's view: + earned, − spent),
 * bytes whole numbers, times ISO 8601 UTC. JSON writes msat as decimal strings (exact beyond 2^53).
 */
import { createSqliteLedgerStore, type HistoryFilter, type LedgerEntry, PeerpayError } from "@peerpay/core";

export type ExportFormat = "csv" | "json";

export interface LedgerExportOptions {
  readonly ledgerPath: string;
  readonly format: ExportFormat;
  readonly since?: Date;
  readonly until?: Date;
  readonly output: NodeJS.WritableStream;
}

export const exportColumns = [
  "id",
  "at",
  "kind",
  "counterparty",
  "infohash",
  "bytes",
  "amount_msat",
  "payment_hash",
  "note",
] as const;

/** Writes the history in the ledger's own order (by id); returns how many entries were written. */
export async function exportLedger(options: LedgerExportOptions): Promise<number> {
  const store = createSqliteLedgerStore({ path: options.ledgerPath });
  const write = (text: string) => options.output.write(text);
  let count = 0;
  try {
    if (options.format === "csv") write(`${exportColumns.join(",")}\n`);
    else write("[");
    const filter: HistoryFilter = {
      ...(options.since ? { since: options.since } : {}),
      ...(options.until ? { until: options.until } : {}),
    };
    for (const entry of await store.history(filter)) {
      if (options.format === "csv") write(`${csvRow(entry)}\n`);
      else write(`${count === 0 ? "\n" : ",\n"}  ${JSON.stringify(jsonEntry(entry))}`);
      count++;
    }
    if (options.format === "json") write(count === 0 ? "]\n" : "\n]\n");
    return count;
  } finally {
    await store.close();
  }
}

export function csvRow(entry: LedgerEntry): string {
  return [
    String(entry.id),
    entry.at.toISOString(),
    entry.kind,
    entry.counterparty,
    entry.infohash ?? "",
    entry.bytes === undefined ? "" : entry.bytes.toString(),
    entry.amountMsat === undefined ? "" : entry.amountMsat.toString(),
    entry.paymentHash ?? "",
    entry.note ?? "",
  ]
    .map(csvField)
    .join(",");
}

function jsonEntry(entry: LedgerEntry): Record<string, unknown> {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    kind: entry.kind,
    counterparty: entry.counterparty,
    ...(entry.infohash ? { infohash: entry.infohash } : {}),
    ...(entry.bytes === undefined ? {} : { bytes: entry.bytes.toString() }),
    ...(entry.amountMsat === undefined ? {} : { amountMsat: entry.amountMsat.toString() }),
    ...(entry.paymentHash ? { paymentHash: entry.paymentHash } : {}),
    ...(entry.note ? { note: entry.note } : {}),
  };
}

/** RFC 4180: quote a field holding a comma, quote or line break; a leading =,+,-,@ is not a formula. */
function csvField(value: string): string {
  const safe = /^[=+@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Parses --since / --until: an ISO date or date-time. */
export function parseExportDate(value: string, flag: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new PeerpayError(
      "INVALID_INPUT",
      `${flag}: "${value.slice(0, 40)}" is not a date such as 2026-11-25 or 2026-11-25T14:00:00Z`,
    );
  }
  return date;
}
