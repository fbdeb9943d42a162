/**
 * The configuration file's schema (zod): one file, JSON or YAML, for every command. The published
 * JSON Schema (config.schema.json) is generated from this by scripts/write-config-schema.mjs, and a
 * test checks the checked-in file is up to date. Secrets are not keys here: they come from the
 * environment (see docs/configuration.md) or from the connection strings themselves.
 */
import { parsePrice } from "@peerpay/core";
import { z } from "zod";
import { parseClientConnection, parseLightningConnection } from "./connection-string.js";

const amountPattern = /^\s*(0|[1-9][0-9]*)\s*(msat|sat)?\s*$/i;
const sizePattern = /^\s*(0|[1-9][0-9]*)\s*(B|KiB|MiB|GiB|TiB)?\s*$/i;

/** An amount: msat as a whole number, or a string such as "5000", "5000 msat" or "5 sat". */
export const amountSchema = z
  .union([
    z.number().int().nonnegative(),
    z.string().regex(amountPattern, 'must be msat such as 5000, "5000 msat" or "5 sat"'),
  ])
  .describe('An amount in millisatoshi: a whole number, or "5000 msat" / "5 sat".');

/** A byte count: a whole number, or a string such as "16 MiB". */
export const sizeSchema = z
  .union([
    z.number().int().nonnegative(),
    z.string().regex(sizePattern, 'must be bytes such as 16777216 or "16 MiB"'),
  ])
  .describe('A size in bytes: a whole number, or "512 KiB" / "16 MiB" / "1 GiB".');

export const priceSchema = z
  .union([z.number().int().nonnegative(), z.string().min(1)])
  .superRefine((value, context) => {
    try {
      parsePrice(value, "price");
    } catch (error) {
      context.addIssue({
        code: "custom",
        message: (error instanceof Error ? error.message : String(error)).replace(/^price /, ""),
      });
    }
  })
  .describe('A price: "100 sat/GiB", "2.5 sat/MiB", "1500 msat/GiB", msat per GiB as a number, or "free".');

const portSchema = z.number().int().min(0).max(65535);
const hostSchema = z.string().min(1).describe("An IP address or host name to bind to.");
const intervalSchema = z.number().int().min(100).max(3_600_000).describe("Milliseconds.");
const infohashPattern = /^[0-9a-fA-F]{40}$/;

const clientSchema = z
  .string()
  .superRefine(connectionCheck((value) => parseClientConnection(value)))
  .describe(
    "The torrent client: transmission://user@127.0.0.1:9091 or qbittorrent://admin@127.0.0.1:8080. Put the password in PEERPAY_CLIENT_PASSWORD rather than here.",
  );

const lightningSchema = z
  .string()
  .superRefine(connectionCheck((value) => parseLightningConnection(value)))
  .describe(
    "The Lightning node: sim:// (simulated, not real money), lnd://host:10009?cert=…&macaroon=…, cln:///path/to/lightning-rpc or cln+https://host:3010 (rune in CLN_RUNE).",
  );

export const sellerSectionSchema = z
  .strictObject({
    client: clientSchema.optional().describe("A different client for the seller role (default: client)."),
    listen: z
      .strictObject({
        host: hostSchema.default("0.0.0.0"),
        port: portSchema.default(9736),
      })
      .default({ host: "0.0.0.0", port: 9736 })
      .describe("Where the negotiation endpoint listens; buyers look for it on port 9736 of your address."),
    prices: z
      .strictObject({
        default: priceSchema
          .optional()
          .describe("Price of every torrent not priced otherwise (default: free)."),
        byLabel: z.record(z.string().min(1), priceSchema).default({}),
        byInfohash: z
          .record(z.string().regex(infohashPattern, "must be a 40-hex-digit infohash"), priceSchema)
          .default({}),
        tagPrefix: z.string().min(1).default("peerpay:"),
      })
      .default({ byLabel: {}, byInfohash: {}, tagPrefix: "peerpay:" }),
    policy: z
      .strictObject({
        freeAllowance: sizeSchema.default("16 MiB").describe("Bytes a peer gets free before it is charged."),
        creditLine: amountSchema.default(5000).describe("Debt a new peer may run up before it is blocked."),
        creditGrowthBasisPoints: z.number().int().min(0).max(1_000_000).default(1000),
        maxCreditLine: amountSchema.default(1_000_000),
        resumeBalance: amountSchema.default(0).describe("A blocked peer is let in again at this balance."),
        prepay: amountSchema.default(10_000).describe("Credit a quote offers on top of the debt."),
        minimumPayment: amountSchema.default(1000),
      })
      .default({
        freeAllowance: "16 MiB",
        creditLine: 5000,
        creditGrowthBasisPoints: 1000,
        maxCreditLine: 1_000_000,
        resumeBalance: 0,
        prepay: 10_000,
        minimumPayment: 1000,
      }),
    pollIntervalMs: intervalSchema.default(1000),
    kick: z
      .strictObject({ enabled: z.boolean().default(false), minIntervalMs: intervalSchema.default(30_000) })
      .default({ enabled: false, minIntervalMs: 30_000 })
      .describe("Transmission ≤ 4.0 only: restart a torrent that still has a blocked peer connected."),
    restoreOnClose: z
      .boolean()
      .default(true)
      .describe(
        "On shutdown, give the client back what peerpay changed (Transmission's blocklist settings; qBittorrent's bans made by peerpay are lifted).",
      ),
    blocklistServer: z
      .strictObject({
        host: hostSchema.optional(),
        port: portSchema.optional(),
        publicHost: hostSchema.optional(),
      })
      .optional()
      .describe("Transmission only: where the merged blocklist is served to the daemon (default 127.0.0.1)."),
  })
  .describe("The seller role (peerpay seed / run).");

