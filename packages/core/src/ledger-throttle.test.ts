import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLedgerPolicy, type PolicyAccount } from "./ledger-policy.js";
import { applyThrottleLane } from "./ledger-throttle.js";

const PEER = "192.0.2.1";
const policy = createLedgerPolicy({ baseCreditLineMsat: 5000n, resumeBalanceMsat: 0n });
const lane = { bytesPerSecond: 256 * 1024 };

function account(creditMsat: bigint, costMsat: bigint, blocked = false): PolicyAccount {
  return { creditMsat, costMsat, blocked, freeBytesUsed: 0n };
}

describe("pay for speed: the throttle lane over the ledger policy", () => {
  it("full speed with credit, slow lane in debt within the credit line, blocked past it", () => {
    expect(applyThrottleLane(policy.decide(PEER, account(100n, 50n)), lane)).toMatchObject({ kind: "allow" });
    expect(applyThrottleLane(policy.decide(PEER, account(0n, 4000n)), lane)).toMatchObject({
      kind: "throttle",
      maxBytesPerSecond: 262_144,
      code: "within-credit-line",
      debtMsat: 4000n,
    });
    expect(applyThrottleLane(policy.decide(PEER, account(0n, 5001n)), lane)).toMatchObject({
      kind: "block",
      code: "over-credit-line",
    });
  });

  it("a new peer (zero balance) runs at full speed unless the rule says otherwise", () => {
    expect(applyThrottleLane(policy.decide(PEER, undefined), lane)).toMatchObject({ kind: "allow" });
    const slow = applyThrottleLane(policy.decide(PEER, undefined), { ...lane, throttleZeroBalance: true });
    expect(slow).toMatchObject({ kind: "throttle", reason: "slow lane at 262144 B/s: no credit yet" });
  });

  it("a peer that just paid up is let through at full speed", () => {
    const decision = policy.decide(PEER, account(5001n, 5001n, true));
    expect(decision.code).toBe("paid-up");
    expect(applyThrottleLane(decision, { ...lane, throttleZeroBalance: true })).toMatchObject({
      kind: "allow",
    });
  });

  it("without a lane (the price rule has none) the decision is unchanged", () => {
    const decision = policy.decide(PEER, account(0n, 4000n));
    expect(applyThrottleLane(decision, undefined)).toBe(decision);
  });

  it("rejects a rate that is not a whole number of at least 1", () => {
    const decision = policy.decide(PEER, account(0n, 4000n));
    for (const bytesPerSecond of [0, -1, 1.5, Number.NaN]) {
      expect(() => applyThrottleLane(decision, { bytesPerSecond })).toThrow(/bytesPerSecond/);
    }
  });

  it("never loosens a block and never throttles a peer without debt (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 100_000n }),
        fc.bigInt({ min: 0n, max: 100_000n }),
        fc.boolean(),
        (credit, cost, blocked) => {
          const decision = policy.decide(PEER, account(credit, cost, blocked));
          const laned = applyThrottleLane(decision, lane);
          if (decision.kind === "block") expect(laned).toBe(decision);
          else expect(laned.kind).toBe(decision.debtMsat > 0n ? "throttle" : "allow");
          expect(laned.changed).toBe(decision.changed);
        },
      ),
    );
  });
});
