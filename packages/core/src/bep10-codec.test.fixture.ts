/**
 * fast-check arbitraries for every peerpay BEP-10 message and handshake, used by the codec, frame
 * and handshake tests. They cover the whole valid range (amounts up to MAX_MSAT, byte counts up to
 * 2^63 − 1, any Unicode text up to 256 bytes), so a round trip that holds for them holds on the wire.
 */

import { createHash } from "node:crypto";
import fc from "fast-check";
import type {
  Bep10Handshake,
  CreditMessage,
  PaidMessage,
  PaymentRequiredMessage,
  PeerpayMessage,
  PeerpayRejectReason,
  RejectMessage,
  TipMessage,
} from "./bep10-messages.js";
import { peerpayRejectReasons } from "./bep10-messages.js";
import { MAX_WIRE_BYTES } from "./bep10-wire.js";
import { MAX_MSAT } from "./money.js";

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const utf8Length = (text: string) => new TextEncoder().encode(text).length;

export const hashArbitrary = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex);
/** Amounts of at least 1 msat, with MAX_MSAT and the 2^53 boundary drawn often. */
export const amountArbitrary = fc.oneof(
  fc.constantFrom(1n, MAX_MSAT, 2n ** 53n, 2n ** 53n + 1n),
  fc.bigInt({ min: 1n, max: MAX_MSAT }),
);
export const byteCountArbitrary = fc.oneof(
  fc.constantFrom(0n, MAX_WIRE_BYTES),
  fc.bigInt({ min: 0n, max: MAX_WIRE_BYTES }),
);
export const textArbitrary = fc
  .string({ unit: "binary", maxLength: 120 })
  .filter((text) => utf8Length(text) <= 256);
export const uint32Arbitrary = fc.integer({ min: 0, max: 0xffff_ffff });
export const expiresAtArbitrary = fc.integer({ min: 1, max: 2 ** 40 });
const bech32Characters = "qpzry9x8gf2tvdw0s3jn54khce6mua7l".split("");
export const bolt11Arbitrary = fc
  .tuple(
    fc.constantFrom("lnbc", "lntb", "lntbs", "lnbcrt", "lnsb"),
    fc.option(fc.tuple(fc.integer({ min: 1, max: 999_999 }), fc.constantFrom("", "m", "u", "n", "p")), {
      nil: undefined,
    }),
    fc.array(fc.constantFrom(...bech32Characters), { minLength: 6, maxLength: 600 }),
  )
  .map(([prefix, amount, data]) => `${prefix}${amount ? `${amount[0]}${amount[1]}` : ""}1${data.join("")}`);

const optional = <Value>(arbitrary: fc.Arbitrary<Value>) => fc.option(arbitrary, { nil: undefined });
/** Drops undefined properties, as the decoder never sets them. */
function compact<Value extends object>(value: Value): Value {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Value;
}

export const paymentRequiredArbitrary: fc.Arbitrary<PaymentRequiredMessage> = fc
  .record({
    bolt11: bolt11Arbitrary,
    paymentHash: hashArbitrary,
    amountMsat: amountArbitrary,
    expiresAt: expiresAtArbitrary,
    piece: uint32Arbitrary,
    offset: uint32Arbitrary,
    length: fc.integer({ min: 1, max: 0xffff_ffff }),
    extraBytes: byteCountArbitrary,
    kind: fc.constantFrom("block", "credit", "tip"),
    tipAmount: optional(amountArbitrary),
  })
  .map((draw): PaymentRequiredMessage => {
    const common = {
      type: "payment_required",
      rail: "lightning",
      bolt11: draw.bolt11,
      paymentHash: draw.paymentHash,
    } as const;
    if (draw.kind === "block") {
      const creditBytes = BigInt(draw.length) + (draw.extraBytes % (MAX_WIRE_BYTES - BigInt(draw.length)));
      const binding = { kind: "block", piece: draw.piece, offset: draw.offset, length: draw.length } as const;
      return {
        ...common,
        amountMsat: draw.amountMsat,
        creditBytes,
        expiresAt: draw.expiresAt,
        binding,
      } as const;
    }
    if (draw.kind === "credit") {
      const creditBytes = draw.extraBytes === 0n ? 1n : draw.extraBytes;
      return {
        ...common,
        amountMsat: draw.amountMsat,
        creditBytes,
        expiresAt: draw.expiresAt,
        binding: { kind: "credit" },
      } as const;
    }
    return compact({
      ...common,
      amountMsat: draw.tipAmount,
      creditBytes: 0n,
      expiresAt: draw.expiresAt,
      binding: { kind: "tip" },
    } as const);
  });

