/**
 * The seller's ledger policy: how much a peer may take before it pays, and when it is blocked and
 * unblocked. Pure functions over a `PeerAccount`; the seller ledger persists what they decide.
 *
 * - **Free allowance**: the first `freeAllowanceBytes` a peer takes on priced torrents cost nothing
 *   (once per peer identity, not per torrent or per day).
 * - **Credit line** (the disconnect threshold): how far into debt a peer may go before it is
 *   blocked. It grows as the peer keeps paying, like Swarm Bee's `thresholdGrowAt` and Filecoin's
 *   growing payment interval, but as one integer formula:
 *   `creditLine = min(maxCreditLine, baseCreditLine + floor(credit × creditGrowthBasisPoints / 10000))`
 *   where `credit` is everything the peer has paid (settled). With the defaults a peer that has paid
 *   100 sat may run 10 % of that (10 sat) more into debt than a new peer.
 * - **Hysteresis**: a peer is blocked when its debt exceeds the credit line
 *   (`balance < −creditLine`), and a blocked peer is unblocked only when its balance is back at
 *   `resumeBalanceMsat` or above (default 0: the whole debt paid). The band between the two keeps a
 *   peer from flapping between blocked and allowed on every poll.
 */
import { PeerpayError } from "./errors.js";
import { accountBalance, type PeerAccount } from "./ledger-store.js";
import { MAX_MSAT, type Msat, parseMsat } from "./money.js";

export type AmountInput = bigint | number | string;

export interface LedgerPolicyConfiguration {
  /** Bytes a peer may take on priced torrents before it is charged. Default 16 MiB. */
  readonly freeAllowanceBytes?: bigint | number;
  /** Debt a peer that never paid may run up before it is blocked. Default 5000 msat (5 sat). */
  readonly baseCreditLineMsat?: AmountInput;
  /** Credit-line growth per msat paid, in 1/10000. Default 1000 (10 %). 0 turns growth off. */
  readonly creditGrowthBasisPoints?: number;
  /** Upper bound of the credit line. Default 1 000 000 msat (1000 sat). */
  readonly maxCreditLineMsat?: AmountInput;
  /** A blocked peer is unblocked once its balance is at least this. Default 0. */
  readonly resumeBalanceMsat?: AmountInput;
  /** Credit a quote offers on top of what clears the debt. Default 10 000 msat (10 sat). */
  readonly prepayMsat?: AmountInput;
  /** Smallest amount a quote offers. Default 1000 msat (1 sat). */
  readonly minimumPaymentMsat?: AmountInput;
}

export interface ResolvedLedgerPolicy {
  readonly freeAllowanceBytes: bigint;
  readonly baseCreditLineMsat: Msat;
  readonly creditGrowthBasisPoints: bigint;
  readonly maxCreditLineMsat: Msat;
  readonly resumeBalanceMsat: Msat;
  readonly prepayMsat: Msat;
  readonly minimumPaymentMsat: Msat;
}

export type LedgerDecisionCode =
  | "in-credit"
  | "within-credit-line"
  | "over-credit-line"
  | "below-resume-level"
  | "paid-up";

interface DecisionFields {
  readonly peer: string;
  readonly code: LedgerDecisionCode;
  /** A sentence for logs and the status page. */
  readonly reason: string;
  readonly balanceMsat: Msat;
  readonly debtMsat: Msat;
  readonly creditLineMsat: Msat;
  /** True when this decision differs from the peer's stored blocked state (the enforcer must act). */
  readonly changed: boolean;
}

export interface AllowDecision extends DecisionFields {
  readonly kind: "allow";
}

export interface BlockDecision extends DecisionFields {
  readonly kind: "block";
  /** What the peer must pay to be unblocked. */
  readonly amountToUnblockMsat: Msat;
}

/**
 * Reserved for pay-for-speed (per-peer rate limits through an OS-level enforcer). The policy does
 * not produce it yet; consumers should treat an unknown kind as `allow`.
 */
export interface ThrottleDecision extends DecisionFields {
  readonly kind: "throttle";
  readonly maxBytesPerSecond: number;
}

export type LedgerDecision = AllowDecision | BlockDecision | ThrottleDecision;

export type PolicyAccount = Pick<PeerAccount, "creditMsat" | "costMsat" | "freeBytesUsed" | "blocked">;

export interface LedgerPolicy {
  readonly configuration: ResolvedLedgerPolicy;
  /** Free-allowance bytes the peer has left. */
  freeBytesRemaining(account: PolicyAccount | undefined): bigint;
  creditLine(account: PolicyAccount | undefined): Msat;
  /** Allow or block, given the peer's account and its current blocked state (hysteresis). */
  decide(peer: string, account: PolicyAccount | undefined): AllowDecision | BlockDecision;
  /** What a blocked peer must pay to be unblocked; 0 for a peer that is not blocked. */
  amountToUnblock(account: PolicyAccount | undefined): Msat;
  /** The amount a quote offers: clears any debt, reaches the resume level, plus the prepay. */
  offer(account: PolicyAccount | undefined): Msat;
}

const emptyAccount: PolicyAccount = { creditMsat: 0n, costMsat: 0n, freeBytesUsed: 0n, blocked: false };

