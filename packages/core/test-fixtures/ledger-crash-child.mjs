// A seller process for the crash tests (sqlite-ledger-crash.test.ts). It uses the built package
// (../dist), follows a settled-invoice stream kept in a JSON file (a protocol-level double of a
// node's durable settle stream: events in settle order, cursor = position), and credits each
// event through the seller ledger on a real SQLite file.
//
// At a chosen point it announces itself on stdout and freezes, so the parent can SIGKILL it there:
//   delivered      the stream delivered the event, nothing is written yet
//   before-commit  inside the settlement transaction, credit written, not committed
//   after-commit   the transaction committed, the stream has not been acknowledged
//   mid-usage      inside a usage batch, half of its records written, not committed
//
// usage: node ledger-crash-child.mjs <mode> <database> <stream.json> [killPoint] [killIndex]
//   mode "follow": resume from the stored cursor; "replay-all": replay the whole stream;
//   mode "usage": record one usage batch of 10 records.
import { readFileSync, writeSync } from "node:fs";
import {
  createLedgerPolicy,
  createPriceBook,
  createSellerLedger,
  createSqliteLedgerStore,
} from "../dist/index.js";

const [mode, databasePath, streamPath, killPoint = "none", killIndex = "0"] = process.argv.slice(2);
const CURSOR_KEY = "sim:crash-test";
const frozen = new Int32Array(new SharedArrayBuffer(4));

function announce(message) {
  writeSync(1, `${JSON.stringify(message)}\n`);
}

function freezeAt(point) {
  announce({ point });
  // Blocks the whole process (the SQLite transaction stays open) until the parent kills it.
  Atomics.wait(frozen, 0, 0, 60_000);
  announce({ error: "not killed" });
  process.exit(3);
}

const store = createSqliteLedgerStore({ path: databasePath });
const database = store.getInstance();
database.function("peerpay_crash_point", () => {
  freezeAt(killPoint);
  return null;
});
if (killPoint === "before-commit") {
  // A temporary trigger lives only in this connection; it fires when the settlement transaction
  // moves the cursor, its last write, so everything else of the step is written but not committed.
  for (const event of ["INSERT", "UPDATE"]) {
    database.exec(
      `CREATE TEMP TRIGGER crash_${event.toLowerCase()} AFTER ${event} ON main.cursors
       WHEN NEW.cursor = '${Number(killIndex)}' BEGIN SELECT peerpay_crash_point(); END`,
    );
  }
}
if (killPoint === "mid-usage") {
  database.exec(
    `CREATE TEMP TRIGGER crash_usage AFTER INSERT ON main.ledger_entries
     WHEN NEW.kind = 'usage' AND NEW.bytes = 5 BEGIN SELECT peerpay_crash_point(); END`,
  );
}

const ledger = createSellerLedger({
  store,
  priceBook: createPriceBook({ defaultPrice: "100 sat/GiB" }),
  policy: createLedgerPolicy({ freeAllowanceBytes: 0 }),
});

if (mode === "usage") {
  const batch = Array.from({ length: 10 }, (_, index) => ({
    peer: "192.0.2.44",
    infohash: "4".repeat(40),
    bytes: BigInt(index + 1),
    freeBytes: 0n,
    priceMsatPerGiB: 100_000n,
    costMsat: 1000n,
    accuracy: "exact",
    at: new Date(),
  }));
  await store.recordUsage(batch);
  announce({ done: true });
  await store.close();
  process.exit(0);
}

const stream = JSON.parse(readFileSync(streamPath, "utf8"));
const stored = await store.getCursor(CURSOR_KEY);
const start = mode === "replay-all" || stored === undefined ? 0 : Number(stored);
announce({ resumedFrom: stored ?? null });

for (let position = start; position < stream.length; position++) {
  const event = stream[position];
  const settled = {
    paymentHash: event.paymentHash,
    amountMsat: BigInt(event.amountMsat),
    settledAt: new Date(event.settledAt),
    cursor: String(position + 1),
  };
  if (killPoint === "delivered" && position + 1 === Number(killIndex)) freezeAt("delivered");
  await ledger.applySettlement(settled, CURSOR_KEY);
  if (killPoint === "after-commit" && position + 1 === Number(killIndex)) freezeAt("after-commit");
}

announce({ done: true });
await store.close();
