/**
 * Real BOLT11 for the simulated network: node keys are secp256k1 key pairs, invoices are encoded
 * and signed with the `bolt11` package, and decoding recovers the signer's key and checks it against
 * the invoice's payee tag. The simulator uses the simnet bech32 prefix `sb` (`lnsb…`), the prefix
 * btcd's simnet uses, so a simulated invoice can never be mistaken for a mainnet, testnet, signet or
 * regtest one.
 */
import { createECDH, createHash, randomBytes } from "node:crypto";
import type { DecodedInvoice, LightningNetwork } from "@peerpay/core";
import bolt11 from "bolt11";

interface Bolt11Network {
  bech32: string;
  pubKeyHash: number;
  scriptHash: number;
  validWitnessVersions: number[];
}

/** BOLT11 human-readable prefixes (after "ln") of every network peerpay knows. */
const networks: ReadonlyArray<{ name: LightningNetwork; bolt11: Bolt11Network }> = [
  // Order matters: longer prefixes first ("bcrt" before "bc", "tbs" before "tb").
  {
    name: "regtest",
    bolt11: { bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
  },
  {
    name: "mainnet",
    bolt11: { bech32: "bc", pubKeyHash: 0x00, scriptHash: 0x05, validWitnessVersions: [0, 1] },
  },
  {
    name: "signet",
    bolt11: { bech32: "tbs", pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
  },
  {
    name: "testnet",
    bolt11: { bech32: "tb", pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
  },
  {
    name: "simnet",
    bolt11: { bech32: "sb", pubKeyHash: 0x3f, scriptHash: 0x7b, validWitnessVersions: [0, 1] },
  },
];

/** The invoice prefix of the simulated network. */
export const SIMNET_INVOICE_PREFIX = "lnsb";

const simnet = networks.find((entry) => entry.name === "simnet")!.bolt11;

export interface SimNodeKeys {
  /** Hex, 32 bytes. Simulated: it guards no real money, but is still never logged. */
  readonly privateKey: string;
  /** Hex, 33-byte compressed public key: the node id. */
  readonly publicKey: string;
}

/** A fresh secp256k1 key pair, or the one for a given private key. */
export function createSimNodeKeys(privateKey?: string): SimNodeKeys {
  const ecdh = createECDH("secp256k1");
  if (privateKey === undefined) ecdh.generateKeys();
  else ecdh.setPrivateKey(Buffer.from(privateKey, "hex"));
  return {
    privateKey: ecdh.getPrivateKey().toString("hex").padStart(64, "0"),
    publicKey: ecdh.getPublicKey(undefined, "compressed").toString("hex"),
  };
}

export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256")
    .update(typeof data === "string" ? Buffer.from(data, "hex") : data)
    .digest("hex");
}

export interface EncodeSimInvoiceInput {
  readonly keys: SimNodeKeys;
  readonly paymentHash: string;
  readonly amountMsat: bigint;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly expirySeconds: number;
  readonly description?: string;
  readonly descriptionHash?: string;
}

/** Encodes and signs a simnet BOLT11 invoice. */
export function encodeSimInvoice(input: EncodeSimInvoiceInput): string {
  const tags: Array<{ tagName: string; data: unknown }> = [
    { tagName: "payment_hash", data: input.paymentHash },
    { tagName: "payment_secret", data: randomBytes(32).toString("hex") },
    input.descriptionHash !== undefined
      ? { tagName: "purpose_commit_hash", data: input.descriptionHash }
      : { tagName: "description", data: input.description ?? "" },
    { tagName: "expire_time", data: input.expirySeconds },
    { tagName: "min_final_cltv_expiry", data: 18 },
    { tagName: "payee_node_key", data: input.keys.publicKey },
    {
      tagName: "feature_bits",
      data: {
        word_length: 4,
        payment_secret: { required: true, supported: true },
        var_onion_optin: { required: true, supported: true },
      },
    },
  ];
  const unsigned = bolt11.encode(
    {
      network: simnet,
      millisatoshis: input.amountMsat > 0n ? input.amountMsat.toString() : null,
      timestamp: input.timestamp,
      tags: tags as never,
    },
    false,
  );
  const signed = bolt11.sign(unsigned, input.keys.privateKey);
  if (!signed.paymentRequest) throw new Error("bolt11 did not produce a payment request");
  return signed.paymentRequest;
}

/** Why a payment request could not be decoded; the message never echoes the whole request. */
export class InvoiceDecodeError extends Error {
  override readonly name = "InvoiceDecodeError";
}

/**
 * Decodes any BOLT11 invoice peerpay knows the network of, verifying its signature: the key
 * recovered from the signature must equal the payee tag when there is one (the simulator always
 * writes one). Throws InvoiceDecodeError for anything else.
 */
export function decodeBolt11(paymentRequest: string): DecodedInvoice {
  if (typeof paymentRequest !== "string" || paymentRequest.length > 7089) {
    throw new InvoiceDecodeError("not a BOLT11 payment request");
  }
  const text = paymentRequest
    .trim()
    .toLowerCase()
    .replace(/^lightning:/, "");
  const network = networks.find((entry) => text.startsWith(`ln${entry.bolt11.bech32}`));
  if (!network) throw new InvoiceDecodeError("unknown BOLT11 network prefix");
  let decoded: ReturnType<typeof bolt11.decode>;
  try {
    decoded = bolt11.decode(text, network.bolt11);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split(" for ")[0] : "invalid";
    throw new InvoiceDecodeError(`not a valid BOLT11 payment request (${reason})`);
  }
  const tags = decoded.tagsObject;
  if (!tags.payment_hash || !/^[0-9a-f]{64}$/.test(tags.payment_hash)) {
    throw new InvoiceDecodeError("the payment request has no payment hash");
  }
  if (!decoded.payeeNodeKey || decoded.timestamp === undefined) {
    throw new InvoiceDecodeError("the payment request has no valid signature");
  }
  const createdAt = new Date(decoded.timestamp * 1000);
  const expirySeconds = tags.expire_time ?? 3600;
  return {
    paymentHash: tags.payment_hash,
    paymentRequest: text,
    network: network.name,
    payee: decoded.payeeNodeKey,
    ...(decoded.millisatoshis ? { amountMsat: BigInt(decoded.millisatoshis) } : {}),
    createdAt,
    expiresAt: new Date(createdAt.getTime() + expirySeconds * 1000),
    ...(tags.description !== undefined ? { description: tags.description } : {}),
    ...(tags.purpose_commit_hash !== undefined ? { descriptionHash: tags.purpose_commit_hash } : {}),
  };
}
