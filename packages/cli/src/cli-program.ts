/**
 * The `peerpay` command line. Every bad flag gets one clear message naming it, before anything starts.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { addDaemonCommands } from "./daemon-commands.js";
import { defaultDemoOptions, runDemo } from "./demo-scenario.js";
import { addInfoCommands } from "./info-commands.js";

export function createProgram(): Command {
  const program = new Command()
    .name("peerpay")
    .description("Pay-for-bandwidth for unmodified qBittorrent and Transmission, settled over Lightning.")
    .showHelpAfterError();

  addDaemonCommands(program);
  addInfoCommands(program);

  program
    .command("demo")
    .description(
      "Seed a paid torrent from one real client to another on loopback, paying over the simulated Lightning network (not real money).",
    )
    .addOption(
      new Option("--seller <client>", "the seeding client")
        .choices(["transmission", "qbittorrent"])
        .default(defaultDemoOptions.seller),
    )
    .addOption(
      new Option("--buyer <client>", "the downloading client")
        .choices(["transmission", "qbittorrent"])
        .default(defaultDemoOptions.buyer),
    )
    .option(
      "--size-mib <n>",
      "size of the demo file in MiB",
      positiveInteger(1, 1024),
      defaultDemoOptions.sizeMiB,
    )
    .option(
      "--rate-kb <n>",
      "seller upload limit in kB/s",
      positiveInteger(10, 1_000_000),
      defaultDemoOptions.rateKB,
    )
    .option("--price <price>", 'price of the torrent, e.g. "100000 sat/GiB"', defaultDemoOptions.price)
    .option(
      "--timeout <seconds>",
      "give up after this long",
      positiveInteger(10, 3600),
      defaultDemoOptions.timeoutSeconds,
    )
    .option("--keep", "keep the working directory (ledgers, configs, logs)", false)
    .action(async (flags: Record<string, unknown>) => {
      if (flags.seller === "transmission" && flags.buyer === "transmission") {
        throw new InvalidArgumentError(
          "--seller and --buyer cannot both be transmission: on loopback one side must dial, and Transmission has no RPC to dial a peer",
        );
      }
      const summary = await runDemo({
        ...defaultDemoOptions,
        seller: flags.seller as "transmission" | "qbittorrent",
        buyer: flags.buyer as "transmission" | "qbittorrent",
        sizeMiB: flags.sizeMib as number,
        rateKB: flags.rateKb as number,
        price: String(flags.price),
        timeoutSeconds: flags.timeout as number,
        keep: flags.keep === true,
      });
      process.exitCode = summary.ok ? 0 : 1;
    });

  return program;
}

function positiveInteger(min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return parsed;
  };
}