export const buyerSectionSchema = z
  .strictObject({
    client: clientSchema.optional().describe("A different client for the buyer role (default: client)."),
    maxPrice: priceSchema.default("1000 sat/GiB").describe("The highest price paid."),
    prepay: amountSchema.default(50_000).describe("Credit kept with each seller ahead of the bytes."),
    budgets: z
      .strictObject({
        total: amountSchema.describe("Everything ever spent, fees included."),
        perDay: amountSchema.optional(),
        perSeller: amountSchema.optional(),
        perTorrent: amountSchema.optional(),
      })
      .default({ total: 1_000_000 }),
    sourceAddress: z
      .string()
      .min(1)
      .optional()
      .describe("The local address the buyer talks to sellers from (the address its client uses)."),
    listenPorts: z
      .array(portSchema.min(1))
      .default([])
      .describe("Your client's BitTorrent listening ports, so a seller can re-dial you after you pay."),
    sellerPort: portSchema
      .min(1)
      .default(9736)
      .describe("The port sellers' negotiation endpoints listen on."),
    pollIntervalMs: intervalSchema.default(1000),
    balanceIntervalMs: intervalSchema.default(2000),
  })
  .describe("The buyer role (peerpay leech / run).");

export const statusSectionSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    host: hostSchema.default("127.0.0.1").describe("Loopback by default; anywhere else needs a token."),
    port: portSchema.default(9737),
  })
  .describe("The status page, /api/status and /metrics. The token comes from PEERPAY_STATUS_TOKEN.");

export const configurationSchema = z
  .strictObject({
    $schema: z.string().optional(),
    client: clientSchema.optional(),
    lightning: lightningSchema.default("sim://"),
    ledger: z
      .strictObject({ path: z.string().min(1).optional() })
      .default({})
      .describe("The SQLite ledger; default ~/.local/share/peerpay/ledger.sqlite."),
    stateDirectory: z
      .string()
      .min(1)
      .optional()
      .describe("Where bridges keep their state files; default ~/.local/share/peerpay."),
    log: z
      .strictObject({ level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info") })
      .default({ level: "info" }),
    seller: sellerSectionSchema.optional(),
    buyer: buyerSectionSchema.optional(),
    status: statusSectionSchema.default({ enabled: true, host: "127.0.0.1", port: 9737 }),
  })
  .describe("peerpay configuration (JSON or YAML). Secrets come from the environment.");

export type ConfigurationInput = z.input<typeof configurationSchema>;
export type ParsedConfiguration = z.output<typeof configurationSchema>;

function connectionCheck(parse: (value: string) => unknown) {
  return (value: string, context: z.RefinementCtx) => {
    try {
      parse(value);
    } catch (error) {
      // The parsers' messages start with their own key name; the path already names it.
      const message = error instanceof Error ? error.message.replace(/^[a-z]+: /, "") : String(error);
      context.addIssue({ code: "custom", message });
    }
  };
}

/** The JSON Schema published as config.schema.json. */
export function configurationJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configurationSchema, { io: "input", unrepresentable: "any" });
  return {
    ...schema,
    $id: "https://github.com/peerpay/peerpay/packages/cli/config.schema.json",
    title: "peerpay configuration",
  };
}
