/**
 * `peerpay status` (asks the running daemon's status endpoint) and `peerpay ledger export` (reads
 * the ledger file's itemised history; works whether or not the daemon runs).
 */
import { createWriteStream } from "node:fs";
import { type Command, Option } from "commander";
import { loadConfiguration } from "./config-loader.js";
import { exportLedger, parseExportDate } from "./ledger-export.js";
import type { StatusSnapshot } from "./status-snapshot.js";

export function addInfoCommands(program: Command): void {
  program
    .command("status")
    .description("Show what the running daemon is doing: peers, balances, blocked, earnings and spend.")
    .option("-c, --config <file>", "configuration file (for status.host / status.port)")
    .option("--url <url>", "the daemon's status server, e.g. http://127.0.0.1:9737")
    .option("--json", "print the raw /api/status JSON")
    .action(async (options: { config?: string; url?: string; json?: boolean }) => {
      const configuration = loadConfiguration({
        ...(options.config ? { file: options.config } : {}),
        roles: [],
      });
      const host = configuration.status.host;
      const base =
        options.url ??
        `http://${host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host}:${configuration.status.port}`;
      const token = process.env.PEERPAY_STATUS_TOKEN;
      let response: Response;
      try {
        response = await fetch(new URL("/api/status", base), {
          headers: token ? { authorization: `Bearer ${token}` } : {},
          signal: AbortSignal.timeout(10_000),
        });
      } catch {
        throw new Error(
          `no peerpay daemon answers at ${base} (is \`peerpay seed\`/\`leech\`/\`run\` running?)`,
        );
      }
      if (response.status === 401) throw new Error(`${base} needs a token: set PEERPAY_STATUS_TOKEN`);
      if (!response.ok) throw new Error(`${base}/api/status answered ${response.status}`);
      const snapshot = (await response.json()) as StatusSnapshot;
      process.stdout.write(
        options.json ? `${JSON.stringify(snapshot, null, 2)}\n` : describeStatus(snapshot),
      );
    });

  const ledger = program.command("ledger").description("The ledger file.");
  ledger
    .command("export")
    .description(
      "Export the itemised history (usage, invoices, settlements, blocks, payments) as CSV or JSON.",
    )
    .addOption(new Option("--format <format>", "csv or json").choices(["csv", "json"]).default("csv"))
    .option("--since <date>", "from this time (ISO date or date-time, inclusive)")
    .option("--until <date>", "up to this time (exclusive)")
    .option("-c, --config <file>", "configuration file (for ledger.path)")
    .option("--ledger <path>", "the ledger file (overrides the configuration)")
    .option("-o, --output <file>", "write here instead of stdout")
    .action(
      async (options: {
        format: "csv" | "json";
        since?: string;
        until?: string;
        config?: string;
        ledger?: string;
        output?: string;
      }) => {
        const configuration = loadConfiguration({
          ...(options.config ? { file: options.config } : {}),
          overrides: { "ledger.path": options.ledger },
          roles: [],
        });
        const since = options.since ? parseExportDate(options.since, "--since") : undefined;
        const until = options.until ? parseExportDate(options.until, "--until") : undefined;
        const { existsSync } = await import("node:fs");
        if (!existsSync(configuration.ledgerPath)) {
          throw new Error(`no ledger at ${configuration.ledgerPath} (use --ledger or ledger.path)`);
        }
        const output = options.output ? createWriteStream(options.output) : process.stdout;
        const count = await exportLedger({
          ledgerPath: configuration.ledgerPath,
          format: options.format,
          ...(since ? { since } : {}),
          ...(until ? { until } : {}),
          output,
        });
        if (options.output) {
          await new Promise<void>((resolve) => (output as NodeJS.WritableStream).end(() => resolve()));
          process.stderr.write(`peerpay: wrote ${count} entries to ${options.output}\n`);
        }
      },
    );
}

export function describeStatus(snapshot: StatusSnapshot): string {
  const lines = [
    `roles: ${snapshot.roles.join(", ") || "none"}    Lightning: ${snapshot.lightning}${snapshot.simulated ? " (SIMULATED: not real money)" : ""}`,
    `earned: ${snapshot.totals.earnedMsat} msat    spent: ${snapshot.totals.spentMsat} msat    served: ${snapshot.totals.bytesServed} bytes    received: ${snapshot.totals.bytesReceived} bytes`,
  ];
  if (snapshot.seller) {
    lines.push(`seller: endpoint ${snapshot.seller.endpoint}, ${snapshot.seller.polls} polls`);
    for (const peer of snapshot.seller.peers) {
      lines.push(
        `  ${peer.peer.padEnd(16)} ${peer.blocked ? "BLOCKED" : "allowed"}  balance ${peer.balanceMsat} msat  paid ${peer.creditMsat} msat  served ${peer.bytesServed} bytes (${peer.freeBytesUsed} free)${peer.blocked && peer.blockedReason ? `  — ${peer.blockedReason}` : ""}`,
      );
    }
  }
  if (snapshot.buyer) {
    lines.push(`buyer: ${snapshot.buyer.polls} polls`);
    for (const seller of snapshot.buyer.sellers) {
      lines.push(
        `  ${seller.seller}  paid ${seller.paidMsat} msat (+${seller.feesMsat} fees)  received ${seller.bytesReceived} bytes costing ${seller.costMsat} msat`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
