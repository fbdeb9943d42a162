import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPeerpayError } from "./errors.js";
import { createLedgerPolicy, type PolicyAccount } from "./ledger-policy.js";

const PEER = "192.0.2.1";

function account(creditMsat: bigint, costMsat: bigint, blocked = false, freeBytesUsed = 0n): PolicyAccount {
  return { creditMsat, costMsat, blocked, freeBytesUsed };
}

describe("ledger policy: thresholds", () => {
  const policy = createLedgerPolicy({
    baseCreditLineMsat: 5000n,
    creditGrowthBasisPoints: 1000,
    maxCreditLineMsat: 20_000n,
    resumeBalanceMsat: 0n,
  });

  it("allows a new peer and a peer in credit", () => {
    expect(policy.decide(PEER, undefined)).toMatchObject({
      kind: "allow",
      code: "in-credit",
      changed: false,
    });
    expect(policy.decide(PEER, account(100n, 50n))).toMatchObject({ kind: "allow", balanceMsat: 50n });
  });

  it("allows debt up to the credit line and blocks one msat past it", () => {
    expect(policy.decide(PEER, account(0n, 5000n))).toMatchObject({
      kind: "allow",
      code: "within-credit-line",
      debtMsat: 5000n,
    });
    const blocked = policy.decide(PEER, account(0n, 5001n));
    expect(blocked).toMatchObject({
      kind: "block",
      code: "over-credit-line",
      changed: true,
      debtMsat: 5001n,
      creditLineMsat: 5000n,
      amountToUnblockMsat: 5001n,
    });
    expect(blocked.reason).toContain("exceeds the credit line");
  });

  it("keeps a blocked peer blocked until its balance reaches the resume level (hysteresis)", () => {
    // debt back inside the credit line is not enough
    expect(policy.decide(PEER, account(5000n, 5001n, true))).toMatchObject({
      kind: "block",
      code: "below-resume-level",
      changed: false,
      amountToUnblockMsat: 1n,
    });
    expect(policy.decide(PEER, account(5001n, 5001n, true))).toMatchObject({
      kind: "allow",
      code: "paid-up",
      changed: true,
    });
  });

  it("tells a blocked peer what it must pay, and offers debt + prepay in a quote", () => {
    const blocked = account(0n, 7000n, true);
    expect(policy.amountToUnblock(blocked)).toBe(7000n);
    expect(policy.amountToUnblock(account(0n, 7000n, false))).toBe(0n);
    expect(policy.offer(blocked)).toBe(7000n + 10_000n);
    expect(policy.offer(undefined)).toBe(10_000n);
    // a peer already far in credit is still offered the minimum payment
    expect(policy.offer(account(1_000_000n, 0n))).toBe(1000n);
  });

  it("with a resume level above zero, a blocked peer must also prepay", () => {
    const strict = createLedgerPolicy({ baseCreditLineMsat: 0n, resumeBalanceMsat: 2000n });
    expect(strict.decide(PEER, account(0n, 1n))).toMatchObject({ kind: "block", amountToUnblockMsat: 2001n });
    expect(strict.decide(PEER, account(2000n, 1n, true)).kind).toBe("block");
    expect(strict.decide(PEER, account(2001n, 1n, true)).kind).toBe("allow");
  });
});

