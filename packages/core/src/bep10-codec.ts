/**
 * Encodes and decodes the payload of a peerpay BEP-10 message: the bencoded dictionary that follows
 * `<length><20><extended id>` (docs/protocol.md, section 10). Decoding validates everything and
 * fails only with PeerpayError INVALID_INPUT; encoding checks its own output by decoding it, so
 * nothing is sent that a conforming peer would refuse.
 */
import { z } from "zod";
import { type BencodeInput, decodeBencode, encodeBencode } from "./bep10-bencode.js";
import {
  PEERPAY_MAX_MESSAGE_BYTES,
  type PeerpayMessage,
  type PeerpayMessageType,
  type PeerpayRejectReason,
  peerpayMessageTypes,
  peerpayRejectReasons,
  type RejectMessage,
} from "./bep10-messages.js";
import {
  asDictionary,
  bolt11Schema,
  byteCountSchema,
  hash32Schema,
  hexToBytes,
  MAX_TEXT_BYTES,
  msatSchema,
  parseWire,
  positiveMsatSchema,
  preimageMatches,
  smallIntegerSchema,
  textSchema,
  uint32Schema,
  unixSecondsSchema,
} from "./bep10-wire.js";
import { PeerpayError } from "./errors.js";

const what = "peerpay message";
const reasonByCode = new Map<number, PeerpayRejectReason>(
  Object.entries(peerpayRejectReasons).map(([reason, code]) => [code, reason as PeerpayRejectReason]),
);
const typeByCode = new Map<number, PeerpayMessageType>(
  Object.entries(peerpayMessageTypes).map(([type, code]) => [code, type as PeerpayMessageType]),
);

const paymentRequiredSchema = z
  .object({
    rail: textSchema(32).pipe(z.literal("lightning", 'must be "lightning"')),
    bolt11: bolt11Schema,
    payment_hash: hash32Schema,
    amount_msat: positiveMsatSchema.optional(),
    credit_bytes: byteCountSchema,
    expires_at: unixSecondsSchema,
    bind: textSchema(16).pipe(z.enum(["block", "credit", "tip"], 'must be "block", "credit" or "tip"')),
    piece: uint32Schema.optional(),
    offset: uint32Schema.optional(),
    length: smallIntegerSchema(1, 0xffff_ffff).optional(),
  })
  .superRefine((wire, context) => {
    const block = [wire.piece, wire.offset, wire.length].filter((value) => value !== undefined).length;
    const fail = (path: string, message: string) =>
      context.addIssue({ code: "custom", path: [path], message });
    if (wire.bind === "block" && block !== 3) fail("bind", '"block" needs piece, offset and length');
    if (wire.bind !== "block" && block !== 0)
      fail("bind", `"${wire.bind}" must not carry piece/offset/length`);
    if (wire.bind !== "tip" && wire.amount_msat === undefined) fail("amount_msat", "is required");
    if (wire.bind === "block" && wire.credit_bytes < BigInt(wire.length ?? 0))
      fail("credit_bytes", "must cover the requested block");
    if (wire.bind === "credit" && wire.credit_bytes === 0n) fail("credit_bytes", "must be at least 1");
    if (wire.bind === "tip" && wire.credit_bytes !== 0n) fail("credit_bytes", "must be 0 for a tip");
  })
  .transform(
    (wire): PeerpayMessage => ({
      type: "payment_required",
      rail: wire.rail,
      bolt11: wire.bolt11,
      paymentHash: wire.payment_hash,
      ...(wire.amount_msat === undefined ? {} : { amountMsat: wire.amount_msat }),
      creditBytes: wire.credit_bytes,
      expiresAt: wire.expires_at,
      binding:
        wire.bind === "block"
          ? { kind: "block", piece: wire.piece ?? 0, offset: wire.offset ?? 0, length: wire.length ?? 0 }
          : { kind: wire.bind },
    }),
  );

const paidSchema = z
  .object({ payment_hash: hash32Schema, preimage: hash32Schema.optional() })
  .refine((wire) => wire.preimage === undefined || preimageMatches(wire.preimage, wire.payment_hash), {
    path: ["preimage"],
    message: "does not hash to payment_hash",
  })
  .transform(
    (wire): PeerpayMessage => ({
      type: "paid",
      paymentHash: wire.payment_hash,
      ...(wire.preimage === undefined ? {} : { preimage: wire.preimage }),
    }),
  );

const creditSchema = z
  .object({ credit_msat: msatSchema, credit_bytes: byteCountSchema, payment_hash: hash32Schema.optional() })
  .transform(
    (wire): PeerpayMessage => ({
      type: "credit",
      creditMsat: wire.credit_msat,
      creditBytes: wire.credit_bytes,
      ...(wire.payment_hash === undefined ? {} : { paymentHash: wire.payment_hash }),
    }),
  );

