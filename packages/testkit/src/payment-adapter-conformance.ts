/**
 * The conformance suite every payment adapter runs (the simulator now; LND and Core Lightning,
 * against real nodes or faithful doubles). Call it inside a vitest file:
 *
 *   runPaymentAdapterConformance({ name: "sim", network: "simnet", createPayee, createPayer });
 *
 * It checks the contract in @peerpay/core's payment-adapter.ts: node info, invoices and their
 * decoding, payments (preimage, fee limit, refusals before paying, never paying twice), the
 * durable settled-invoice stream (order, cursors, resume, restart) and typed errors. A test that
 * needs something the fixture lacks is skipped with the reason in its title.
 */
import type { LightningNetwork, PaymentAdapter, PaymentAdapterCapabilities } from "@peerpay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decimal,
  expectPeerpayError,
  hexHash,
  type PaymentAdapterConformanceFixture,
  randomHash,
  retrying,
  sha256Hex,
} from "./payment-adapter-conformance-helpers.js";
import { defineSettledStreamTests } from "./payment-adapter-conformance-stream.js";

export type { PaymentAdapterConformanceFixture } from "./payment-adapter-conformance-helpers.js";

/** The adapters under test; `payee` changes when the fixture restarts it. */
export interface PaymentAdapterConformanceContext {
  readonly fixture: PaymentAdapterConformanceFixture;
  readonly capabilities: PaymentAdapterCapabilities;
  payee(): PaymentAdapter;
  payer(): PaymentAdapter;
  setPayee(adapter: PaymentAdapter): void;
  /** A fresh amount for each invoice, so tests never confuse their invoices. */
  nextAmount(): bigint;
  readonly maxFeeMsat: bigint;
  readonly waitMs: number;
  /** Creates an invoice on the payee and pays it from the payer; returns its hash. */
  settleOne(): Promise<string>;
}

const otherNetwork: Record<LightningNetwork, LightningNetwork> = {
  mainnet: "regtest",
  testnet: "mainnet",
  signet: "mainnet",
  regtest: "mainnet",
  simnet: "mainnet",
};

/** Title suffix naming why a test is skipped. */
export function unless(condition: boolean, reason: string): string {
  return condition ? "" : ` [skipped: ${reason}]`;
}

