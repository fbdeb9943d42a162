/**
 * Turns a validated configuration into what the daemon uses: parsed connection strings (secrets
 * from the environment), bigint msat, byte counts, absolute paths, the status token, and the
 * checks that need more than one key (a role needs a client; a non-loopback status page needs a token).
 */
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import {
  type BuyerPolicy,
  type LedgerPolicyConfiguration,
  PeerpayError,
  type PriceBookConfiguration,
  parsePrice,
} from "@peerpay/core";
import { buyerSectionSchema, type ParsedConfiguration, sellerSectionSchema } from "./config-schema.js";
import {
  type ClientConnection,
  type LightningConnection,
  parseClientConnection,
  parseLightningConnection,
  redactConnection,
} from "./connection-string.js";

export type DaemonRole = "seller" | "buyer";

export interface SellerConfiguration {
  readonly client: ClientConnection;
  readonly listen: { readonly host: string; readonly port: number };
  readonly prices: PriceBookConfiguration;
  readonly policy: LedgerPolicyConfiguration;
  readonly pollIntervalMs: number;
  readonly kick: { readonly enabled: boolean; readonly minIntervalMs: number };
  readonly restoreOnClose: boolean;
  readonly blocklistServer?: { readonly host?: string; readonly port?: number; readonly publicHost?: string };
}

export interface BuyerConfiguration {
  readonly client: ClientConnection;
  readonly policy: BuyerPolicy;
  readonly sourceAddress?: string;
  readonly listenPorts: readonly number[];
  readonly sellerPort: number;
  readonly pollIntervalMs: number;
  readonly balanceIntervalMs: number;
}

export interface Configuration {
  readonly file?: string;
  readonly lightning: LightningConnection;
  /** The lightning connection string with secrets masked, for logs and the status page. */
  readonly lightningDisplay: string;
  readonly ledgerPath: string;
  readonly stateDirectory: string;
  readonly logLevel: string;
  readonly seller?: SellerConfiguration;
  readonly buyer?: BuyerConfiguration;
  readonly status: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
    readonly token?: string;
  };
}