const rejectSchema = z
  .object({
    reason: smallIntegerSchema(0, 65_535),
    payment_hash: hash32Schema.optional(),
    message: textSchema(MAX_TEXT_BYTES).optional(),
  })
  .transform(
    (wire): PeerpayMessage => ({
      type: "reject",
      reason: reasonByCode.get(wire.reason) ?? "other",
      reasonCode: wire.reason,
      ...(wire.payment_hash === undefined ? {} : { paymentHash: wire.payment_hash }),
      ...(wire.message === undefined ? {} : { message: wire.message }),
    }),
  );

const tipSchema = z
  .object({ amount_msat: positiveMsatSchema.optional(), message: textSchema(MAX_TEXT_BYTES).optional() })
  .transform(
    (wire): PeerpayMessage => ({
      type: "tip",
      ...(wire.amount_msat === undefined ? {} : { amountMsat: wire.amount_msat }),
      ...(wire.message === undefined ? {} : { message: wire.message }),
    }),
  );

const schemaByType: Record<PeerpayMessageType, z.ZodType<PeerpayMessage>> = {
  payment_required: paymentRequiredSchema,
  paid: paidSchema,
  credit: creditSchema,
  reject: rejectSchema,
  tip: tipSchema,
};

/** Decodes and validates one message payload (the bytes after the extended message id). */
export function decodePeerpayMessage(payload: Uint8Array): PeerpayMessage {
  if (!(payload instanceof Uint8Array)) throw new PeerpayError("INVALID_INPUT", `${what}: must be bytes`);
  if (payload.length > PEERPAY_MAX_MESSAGE_BYTES) {
    throw new PeerpayError("INVALID_INPUT", `${what}: longer than ${PEERPAY_MAX_MESSAGE_BYTES} bytes`, {
      details: { bytes: payload.length, limit: PEERPAY_MAX_MESSAGE_BYTES },
    });
  }
  const dictionary = asDictionary(decodeBencode(payload, { maxDepth: 4 }), what);
  const code = parseWire(z.object({ msg_type: smallIntegerSchema(0, 255) }), dictionary, what).msg_type;
  const type = typeByCode.get(code);
  if (type === undefined) {
    throw new PeerpayError("INVALID_INPUT", `${what}: unknown msg_type ${code}`, {
      details: { msgType: code },
    });
  }
  return parseWire(schemaByType[type], dictionary, `${what} (${type})`, { msgType: code });
}

/** Encodes one message payload; a message that would not decode is INVALID_INPUT. */
export function encodePeerpayMessage(message: PeerpayMessage): Uint8Array {
  const payload = encodeBencode(toWire(message));
  decodePeerpayMessage(payload);
  return payload;
}

function toWire(message: PeerpayMessage): Record<string, BencodeInput | undefined> {
  const msg_type = peerpayMessageTypes[message.type];
  if (msg_type === undefined) throw new PeerpayError("INVALID_INPUT", `${what}: unknown type`);
  switch (message.type) {
    case "payment_required": {
      const block = message.binding.kind === "block" ? message.binding : undefined;
      return {
        msg_type,
        rail: message.rail,
        bolt11: message.bolt11,
        payment_hash: hexToBytes(message.paymentHash, "paymentHash"),
        amount_msat: message.amountMsat,
        credit_bytes: message.creditBytes,
        expires_at: message.expiresAt,
        bind: message.binding.kind,
        ...(block ? { piece: block.piece, offset: block.offset, length: block.length } : {}),
      };
    }
    case "paid":
      return {
        msg_type,
        payment_hash: hexToBytes(message.paymentHash, "paymentHash"),
        preimage: message.preimage === undefined ? undefined : hexToBytes(message.preimage, "preimage"),
      };
    case "credit":
      return {
        msg_type,
        credit_msat: message.creditMsat,
        credit_bytes: message.creditBytes,
        payment_hash:
          message.paymentHash === undefined ? undefined : hexToBytes(message.paymentHash, "paymentHash"),
      };
    case "reject":
      return {
        msg_type,
        reason: reasonCodeOf(message),
        payment_hash:
          message.paymentHash === undefined ? undefined : hexToBytes(message.paymentHash, "paymentHash"),
        message: message.message,
      };
    case "tip":
      return { msg_type, amount_msat: message.amountMsat, message: message.message };
  }
}

function reasonCodeOf(message: RejectMessage): number {
  const named = peerpayRejectReasons[message.reason];
  if (named === undefined) throw new PeerpayError("INVALID_INPUT", `${what}: unknown reject reason`);
  if (message.reasonCode === undefined || message.reasonCode === named) return named;
  if (message.reason === "other" && !reasonByCode.has(message.reasonCode)) return message.reasonCode;
  throw new PeerpayError(
    "INVALID_INPUT",
    `${what}: reasonCode ${message.reasonCode} is not "${message.reason}"`,
  );
}