export function createLedgerPolicy(configuration: LedgerPolicyConfiguration = {}): LedgerPolicy {
  const resolved = resolveLedgerPolicy(configuration);
  const growth = resolved.creditGrowthBasisPoints;

  const creditLine = (account: PolicyAccount | undefined): Msat => {
    const paid = (account ?? emptyAccount).creditMsat;
    const grown = resolved.baseCreditLineMsat + (paid * growth) / 10_000n;
    return smallerOf(grown, resolved.maxCreditLineMsat);
  };

  const amountToUnblock = (account: PolicyAccount | undefined): Msat => {
    if (!account?.blocked) return 0n;
    const missing = resolved.resumeBalanceMsat - accountBalance(account);
    return missing > 0n ? missing : 0n;
  };

  return {
    configuration: resolved,
    creditLine,
    amountToUnblock,
    freeBytesRemaining(account) {
      const left = resolved.freeAllowanceBytes - (account ?? emptyAccount).freeBytesUsed;
      return left > 0n ? left : 0n;
    },
    decide(peer, maybeAccount) {
      const account = maybeAccount ?? emptyAccount;
      const balanceMsat = accountBalance(account);
      const debtMsat = balanceMsat < 0n ? -balanceMsat : 0n;
      const line = creditLine(account);
      const fields = { peer, balanceMsat, debtMsat, creditLineMsat: line };
      if (account.blocked) {
        if (balanceMsat >= resolved.resumeBalanceMsat) {
          return {
            ...fields,
            kind: "allow",
            code: "paid-up",
            reason: `balance ${balanceMsat} msat reached the resume level ${resolved.resumeBalanceMsat} msat`,
            changed: true,
          };
        }
        return {
          ...fields,
          kind: "block",
          code: "below-resume-level",
          reason: `balance ${balanceMsat} msat is below the resume level ${resolved.resumeBalanceMsat} msat`,
          amountToUnblockMsat: resolved.resumeBalanceMsat - balanceMsat,
          changed: false,
        };
      }
      if (debtMsat > line) {
        const toUnblock = resolved.resumeBalanceMsat - balanceMsat;
        return {
          ...fields,
          kind: "block",
          code: "over-credit-line",
          reason: `debt ${debtMsat} msat exceeds the credit line ${line} msat`,
          amountToUnblockMsat: toUnblock > 0n ? toUnblock : 0n,
          changed: true,
        };
      }
      return debtMsat === 0n
        ? { ...fields, kind: "allow", code: "in-credit", reason: "no debt", changed: false }
        : {
            ...fields,
            kind: "allow",
            code: "within-credit-line",
            reason: `debt ${debtMsat} msat is within the credit line ${line} msat`,
            changed: false,
          };
    },
    offer(account) {
      const target = resolved.resumeBalanceMsat + resolved.prepayMsat;
      const missing = target - accountBalance(account ?? emptyAccount);
      return smallerOf(largerOf(missing, resolved.minimumPaymentMsat), MAX_MSAT);
    },
  };
}

export function resolveLedgerPolicy(configuration: LedgerPolicyConfiguration): ResolvedLedgerPolicy {
  const resolved: ResolvedLedgerPolicy = {
    freeAllowanceBytes: bytesSetting(configuration.freeAllowanceBytes ?? 16n * 1024n * 1024n),
    baseCreditLineMsat: msatSetting(configuration.baseCreditLineMsat ?? 5_000n, "baseCreditLineMsat"),
    creditGrowthBasisPoints: basisPointsSetting(configuration.creditGrowthBasisPoints ?? 1000),
    maxCreditLineMsat: msatSetting(configuration.maxCreditLineMsat ?? 1_000_000n, "maxCreditLineMsat"),
    resumeBalanceMsat: msatSetting(configuration.resumeBalanceMsat ?? 0n, "resumeBalanceMsat"),
    prepayMsat: msatSetting(configuration.prepayMsat ?? 10_000n, "prepayMsat"),
    minimumPaymentMsat: msatSetting(configuration.minimumPaymentMsat ?? 1_000n, "minimumPaymentMsat"),
  };
  if (resolved.maxCreditLineMsat < resolved.baseCreditLineMsat) {
    throw invalidConfig("maxCreditLineMsat", "maxCreditLineMsat must not be below baseCreditLineMsat");
  }
  if (resolved.baseCreditLineMsat === 0n && resolved.resumeBalanceMsat === 0n) {
    throw invalidConfig(
      "resumeBalanceMsat",
      "with a zero baseCreditLineMsat, resumeBalanceMsat must be above 0, or a peer would flap between blocked and allowed",
    );
  }
  if (resolved.minimumPaymentMsat === 0n) {
    throw invalidConfig("minimumPaymentMsat", "minimumPaymentMsat must be at least 1 msat");
  }
  return resolved;
}

/** The smaller of two bigints (Math.min takes no bigint). */
export function smallerOf(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}

/** The larger of two bigints. */
export function largerOf(a: bigint, b: bigint): bigint {
  if (a > b) return a;
  return b;
}

function msatSetting(value: AmountInput, field: string): Msat {
  try {
    return parseMsat(value, field);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PeerpayError("INVALID_CONFIG", `ledger policy: ${message}`, {
      cause: error,
      details: { field },
    });
  }
}

function bytesSetting(value: bigint | number): bigint {
  const bytes = typeof value === "bigint" ? value : Number.isSafeInteger(value) ? BigInt(value) : -1n;
  if (bytes < 0n) {
    throw invalidConfig("freeAllowanceBytes", "freeAllowanceBytes must be a non-negative whole number");
  }
  return bytes;
}

function basisPointsSetting(value: number): bigint {
  if (!Number.isSafeInteger(value) || value < 0 || value > 1_000_000) {
    throw invalidConfig(
      "creditGrowthBasisPoints",
      "creditGrowthBasisPoints must be a whole number from 0 to 1000000 (1/10000 per msat paid)",
    );
  }
  return BigInt(value);
}

function invalidConfig(field: string, message: string): PeerpayError {
  return new PeerpayError("INVALID_CONFIG", `ledger policy: ${message}`, { details: { field } });
}