export function resolveConfiguration(
  parsed: ParsedConfiguration,
  context: { roles: readonly DaemonRole[]; environment: NodeJS.ProcessEnv; file?: string },
): Configuration {
  const { environment, roles } = context;
  const dataDirectory = join(
    environment.XDG_DATA_HOME || join(homeOf(environment), ".local", "share"),
    "peerpay",
  );
  const stateDirectory = parsed.stateDirectory
    ? expandHome(parsed.stateDirectory, environment)
    : dataDirectory;
  const clientFor = (key: string, value: string | undefined): ClientConnection => {
    const text = value ?? parsed.client;
    if (!text) {
      throw invalid(
        `client: is required for the ${key.split(".")[0]} role (a connection string such as transmission://user@127.0.0.1:9091, or ${key})`,
      );
    }
    return parseClientConnection(text, value ? key : "client", environment);
  };

  let seller: SellerConfiguration | undefined;
  if (roles.includes("seller")) {
    const section = parsed.seller ?? sellerSectionSchema.parse({});
    const policy = section.policy;
    seller = {
      client: clientFor("seller.client", section.client),
      listen: section.listen,
      prices: {
        ...(section.prices.default !== undefined ? { defaultPrice: parsePrice(section.prices.default) } : {}),
        labels: mapValues(section.prices.byLabel, (price) => parsePrice(price)),
        torrents: mapValues(section.prices.byInfohash, (price) => parsePrice(price)),
        tagPrefix: section.prices.tagPrefix,
      },
      policy: {
        freeAllowanceBytes: toBytes(policy.freeAllowance),
        baseCreditLineMsat: toMsat(policy.creditLine),
        creditGrowthBasisPoints: policy.creditGrowthBasisPoints,
        maxCreditLineMsat: toMsat(policy.maxCreditLine),
        resumeBalanceMsat: toMsat(policy.resumeBalance),
        prepayMsat: toMsat(policy.prepay),
        minimumPaymentMsat: toMsat(policy.minimumPayment),
      },
      pollIntervalMs: section.pollIntervalMs,
      kick: section.kick,
      restoreOnClose: section.restoreOnClose,
      ...(section.blocklistServer ? { blocklistServer: section.blocklistServer } : {}),
    };
  }

  let buyer: BuyerConfiguration | undefined;
  if (roles.includes("buyer")) {
    const section = parsed.buyer ?? buyerSectionSchema.parse({});
    const budgets = section.budgets;
    buyer = {
      client: clientFor("buyer.client", section.client),
      policy: {
        maxPriceMsatPerGiB: parsePrice(section.maxPrice),
        prepayMsat: toMsat(section.prepay),
        totalBudgetMsat: toMsat(budgets.total),
        ...(budgets.perDay !== undefined ? { dailyBudgetMsat: toMsat(budgets.perDay) } : {}),
        ...(budgets.perSeller !== undefined ? { perSellerBudgetMsat: toMsat(budgets.perSeller) } : {}),
        ...(budgets.perTorrent !== undefined ? { perTorrentBudgetMsat: toMsat(budgets.perTorrent) } : {}),
      },
      ...(section.sourceAddress ? { sourceAddress: section.sourceAddress } : {}),
      listenPorts: section.listenPorts,
      sellerPort: section.sellerPort,
      pollIntervalMs: section.pollIntervalMs,
      balanceIntervalMs: section.balanceIntervalMs,
    };
  }

  const token = environment.PEERPAY_STATUS_TOKEN || undefined;
  if (parsed.status.enabled && !isLoopback(parsed.status.host) && !token) {
    throw invalid(
      `status.host: ${parsed.status.host} is not a loopback address, so the status page needs a token: set PEERPAY_STATUS_TOKEN`,
    );
  }
  if (token !== undefined && token.length < 16) {
    throw invalid("PEERPAY_STATUS_TOKEN: must be at least 16 characters");
  }

  const lightning = parseLightningConnection(parsed.lightning, "lightning", environment);
  if (roles.length > 0 && lightning.kind === "lnd" && !lightning.macaroon && !environment.LND_MACAROON) {
    throw invalid("lightning: lnd:// needs a macaroon: add ?macaroon=/path/to/file or set LND_MACAROON_PATH");
  }
  if (roles.length > 0 && lightning.kind === "cln-rest" && !lightning.rune) {
    throw invalid("lightning: cln+https:// needs a rune: set CLN_RUNE");
  }
  return {
    ...(context.file ? { file: context.file } : {}),
    lightning,
    lightningDisplay: redactConnection(parsed.lightning),
    ledgerPath: parsed.ledger.path
      ? expandHome(parsed.ledger.path, environment)
      : join(dataDirectory, "ledger.sqlite"),
    stateDirectory,
    logLevel: parsed.log.level,
    ...(seller ? { seller } : {}),
    ...(buyer ? { buyer } : {}),
    status: { ...parsed.status, ...(token ? { token } : {}) },
  };
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const sizeUnits: Record<string, bigint> = {
  b: 1n,
  kib: 1024n,
  mib: 1024n ** 2n,
  gib: 1024n ** 3n,
  tib: 1024n ** 4n,
};

function toBytes(value: number | string): bigint {
  if (typeof value === "number") return BigInt(value);
  const [, digits = "0", unit = "b"] = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(value) ?? [];
  return BigInt(digits) * (sizeUnits[unit.toLowerCase() || "b"] ?? 1n);
}

function toMsat(value: number | string): bigint {
  if (typeof value === "number") return BigInt(value);
  const [, digits = "0", unit = "msat"] = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(value) ?? [];
  return BigInt(digits) * (unit.toLowerCase() === "sat" ? 1000n : 1n);
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}

function invalid(message: string): PeerpayError {
  return new PeerpayError("INVALID_CONFIG", message);
}

export function homeOf(environment: NodeJS.ProcessEnv): string {
  return environment.HOME || homedir();
}

export function expandHome(path: string, environment: NodeJS.ProcessEnv): string {
  if (path === "~" || path.startsWith("~/")) return join(homeOf(environment), path.slice(1));
  return isAbsolute(path) ? path : resolve(path);
}

/** Every secret value in a configuration, for the logger's last-line scrub. */
export function configurationSecrets(configuration: Configuration): string[] {
  const secrets: string[] = [];
  for (const section of [configuration.seller, configuration.buyer]) {
    if (section?.client.password) secrets.push(section.client.password);
  }
  const lightning = configuration.lightning;
  if (lightning.kind === "cln-rest" && lightning.rune) secrets.push(lightning.rune);
  if (lightning.kind === "lnd" && lightning.macaroon && !lightning.macaroon.includes("/")) {
    secrets.push(lightning.macaroon);
  }
  if (configuration.status.token) secrets.push(configuration.status.token);
  return secrets;
}
