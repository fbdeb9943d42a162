/**
 * Pay for speed: turns the ledger policy's allow/block decision into allow / throttle / block for
 * an enforcer that can rate-limit single peers (such as @peerpay/enforcer-nftables). Pure and
 * opt-in per price rule: without a lane configuration the decision is returned unchanged.
 *
 * The ladder, for one peer:
 * - a peer with credit (balance above 0) or one that just paid up: `allow`, full speed;
 * - a peer with a zero balance (new, on its free allowance): `allow`, or the slow lane when
 *   `throttleZeroBalance` is set;
 * - a peer in debt but within its credit line: `throttle` at `bytesPerSecond` (the slow lane);
 * - a peer over its credit line (or still below the resume level): `block`, as before.
 *
 * `changed` keeps its meaning from the policy (the peer's stored *blocked* state differs); the
 * lane itself is not stored, so an enforcer applies a throttle decision whenever it sees one.
 */
import { PeerpayError } from "./errors.js";
import type { AllowDecision, BlockDecision, LedgerDecision, ThrottleDecision } from "./ledger-policy.js";

export interface ThrottleLaneConfiguration {
  /** Rate of the slow lane, bytes per second (what the peer may download from us). */
  readonly bytesPerSecond: number;
  /** Peers with a zero balance (new peers on their free allowance) ride the slow lane too. Default false. */
  readonly throttleZeroBalance?: boolean;
}

export function applyThrottleLane(
  decision: AllowDecision | BlockDecision,
  configuration: ThrottleLaneConfiguration | undefined,
): LedgerDecision {
  if (configuration === undefined || decision.kind === "block") return decision;
  const rate = configuration.bytesPerSecond;
  if (!Number.isSafeInteger(rate) || rate < 1) {
    throw new PeerpayError(
      "INVALID_CONFIG",
      "throttle lane: bytesPerSecond must be a whole number of at least 1",
      {
        details: { field: "bytesPerSecond" },
      },
    );
  }
  const inDebt = decision.debtMsat > 0n;
  const zeroBalance = decision.balanceMsat === 0n && decision.code !== "paid-up";
  if (!inDebt && !(zeroBalance && configuration.throttleZeroBalance === true)) return decision;
  const throttled: ThrottleDecision = {
    ...decision,
    kind: "throttle",
    maxBytesPerSecond: rate,
    reason: `slow lane at ${rate} B/s: ${inDebt ? decision.reason : "no credit yet"}`,
  };
  return throttled;
}