export const paidArbitrary: fc.Arbitrary<PaidMessage> = fc
  .record({ secret: fc.uint8Array({ minLength: 32, maxLength: 32 }), withPreimage: fc.boolean() })
  .map(({ secret, withPreimage }) => {
    const paymentHash = createHash("sha256").update(secret).digest("hex");
    return withPreimage
      ? { type: "paid", paymentHash, preimage: toHex(secret) }
      : { type: "paid", paymentHash };
  });

export const creditArbitrary: fc.Arbitrary<CreditMessage> = fc
  .record({
    creditMsat: fc.oneof(fc.constant(0n), amountArbitrary),
    creditBytes: byteCountArbitrary,
    paymentHash: optional(hashArbitrary),
  })
  .map((draw) => compact({ type: "credit", ...draw }));

const reasons = Object.keys(peerpayRejectReasons) as PeerpayRejectReason[];
export const rejectArbitrary: fc.Arbitrary<RejectMessage> = fc
  .record({
    reason: fc.constantFrom(...reasons),
    paymentHash: optional(hashArbitrary),
    message: optional(textArbitrary),
  })
  .map((draw) => compact({ type: "reject", ...draw, reasonCode: peerpayRejectReasons[draw.reason] }));

export const tipArbitrary: fc.Arbitrary<TipMessage> = fc
  .record({ amountMsat: optional(amountArbitrary), message: optional(textArbitrary) })
  .map((draw) => compact({ type: "tip", ...draw }));

export const peerpayMessageArbitrary: fc.Arbitrary<PeerpayMessage> = fc.oneof(
  paymentRequiredArbitrary,
  paidArbitrary,
  creditArbitrary,
  rejectArbitrary,
  tipArbitrary,
);

const tokenArbitrary = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,31}$/);
export const handshakeArbitrary: fc.Arbitrary<Bep10Handshake> = fc
  .record({
    extensions: fc.dictionary(
      fc.stringMatching(/^[a-z_]{1,20}$/).filter((name) => name !== "__proto__"),
      fc.integer({ min: 0, max: 255 }),
      {
        maxKeys: 6,
      },
    ),
    peerpayId: fc.integer({ min: 1, max: 255 }),
    client: optional(textArbitrary),
    listenPort: optional(fc.integer({ min: 1, max: 65_535 })),
    terms: optional(
      fc.record({
        version: fc.integer({ min: 1, max: 65_535 }),
        endpoint: optional(fc.constantFrom("http://127.0.0.2:9736", "https://seller.example/peerpay")),
        rails: fc.array(
          fc
            .record({
              rail: tokenArbitrary,
              scheme: tokenArbitrary,
              network: tokenArbitrary,
              payee: optional(fc.uint8Array({ minLength: 33, maxLength: 33 }).map(toHex)),
            })
            .map(compact),
          { maxLength: 8 },
        ),
        priceMsatPerGiB: optional(fc.oneof(fc.constant(0n), amountArbitrary)),
        freeAllowanceBytes: optional(byteCountArbitrary),
      }),
    ),
  })
  .map((draw) =>
    compact({
      extensions: { ...draw.extensions, peerpay: draw.peerpayId },
      client: draw.client,
      listenPort: draw.listenPort,
      peerpay: draw.terms && compact(draw.terms),
    }),
  );
