/**
 * Network names: lightningd's `getinfo.network`, the BOLT11 `currency` (BIP173 prefix) that
 * `decode` reports, and peerpay's LightningNetwork. Also reads an invoice's creation time straight
 * from the BOLT11 string, since listinvoices does not report it.
 */
import type { LightningNetwork } from "@peerpay/core";

/** lightningd network names (`--network`) → peerpay networks. "simnet" only comes from the double. */
const networkByClnName: Readonly<Record<string, LightningNetwork>> = {
  bitcoin: "mainnet",
  testnet: "testnet",
  testnet4: "testnet",
  signet: "signet",
  regtest: "regtest",
  simnet: "simnet",
};

export function networkFromClnName(name: string): LightningNetwork | undefined {
  return networkByClnName[name];
}

/** BOLT11 currency prefixes → peerpay networks (longest prefixes are distinct keys). */
const networkByCurrency: Readonly<Record<string, LightningNetwork>> = {
  bc: "mainnet",
  tb: "testnet",
  tbs: "signet",
  bcrt: "regtest",
  sb: "simnet",
};

export function networkFromCurrency(currency: string): LightningNetwork | undefined {
  return networkByCurrency[currency];
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/**
 * The BOLT11 timestamp (unix seconds): the first 35 bits of the data part, i.e. the 7 bech32
 * characters after the last "1" separator. Undefined for anything that is not bech32.
 */
export function bolt11Timestamp(invoice: string): number | undefined {
  const text = invoice.trim().toLowerCase();
  const separator = text.lastIndexOf("1");
  if (separator < 3 || separator + 8 > text.length) return undefined;
  let value = 0;
  for (const character of text.slice(separator + 1, separator + 8)) {
    const digit = bech32Charset.indexOf(character);
    if (digit < 0) return undefined;
    value = value * 32 + digit;
  }
  return value;
}
