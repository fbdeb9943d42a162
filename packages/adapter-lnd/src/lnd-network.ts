/** Which Bitcoin network an LND node or a BOLT11 invoice belongs to. */
import type { LightningNetwork } from "@peerpay/core";

/** Genesis block hashes (lightning's bolt02/ids.json; `getWalletInfo().chains` has them byte-reversed). */
const genesisHashes: Readonly<Record<string, LightningNetwork>> = {
  "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f": "mainnet",
  "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206": "regtest",
  "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6": "signet",
  "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943": "testnet",
  "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043": "testnet",
};

const networkByChainHash = new Map<string, LightningNetwork>(
  Object.entries(genesisHashes).flatMap(([hash, network]) => [
    [hash, network],
    [Buffer.from(hash, "hex").reverse().toString("hex"), network],
  ]),
);

export function networkFromChains(chains: readonly string[]): LightningNetwork | undefined {
  for (const chain of chains) {
    const network = networkByChainHash.get(chain.toLowerCase());
    if (network) return network;
  }
  return undefined;
}

/**
 * The network of a BOLT11 invoice from its human-readable prefix: `lnbc` mainnet, `lntb` testnet,
 * `lntbs` signet, `lnbcrt` regtest, `lnsb` simnet. Undefined when it is not a BOLT11 string.
 */
export function networkOfInvoice(paymentRequest: string): LightningNetwork | undefined {
  const lower = paymentRequest
    .trim()
    .toLowerCase()
    .replace(/^lightning:/, "");
  const separator = lower.lastIndexOf("1");
  if (!lower.startsWith("ln") || separator < 4) return undefined;
  const prefix = lower.slice(2, separator);
  if (prefix.startsWith("bcrt")) return "regtest";
  if (prefix.startsWith("bc")) return "mainnet";
  if (prefix.startsWith("tbs")) return "signet";
  if (prefix.startsWith("tb")) return "testnet";
  if (prefix.startsWith("sb")) return "simnet";
  return undefined;
}
