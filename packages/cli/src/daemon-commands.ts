/**
 * `peerpay seed`, `peerpay leech` and `peerpay run`: load and check the configuration (one clear
 * message and exit 1 when it is wrong, before anything starts), start the daemon, and shut it down
 * gracefully on SIGINT/SIGTERM (a second signal exits at once).
 */
import { createWriteStream } from "node:fs";
import { type Command, Option } from "commander";
import { loadConfiguration } from "./config-loader.js";
import { configurationSecrets, type DaemonRole } from "./config-resolve.js";
import { startDaemon } from "./daemon-runtime.js";
import { createServiceLogger } from "./service-logger.js";

interface CommandSpec {
  readonly name: "seed" | "leech" | "run";
  readonly roles: readonly DaemonRole[];
  readonly description: string;
}

const specs: readonly CommandSpec[] = [
  {
    name: "seed",
    roles: ["seller"],
    description: "Run the seller role: earn for the bytes your client uploads.",
  },
  { name: "leech", roles: ["buyer"], description: "Run the buyer role: pay sellers within your budgets." },
  {
    name: "run",
    roles: ["seller", "buyer"],
    description: "Run both roles in one process (a seedbox that also downloads).",
  },
];

/** Flags that set a configuration key; each names the key it overrides. */
const commonFlags: readonly [string, string, string, ((value: string) => unknown)?][] = [
  ["--client <url>", "client", "torrent client connection string"],
  ["--lightning <url>", "lightning", "Lightning connection string (sim://, lnd://, cln://, cln+https://)"],
  ["--ledger <path>", "ledger.path", "SQLite ledger file"],
  ["--state-dir <path>", "stateDirectory", "directory for the bridges' state files"],
  ["--log-level <level>", "log.level", "trace, debug, info, warn, error"],
  ["--status-host <host>", "status.host", "status page address (loopback by default)"],
  ["--status-port <port>", "status.port", "status page port (0: any free port)", toNumber],
];

const sellerFlags: typeof commonFlags = [
  ["--listen-host <host>", "seller.listen.host", "negotiation endpoint address"],
  ["--listen-port <port>", "seller.listen.port", "negotiation endpoint port (default 9736)", toNumber],
  ["--price <price>", "seller.prices.default", 'default price, e.g. "100 sat/GiB"'],
];

const buyerFlags: typeof commonFlags = [
  ["--max-price <price>", "buyer.maxPrice", 'highest price paid, e.g. "200 sat/GiB"'],
  ["--budget <msat>", "buyer.budgets.total", 'total budget, e.g. 1000000 or "1000 sat"'],
  ["--seller-port <port>", "buyer.sellerPort", "port of sellers' negotiation endpoints", toNumber],
  ["--source-address <ip>", "buyer.sourceAddress", "local address to reach sellers from"],
];

export function addDaemonCommands(program: Command): void {
  for (const spec of specs) {
    const command = program
      .command(spec.name)
      .description(spec.description)
      .option(
        "-c, --config <file>",
        "configuration file (YAML or JSON); default ~/.config/peerpay/config.yaml",
      )
      .option("--no-status", "do not serve the status page")
      .option("--log-file <file>", "write the JSON log lines here instead of stderr")
      .option("--set <key=value...>", "set any configuration key, e.g. --set seller.policy.creditLine=5000");
    const flags = [
      ...commonFlags,
      ...(spec.roles.includes("seller") ? sellerFlags : []),
      ...(spec.roles.includes("buyer") ? buyerFlags : []),
    ];
    for (const [flag, , help] of flags) command.addOption(new Option(flag, help));
    command.action(async (options: Record<string, unknown>) => {
      const overrides: Record<string, unknown> = {};
      for (const [flag, key, , convert] of flags) {
        const value = options[optionName(flag)];
        if (value !== undefined) overrides[key] = convert ? convert(String(value)) : value;
      }
      if (options.status === false) overrides["status.enabled"] = false;
      for (const assignment of (options.set as string[] | undefined) ?? []) {
        const [key, ...rest] = assignment.split("=");
        if (!key || rest.length === 0) throw new Error(`--set ${assignment}: use key=value`);
        const text = rest.join("=");
        overrides[key] = /^\d+$/.test(text) && text.length < 16 ? Number(text) : parseScalar(text);
      }
      await runDaemonCommand(spec, {
        ...(typeof options.config === "string" ? { file: options.config } : {}),
        ...(typeof options.logFile === "string" ? { logFile: options.logFile } : {}),
        overrides,
      });
    });
  }
}

async function runDaemonCommand(
  spec: CommandSpec,
  options: { file?: string; logFile?: string; overrides: Record<string, unknown> },
): Promise<void> {
  // Everything is checked here, before any connection is made or any file is written.
  const configuration = loadConfiguration({
    ...(options.file ? { file: options.file } : {}),
    overrides: options.overrides,
    roles: spec.roles,
  });
  const logger = createServiceLogger({
    level: configuration.logLevel,
    secrets: configurationSecrets(configuration),
    ...(options.logFile ? { destination: createWriteStream(options.logFile, { flags: "a" }) } : {}),
  });
  logger.info(
    { command: spec.name, config: configuration.file ?? "(none)", lightning: configuration.lightningDisplay },
    "starting",
  );
  const daemon = await startDaemon({ configuration, roles: spec.roles, logger });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`peerpay ${spec.name}: running (${spec.roles.join(" + ")}); Ctrl-C stops it`);
  if (daemon.simulated) say("peerpay: SIMULATED Lightning network (sim://) — not real money");
  if (daemon.seller) say(`peerpay: negotiation endpoint ${daemon.seller.endpoint.url}/.well-known/peerpay`);
  if (daemon.status) say(`peerpay: status page ${daemon.status.url}/ (JSON /api/status, metrics /metrics)`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting without finishing the shutdown");
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal }, "shutting down: stopping polls, restoring the client, closing the ledger");
      daemon
        .close()
        .then(
          () => logger.info({}, "stopped"),
          (error: unknown) => {
            logger.error({ err: error }, "shutdown failed");
            process.exitCode = 1;
          },
        )
        .finally(() => {
          say(`peerpay ${spec.name}: stopped`);
          resolve();
        });
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  logger.flush?.();
}

function optionName(flag: string): string {
  const long = flag.split(" ")[0]?.replace(/^--/, "") ?? "";
  return long.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/** Whole numbers become numbers; anything else stays text, so the error says "expected number, got string". */
function toNumber(value: string): unknown {
  return /^\d{1,15}$/.test(value) ? Number(value) : value;
}

function parseScalar(text: string): unknown {
  if (text === "true") return true;
  if (text === "false") return false;
  return text;
}
