/**
 * Options of the nftables enforcer, checked with zod (they come from user configuration).
 */
import { PeerpayError } from "@peerpay/core";
import { z } from "zod";

export interface ThrottledPeerInput {
  readonly address: string;
  readonly bytesPerSecond: number;
  readonly burstBytes?: number;
}

/** What the enforcer should enforce right after (re)building its table: rebuilt from the ledger. */
export interface EnforcerStateInput {
  readonly blocked?: readonly string[];
  readonly throttled?: readonly ThrottledPeerInput[];
}

export interface NftablesEnforcerOptions {
  /** The client's BitTorrent listen port(s), TCP and UDP. At least one port or one local address. */
  readonly ports?: readonly number[];
  /**
   * Addresses the client has to itself (e.g. its `bind-address-ipv4` / `Session\InterfaceAddress`).
   * Matching them also catches the client's outgoing TCP connections, which leave from ephemeral ports.
   */
  readonly localAddresses?: readonly string[];
  /** Devices whose egress and ingress carry the client's traffic. Default: every device except `lo`. */
  readonly devices?: readonly string[];
  /** Name of the enforcer's own `netdev` table. Default "peerpay". */
  readonly table?: string;
  /** Run every `nft` (and the device lookup) inside this network namespace. */
  readonly netns?: string;
  /** How to run nft, default `["nft"]`; e.g. `["sudo", "-n", "nft"]`. */
  readonly command?: readonly string[];
  /** Hook priority of the egress and ingress chains. Default 0. */
  readonly priority?: number;
  /** Capacity of each per-peer counter set (peers beyond it are not counted). Default 65535. */
  readonly counterSetSize?: number;
  /** Per nft call. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** State applied by `start()` when it is called without one. */
  readonly initialState?: EnforcerStateInput;
}

const port = z.number().int().min(1).max(65_535);
const rate = z
  .number()
  .int()
  .min(1)
  .max(2 ** 40);

export const throttledPeerSchema = z.object({
  address: z.string().min(1),
  bytesPerSecond: rate,
  burstBytes: rate.optional(),
});

export const stateSchema = z.object({
  blocked: z.array(z.string().min(1)).optional(),
  throttled: z.array(throttledPeerSchema).optional(),
});

const optionsSchema = z
  .object({
    ports: z.array(port).optional(),
    localAddresses: z.array(z.string().min(1)).optional(),
    devices: z
      .array(z.string().regex(/^[A-Za-z0-9_.:@-]{1,15}$/, "a network device name"))
      .min(1)
      .optional(),
    table: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, "letters, digits and _ (starting with a letter)")
      .optional(),
    netns: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .optional(),
    command: z.array(z.string().min(1)).min(1).optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    counterSetSize: z.number().int().min(1).max(1_000_000).optional(),
    timeoutMs: z.number().int().min(100).max(600_000).optional(),
    initialState: stateSchema.optional(),
  })
  .refine((value) => (value.ports?.length ?? 0) + (value.localAddresses?.length ?? 0) > 0, {
    message: "give the client's BitTorrent port(s) in `ports`, or its own addresses in `localAddresses`",
  });

export function checkOptions(options: NftablesEnforcerOptions): NftablesEnforcerOptions {
  const result = optionsSchema.safeParse(options);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    throw new PeerpayError(
      "INVALID_CONFIG",
      `nftables enforcer: ${where}${issue?.message ?? "invalid options"}`,
      {
        details: { field: issue?.path.join(".") },
      },
    );
  }
  return options;
}

export function checkState(state: unknown): EnforcerStateInput {
  const result = stateSchema.safeParse(state);
  if (!result.success) {
    throw new PeerpayError(
      "INVALID_INPUT",
      `nftables enforcer: invalid state: ${result.error.issues[0]?.message}`,
    );
  }
  return result.data;
}
