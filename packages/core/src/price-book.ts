/**
 * The seller's price book: what a byte served on a torrent costs. Prices come from, in order:
 *
 * 1. a price configured for the torrent's infohash;
 * 2. a price tag among the torrent's own labels / category / tags in the client, such as
 *    `peerpay:100sat/GiB` or `peerpay:free` (so a seeder can price from the client's own UI);
 * 3. a configured label rule (label "paid" → "100 sat/GiB");
 * 4. the default price (free unless configured: paying is opt-in per torrent).
 *
 * Within one level, when several labels match with different prices, the highest price wins, so
 * the result never depends on the order the client lists labels in. A price of 0 ("free") makes
 * the torrent free: its bytes cost nothing and are never enforced.
 */
import { PeerpayError } from "./errors.js";
import { formatPrice, type MsatPerGiB, parsePrice } from "./money.js";
import type { TorrentInfo } from "./torrent-bridge.js";

/** A price as a programmer or a config file gives it: msat/GiB as bigint, or "100 sat/GiB", "free", "0". */
export type PriceInput = bigint | number | string;

export interface PriceBookConfiguration {
  /** Price of torrents nothing else prices. Default: free. */
  readonly defaultPrice?: PriceInput;
  /** Prices by infohash (40 or 64 hex characters, any case). */
  readonly torrents?: Readonly<Record<string, PriceInput>>;
  /** Prices by a label / category / tag the user set in the client (matched case-insensitively). */
  readonly labels?: Readonly<Record<string, PriceInput>>;
  /** Prefix of a label that carries its own price, e.g. `peerpay:100sat/GiB`. Default "peerpay:". */
  readonly tagPrefix?: string;
}

export type PriceSource = "infohash" | "tag" | "label" | "default";

export interface PriceResolution {
  readonly priceMsatPerGiB: MsatPerGiB;
  /** True for a price of 0: costs nothing, never enforced. */
  readonly free: boolean;
  readonly source: PriceSource;
  /** The label or tag that set the price, when `source` is "tag" or "label". */
  readonly label?: string;
  /** Labels that start with the tag prefix but do not hold a valid price (for a warning). */
  readonly invalidTags: readonly string[];
}

export interface PriceListing {
  readonly defaultPriceMsatPerGiB: MsatPerGiB;
  readonly torrents: readonly { readonly infohash: string; readonly priceMsatPerGiB: MsatPerGiB }[];
  readonly labels: readonly { readonly label: string; readonly priceMsatPerGiB: MsatPerGiB }[];
  readonly tagPrefix: string;
}

export interface PriceBook {
  /** Prices a torrent from its infohash and the labels the client reports for it. */
  resolve(torrent: Pick<TorrentInfo, "infohash"> & { readonly labels?: readonly string[] }): PriceResolution;
  /** The configured prices, e.g. for the negotiation endpoint's price list. */
  describe(): PriceListing;
}

const infohashPattern = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function createPriceBook(configuration: PriceBookConfiguration = {}): PriceBook {
  const defaultPrice = configPrice(configuration.defaultPrice ?? 0n, "defaultPrice");
  const tagPrefix = (configuration.tagPrefix ?? "peerpay:").toLowerCase();
  if (tagPrefix.trim() === "") throw invalidConfig("tagPrefix", "tagPrefix must not be empty");

  const torrents = new Map<string, MsatPerGiB>();
  for (const [key, value] of Object.entries(configuration.torrents ?? {})) {
    const infohash = key.trim().toLowerCase();
    if (!infohashPattern.test(infohash)) {
      throw invalidConfig("torrents", `torrents: "${key.slice(0, 70)}" is not a hex infohash`);
    }
    torrents.set(infohash, configPrice(value, `torrents.${infohash}`));
  }

  const labels = new Map<string, MsatPerGiB>();
  for (const [key, value] of Object.entries(configuration.labels ?? {})) {
    const label = normalizeLabel(key);
    if (label === "") throw invalidConfig("labels", "labels: a label name must not be empty");
    const price = configPrice(value, `labels.${label}`);
    const previous = labels.get(label);
    labels.set(label, previous === undefined || price > previous ? price : previous);
  }

  function resolve(
    torrent: Pick<TorrentInfo, "infohash"> & { readonly labels?: readonly string[] },
  ): PriceResolution {
    const invalidTags: string[] = [];
    const byInfohash = torrents.get(torrent.infohash.toLowerCase());
    let tag: { label: string; price: MsatPerGiB } | undefined;
    let rule: { label: string; price: MsatPerGiB } | undefined;
    for (const raw of torrent.labels ?? []) {
      const label = normalizeLabel(raw);
      if (label.startsWith(tagPrefix)) {
        const price = tagPrice(label.slice(tagPrefix.length));
        if (price === undefined) invalidTags.push(raw);
        else if (tag === undefined || price > tag.price) tag = { label: raw, price };
        continue;
      }
      const price = labels.get(label);
      if (price !== undefined && (rule === undefined || price > rule.price)) rule = { label: raw, price };
    }
    if (byInfohash !== undefined) return result(byInfohash, "infohash", undefined, invalidTags);
    if (tag) return result(tag.price, "tag", tag.label, invalidTags);
    if (rule) return result(rule.price, "label", rule.label, invalidTags);
    return result(defaultPrice, "default", undefined, invalidTags);
  }

  return {
    resolve,
    describe: () => ({
      defaultPriceMsatPerGiB: defaultPrice,
      torrents: [...torrents].map(([infohash, priceMsatPerGiB]) => ({ infohash, priceMsatPerGiB })),
      labels: [...labels].map(([label, priceMsatPerGiB]) => ({ label, priceMsatPerGiB })),
      tagPrefix,
    }),
  };
}

/** The tag that carries `price`, e.g. `peerpay:100sat/GiB`; what a seeder types into the client. */
export function formatPriceTag(price: MsatPerGiB, tagPrefix = "peerpay:"): string {
  return `${tagPrefix}${formatPrice(price).replace(/\s+/g, "")}`;
}

function result(
  priceMsatPerGiB: MsatPerGiB,
  source: PriceSource,
  label: string | undefined,
  invalidTags: readonly string[],
): PriceResolution {
  return {
    priceMsatPerGiB,
    free: priceMsatPerGiB === 0n,
    source,
    ...(label === undefined ? {} : { label }),
    invalidTags,
  };
}

function tagPrice(text: string): MsatPerGiB | undefined {
  try {
    return parsePrice(text.trim());
  } catch {
    return undefined;
  }
}

function normalizeLabel(label: string): string {
  return label.trim().toLowerCase();
}

function configPrice(value: PriceInput, field: string): MsatPerGiB {
  try {
    return parsePrice(value, field);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PeerpayError("INVALID_CONFIG", `price book: ${message}`, { cause: error, details: { field } });
  }
}

function invalidConfig(field: string, message: string): PeerpayError {
  return new PeerpayError("INVALID_CONFIG", `price book: ${message}`, { details: { field } });
}