export function runPaymentAdapterConformance(fixture: PaymentAdapterConformanceFixture): void {
  const capabilities: PaymentAdapterCapabilities = {
    createInvoice: true,
    payInvoice: true,
    settledInvoiceStream: true,
    descriptionHash: true,
    ...fixture.capabilities,
  };
  const canInvoice = capabilities.createInvoice;
  const canPay = capabilities.createInvoice && capabilities.payInvoice;
  const waitMs = fixture.waitMs ?? 20_000;
  const timeout = waitMs + 15_000;
  let payee: PaymentAdapter | undefined;
  let payer: PaymentAdapter | undefined;
  let amountCounter = 0n;
  const baseAmount = fixture.amountMsat ?? 10_000n;

  const context: PaymentAdapterConformanceContext = {
    fixture,
    capabilities,
    payee: () => payee!,
    payer: () => payer!,
    setPayee: (adapter) => {
      payee = adapter;
    },
    nextAmount: () => baseAmount + 1000n * ++amountCounter,
    maxFeeMsat: fixture.maxFeeMsat ?? 10_000n,
    waitMs,
    // Retries retryable failures (safe: a hash is never paid twice), as a careful caller would.
    async settleOne() {
      const amountMsat = context.nextAmount();
      const invoice = await retrying(
        () => payee!.createInvoice({ amountMsat, expirySeconds: 600, description: "conformance" }),
        waitMs,
      );
      const request = {
        paymentRequest: invoice.paymentRequest,
        expectedAmountMsat: amountMsat,
        maxFeeMsat: context.maxFeeMsat,
      };
      await retrying(() => payer!.payInvoice(request), waitMs);
      return invoice.paymentHash;
    },
  };

  describe(`payment adapter conformance: ${fixture.name}`, () => {
    beforeAll(async () => {
      payee = await fixture.createPayee();
      payer = await fixture.createPayer();
    }, timeout);

    afterAll(async () => {
      await payee?.close();
      await payer?.close();
    }, timeout);

    describe("contract", () => {
      it("declares contract v1, a name, and the capabilities the fixture states", () => {
        for (const adapter of [payee!, payer!]) {
          expect(adapter.specificationVersion).toBe("v1");
          expect(typeof adapter.name).toBe("string");
          expect(adapter.name.length).toBeGreaterThan(0);
          for (const value of Object.values(adapter.capabilities)) expect(typeof value).toBe("boolean");
        }
        expect(payee!.capabilities.createInvoice).toBe(capabilities.createInvoice);
        expect(payee!.capabilities.settledInvoiceStream).toBe(capabilities.settledInvoiceStream);
        expect(payee!.capabilities.descriptionHash).toBe(capabilities.descriptionHash);
        expect(payer!.capabilities.payInvoice).toBe(capabilities.payInvoice);
      });

      it("getInfo names the node, its network, and whether it is simulated", async () => {
        const info = await payee!.getInfo();
        expect(info.nodeId).toMatch(/^0[23][0-9a-f]{64}$/);
        expect(typeof info.alias).toBe("string");
        expect(info.network).toBe(fixture.network);
        expect(typeof info.simulated).toBe("boolean");
        // The simulated network is never presented as real money.
        if (info.network === "simnet") expect(info.simulated).toBe(true);
        const payerInfo = await payer!.getInfo();
        expect(payerInfo.network).toBe(fixture.network);
        expect(payerInfo.nodeId, "payer and payee are different nodes").not.toBe(info.nodeId);
      });
    });

    describe("invoices", () => {
      it.skipIf(!canInvoice)(
        `createInvoice returns an open invoice that decodeInvoice reads back${unless(canInvoice, "no createInvoice")}`,
        async () => {
          const amountMsat = context.nextAmount();
          const before = Date.now();
          const invoice = await payee!.createInvoice({
            amountMsat,
            expirySeconds: 900,
            description: "peerpay test",
          });
          expect(invoice.paymentHash).toMatch(hexHash);
          expect(invoice.amountMsat).toBe(amountMsat);
          expect(invoice.state).toBe("open");
          expect(invoice.createdAt.getTime()).toBeGreaterThanOrEqual(
            Math.floor(before / 1000) * 1000 - 60_000,
          );
          expect(invoice.expiresAt.getTime() - invoice.createdAt.getTime()).toBe(900_000);
          const info = await payee!.getInfo();
          for (const decoder of [payee!, payer!]) {
            const decoded = await decoder.decodeInvoice(invoice.paymentRequest);
            expect(decoded.paymentHash).toBe(invoice.paymentHash);
            expect(decoded.amountMsat).toBe(amountMsat);
            expect(decoded.network).toBe(fixture.network);
            expect(decoded.payee).toBe(info.nodeId);
            expect(decoded.description).toBe("peerpay test");
            expect(decoded.expiresAt.getTime()).toBe(invoice.expiresAt.getTime());
            expect(decoded.createdAt.getTime()).toBe(invoice.createdAt.getTime());
          }
          const looked = await payee!.lookupInvoice(invoice.paymentHash);
          expect(looked).toMatchObject({ paymentHash: invoice.paymentHash, state: "open", amountMsat });
          expect(looked!.paymentRequest.toLowerCase()).toBe(invoice.paymentRequest.toLowerCase());
        },
        timeout,
      );

      it.skipIf(!canInvoice || !capabilities.descriptionHash)(
        `an invoice can commit to a description hash${unless(canInvoice && capabilities.descriptionHash, "no descriptionHash")}`,
        async () => {
          const descriptionHash = sha256Hex(Buffer.from("a long description").toString("hex"));
          const invoice = await payee!.createInvoice({
            amountMsat: context.nextAmount(),
            expirySeconds: 600,
            descriptionHash,
          });
          const decoded = await payer!.decodeInvoice(invoice.paymentRequest);
          expect(decoded.descriptionHash).toBe(descriptionHash);
        },
        timeout,
      );

      it.skipIf(!canInvoice)(
        `lookupInvoice of an unknown hash is undefined; bad input is INVALID_INPUT${unless(canInvoice, "no createInvoice")}`,
        async () => {
          expect(await payee!.lookupInvoice(randomHash())).toBeUndefined();
          await expectPeerpayError(payee!.lookupInvoice("not-a-hash"), "INVALID_INPUT");
          await expectPeerpayError(
            payee!.createInvoice({ amountMsat: -1n, expirySeconds: 600 }),
            "INVALID_INPUT",
          );
          await expectPeerpayError(
            payee!.createInvoice({ amountMsat: 1000n, expirySeconds: 0 }),
            "INVALID_INPUT",
          );
          await expectPeerpayError(payer!.decodeInvoice("lnbc1notaninvoice"), "INVALID_INPUT");
        },
        timeout,
      );
    });

    describe("payments", () => {
      const skip = unless(canPay, "payer cannot pay or payee cannot invoice");

      it.skipIf(!canPay)(
        `payInvoice returns the preimage of the hash, within the fee limit, and settles the invoice${skip}`,
        async () => {
          const amountMsat = context.nextAmount();
          const invoice = await payee!.createInvoice({ amountMsat, expirySeconds: 600 });
          const result = await payer!.payInvoice({
            paymentRequest: invoice.paymentRequest,
            expectedAmountMsat: amountMsat,
            maxFeeMsat: context.maxFeeMsat,
            expectedNetwork: fixture.network,
            expectedPayee: (await payee!.getInfo()).nodeId,
          });
          expect(result.paymentHash).toBe(invoice.paymentHash);
          expect(sha256Hex(result.preimage)).toBe(invoice.paymentHash);
          expect(result.amountMsat).toBe(amountMsat);
          expect(result.feeMsat >= 0n && result.feeMsat <= context.maxFeeMsat).toBe(true);
          expect(result.alreadyPaid ?? false).toBe(false);
          const settled = await payee!.lookupInvoice(invoice.paymentHash);
          expect(settled?.state).toBe("settled");
          expect(settled?.preimage).toBe(result.preimage);
          expect(settled?.receivedMsat).toBe(amountMsat);
          expect(settled?.settledAt).toBeInstanceOf(Date);
          expect(settled?.settleCursor).toMatch(decimal);
        },
        timeout,
      );

      it.skipIf(!canPay)(
        `an invoice for another amount is refused before anything is paid${skip}`,
        async () => {
          const amountMsat = context.nextAmount();
          const invoice = await payee!.createInvoice({ amountMsat, expirySeconds: 600 });
          for (const expectedAmountMsat of [amountMsat - 1n, amountMsat + 1n]) {
            const error = await expectPeerpayError(
              payer!.payInvoice({
                paymentRequest: invoice.paymentRequest,
                expectedAmountMsat,
                maxFeeMsat: context.maxFeeMsat,
              }),
              "INVOICE_MISMATCH",
            );
            expect(error.retryable).toBe(false);
          }
          expect((await payee!.lookupInvoice(invoice.paymentHash))?.state).toBe("open");
          const paid = await payer!.payInvoice({
            paymentRequest: invoice.paymentRequest,
            expectedAmountMsat: amountMsat,
            maxFeeMsat: context.maxFeeMsat,
          });
          expect(paid.alreadyPaid ?? false).toBe(false);
        },
        timeout,
      );

      it.skipIf(!canPay)(
        `an invoice for another network or payee is refused before anything is paid${skip}`,
        async () => {
          const amountMsat = context.nextAmount();
          const invoice = await payee!.createInvoice({ amountMsat, expirySeconds: 600 });
          const request = {
            paymentRequest: invoice.paymentRequest,
            expectedAmountMsat: amountMsat,
            maxFeeMsat: context.maxFeeMsat,
          };
          await expectPeerpayError(
            payer!.payInvoice({ ...request, expectedNetwork: otherNetwork[fixture.network] }),
            "INVOICE_MISMATCH",
          );
          const payerId = (await payer!.getInfo()).nodeId;
          await expectPeerpayError(
            payer!.payInvoice({ ...request, expectedPayee: payerId }),
            "INVOICE_MISMATCH",
          );
          await expectPeerpayError(payer!.payInvoice({ ...request, maxFeeMsat: -1n }), "INVALID_INPUT");
          await expectPeerpayError(
            payer!.payInvoice({ ...request, paymentRequest: "lnbc1garbage" }),
            "INVALID_INPUT",
          );
          expect((await payee!.lookupInvoice(invoice.paymentHash))?.state).toBe("open");
        },
        timeout,
      );

      it.skipIf(!canPay)(
        `an expired invoice is refused and never settles${skip}`,
        async () => {
          const amountMsat = context.nextAmount();
          const invoice = await payee!.createInvoice({ amountMsat, expirySeconds: 1 });
          const wait = invoice.expiresAt.getTime() + 1100 - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          await expectPeerpayError(
            payer!.payInvoice({
              paymentRequest: invoice.paymentRequest,
              expectedAmountMsat: amountMsat,
              maxFeeMsat: context.maxFeeMsat,
            }),
            "INVOICE_EXPIRED",
          );
          expect(["expired", "canceled"]).toContain((await payee!.lookupInvoice(invoice.paymentHash))?.state);
        },
        timeout,
      );

      it.skipIf(!canPay)(
        `paying the same invoice again (also concurrently) never pays twice${skip}`,
        async () => {
          const amountMsat = context.nextAmount();
          const invoice = await payee!.createInvoice({ amountMsat, expirySeconds: 600 });
          const request = {
            paymentRequest: invoice.paymentRequest,
            expectedAmountMsat: amountMsat,
            maxFeeMsat: context.maxFeeMsat,
          };
          const outcomes = await Promise.allSettled([payer!.payInvoice(request), payer!.payInvoice(request)]);
          const first = await payer!.payInvoice(request);
          expect(first.alreadyPaid).toBe(true);
          expect(sha256Hex(first.preimage)).toBe(invoice.paymentHash);
          for (const outcome of outcomes) {
            if (outcome.status === "fulfilled") expect(outcome.value.preimage).toBe(first.preimage);
            else
              await expectPeerpayError(Promise.reject(outcome.reason), [
                "PAYMENT_IN_FLIGHT",
                "INVOICE_ALREADY_PAID",
              ]);
          }
          expect(
            outcomes.filter((outcome) => outcome.status === "fulfilled" && !outcome.value.alreadyPaid).length,
          ).toBeLessThanOrEqual(1);
          const settled = await payee!.lookupInvoice(invoice.paymentHash);
          expect(settled?.state).toBe("settled");
          expect(settled?.receivedMsat).toBe(amountMsat);
        },
        timeout,
      );
    });

    defineSettledStreamTests(context);

    describe("faults", () => {
      const makeUnavailable = fixture.faults?.makeUnavailable;
      it.skipIf(!makeUnavailable)(
        `an unreachable backend fails calls with a retryable BACKEND_UNAVAILABLE, and recovers${unless(!!makeUnavailable, "fixture cannot make the backend unavailable")}`,
        async () => {
          const restore = await makeUnavailable!();
          try {
            const error = await expectPeerpayError(payee!.getInfo(), "BACKEND_UNAVAILABLE");
            expect(error.retryable).toBe(true);
            if (canInvoice) {
              await expectPeerpayError(
                payee!.createInvoice({ amountMsat: 1000n, expirySeconds: 60 }),
                "BACKEND_UNAVAILABLE",
              );
            }
          } finally {
            await restore();
          }
          // Back: calls succeed again (retryable failures retried, bounded).
          expect((await retrying(() => payee!.getInfo(), waitMs)).network).toBe(fixture.network);
        },
        timeout,
      );
    });
  });
}