describe("ledger policy: credit line growth", () => {
  const policy = createLedgerPolicy({
    baseCreditLineMsat: 5000n,
    creditGrowthBasisPoints: 1000,
    maxCreditLineMsat: 20_000n,
  });

  it("grows by 10 % of what the peer has paid, rounded down, up to the maximum", () => {
    expect(policy.creditLine(undefined)).toBe(5000n);
    expect(policy.creditLine(account(9n, 0n))).toBe(5000n);
    expect(policy.creditLine(account(10n, 0n))).toBe(5001n);
    expect(policy.creditLine(account(100_000n, 0n))).toBe(15_000n);
    expect(policy.creditLine(account(10n ** 15n, 0n))).toBe(20_000n);
  });

  it("lets a peer that paid before run further into debt than a new one", () => {
    const cost = 12_000n;
    expect(policy.decide(PEER, account(0n, cost + 0n)).kind).toBe("block");
    // paid 100 sat, used 112 sat: 12 sat in debt, within 5 + 10 sat
    expect(policy.decide(PEER, account(100_000n, 100_000n + cost)).kind).toBe("allow");
  });

  it("can be turned off", () => {
    const flat = createLedgerPolicy({ creditGrowthBasisPoints: 0, baseCreditLineMsat: 5000n });
    expect(flat.creditLine(account(10n ** 12n, 0n))).toBe(5000n);
  });

  it("never decreases as a peer pays more, and never passes the maximum (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 18n }),
        fc.bigInt({ min: 0n, max: 10n ** 18n }),
        (a, b) => {
          const [less, more] = a <= b ? [a, b] : [b, a];
          const lineLess = policy.creditLine(account(less, 0n));
          const lineMore = policy.creditLine(account(more, 0n));
          return lineLess <= lineMore && lineMore <= 20_000n && lineLess >= 5000n;
        },
      ),
    );
  });
});

describe("ledger policy: no flapping (property)", () => {
  it("changes the blocked state only when the balance crosses the band's far edge", () => {
    const policy = createLedgerPolicy({ baseCreditLineMsat: 3000n, creditGrowthBasisPoints: 0 });
    // A random walk of usage (cost) and payments (credit); apply each decision like the ledger does.
    const step = fc.oneof(
      fc.record({ cost: fc.bigInt({ min: 0n, max: 2500n }), credit: fc.constant(0n) }),
      fc.record({ cost: fc.constant(0n), credit: fc.bigInt({ min: 0n, max: 4000n }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let state = account(0n, 0n);
        for (const { cost, credit } of steps) {
          state = { ...state, costMsat: state.costMsat + cost, creditMsat: state.creditMsat + credit };
          const decision = policy.decide(PEER, state);
          const balance = state.creditMsat - state.costMsat;
          if (decision.changed && decision.kind === "block" && balance >= -3000n) return false;
          if (decision.changed && decision.kind === "allow" && balance < 0n) return false;
          if (!decision.changed && (decision.kind === "block") !== state.blocked) return false;
          state = { ...state, blocked: decision.kind === "block" };
        }
        return true;
      }),
    );
  });
});

describe("ledger policy: configuration", () => {
  it("has documented defaults", () => {
    expect(createLedgerPolicy().configuration).toEqual({
      freeAllowanceBytes: 16n * 1024n * 1024n,
      baseCreditLineMsat: 5000n,
      creditGrowthBasisPoints: 1000n,
      maxCreditLineMsat: 1_000_000n,
      resumeBalanceMsat: 0n,
      prepayMsat: 10_000n,
      minimumPaymentMsat: 1000n,
    });
  });

  it("counts the free allowance left", () => {
    const policy = createLedgerPolicy({ freeAllowanceBytes: 1000 });
    expect(policy.freeBytesRemaining(undefined)).toBe(1000n);
    expect(policy.freeBytesRemaining(account(0n, 0n, false, 400n))).toBe(600n);
    expect(policy.freeBytesRemaining(account(0n, 0n, false, 4000n))).toBe(0n);
  });

  it("refuses settings that would flap, overflow or make no sense", () => {
    const attempts = [
      () => createLedgerPolicy({ baseCreditLineMsat: 0n, resumeBalanceMsat: 0n }),
      () => createLedgerPolicy({ baseCreditLineMsat: 10n, maxCreditLineMsat: 5n }),
      () => createLedgerPolicy({ creditGrowthBasisPoints: 0.5 }),
      () => createLedgerPolicy({ freeAllowanceBytes: -1 }),
      () => createLedgerPolicy({ prepayMsat: "ten" }),
      () => createLedgerPolicy({ minimumPaymentMsat: 0n }),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(isPeerpayError(caught) && caught.code).toBe("INVALID_CONFIG");
    }
  });
});
