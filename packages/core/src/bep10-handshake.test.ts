import bencode from "bencode";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeBencode } from "./bep10-bencode.js";
import { handshakeArbitrary } from "./bep10-codec.test.fixture.js";
import { decodeBep10Handshake, encodeBep10Handshake, peerpayExtensionId } from "./bep10-handshake.js";
import type { Bep10Handshake } from "./bep10-messages.js";
import { isPeerpayError } from "./errors.js";
import { MAX_MSAT } from "./money.js";

const payee = `02${"ab".repeat(32)}`;
const sellerHandshake: Bep10Handshake = {
  extensions: { peerpay: 7, ut_metadata: 2 },
  client: "peerpay 0.1",
  listenPort: 6881,
  peerpay: {
    version: 1,
    endpoint: "http://127.0.0.2:9736",
    rails: [{ rail: "lightning", scheme: "bolt11", network: "regtest", payee }],
    priceMsatPerGiB: 100_000n,
    freeAllowanceBytes: 16_777_216n,
  },
};

function invalidMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (isPeerpayError(error) && error.code === "INVALID_INPUT") return error.message;
    throw error;
  }
  throw new Error("expected INVALID_INPUT, but the input was accepted");
}
const withTerms = (terms: Record<string, unknown>) =>
  encodeBencode({ m: { peerpay: 7 }, peerpay: terms } as Parameters<typeof encodeBencode>[0]);
const validTerms = { v: 1, rails: [{ rail: "lightning", scheme: "bolt11", network: "regtest" }] };

describe("BEP-10 extended handshake with the peerpay entry", () => {
  it("decode(encode(h)) equals h for every valid handshake", () => {
    fc.assert(
      fc.property(handshakeArbitrary, (handshake) => {
        expect(decodeBep10Handshake(encodeBep10Handshake(handshake))).toEqual(handshake);
      }),
      { numRuns: 300 },
    );
  });

  it("puts the extension id in m and the terms in a top-level peerpay dictionary", () => {
    const wire = bencode.decode(encodeBep10Handshake(sellerHandshake)) as Record<string, unknown>;
    expect(wire.m).toEqual({ peerpay: 7, ut_metadata: 2 });
    expect(Buffer.from(wire.v as Uint8Array).toString()).toBe("peerpay 0.1");
    expect(wire.p).toBe(6881);
    const terms = wire.peerpay as Record<string, unknown>;
    expect(terms).toMatchObject({ v: 1, price: 100_000, free: 16_777_216 });
    expect(Buffer.from(terms.endpoint as Uint8Array).toString()).toBe("http://127.0.0.2:9736");
    const rails = terms.rails as Array<Record<string, Uint8Array>>;
    expect(Buffer.from(rails[0]?.payee ?? []).toString("hex")).toBe(payee);
    expect(peerpayExtensionId(decodeBep10Handshake(encodeBep10Handshake(sellerHandshake)))).toBe(7);
  });

  it("keeps a price of MAX_MSAT per GiB exact", () => {
    const handshake = { ...sellerHandshake, peerpay: { ...validPeerpay(), priceMsatPerGiB: MAX_MSAT - 1n } };
    expect(decodeBep10Handshake(encodeBep10Handshake(handshake)).peerpay?.priceMsatPerGiB).toBe(
      MAX_MSAT - 1n,
    );
  });

  it("reads a handshake from another client: unsorted keys, binary yourip, foreign extensions, no peerpay", () => {
    // libtorrent-style keys written out of order, with a 4-byte yourip and a nested extension value.
    const raw = new TextEncoder().encode(
      "d1:v13:qBittorrent 41:md11:ut_metadatai3e6:ut_pexi1ee4:reqqi500e6:yourip",
    );
    const yourip = Uint8Array.of(0x34, 0x3a, 127, 0, 0, 2);
    const payload = new Uint8Array([
      ...raw,
      ...yourip,
      ...new TextEncoder().encode("13:metadata_sizei31235ee"),
    ]);
    const decoded = decodeBep10Handshake(payload);
    expect(decoded).toEqual({ extensions: { ut_metadata: 3, ut_pex: 1 }, client: "qBittorrent 4" });
    expect(peerpayExtensionId(decoded)).toBeUndefined();
  });

  it("drops a malformed v or p from another client instead of failing the handshake", () => {
    const payload = encodeBencode({ m: { ut_pex: 1 }, p: 70_000, v: Uint8Array.of(0xff, 0xfe) });
    expect(decodeBep10Handshake(payload)).toEqual({ extensions: { ut_pex: 1 } });
  });

  it("reports no peerpay support for id 0 (disabled) or when the terms are missing", () => {
    expect(peerpayExtensionId({ ...sellerHandshake, extensions: { peerpay: 0 } })).toBeUndefined();
    expect(peerpayExtensionId({ extensions: { peerpay: 7 } })).toBeUndefined();
  });

  it.each([
    ["a list instead of a dictionary", () => encodeBencode([1]), "must be a bencoded dictionary"],
    ["no m dictionary", () => encodeBencode({ v: "x" }), "m "],
    ["an m id above 255", () => encodeBencode({ m: { peerpay: 256 } }), "m.peerpay must be at most 255"],
    ["a negative m id", () => encodeBencode({ m: { peerpay: -1 } }), "m.peerpay must be at least 0"],
    ["terms without a version", () => withTerms({ rails: [] }), "peerpay.v"],
    ["a version 0", () => withTerms({ ...validTerms, v: 0 }), "peerpay.v must be at least 1"],
    [
      "a negative price",
      () => withTerms({ ...validTerms, price: -1n }),
      "peerpay.price must not be negative",
    ],
    [
      "a price above MAX_MSAT",
      () => withTerms({ ...validTerms, price: MAX_MSAT + 1n }),
      "larger than all bitcoin",
    ],
    [
      "a negative free allowance",
      () => withTerms({ ...validTerms, free: -1n }),
      "peerpay.free must not be negative",
    ],
    [
      "a non-http endpoint",
      () => withTerms({ ...validTerms, endpoint: "file:///etc/passwd" }),
      "http(s) URL",
    ],
    [
      "an endpoint with credentials",
      () => withTerms({ ...validTerms, endpoint: "http://a:b@h/" }),
      "http(s) URL",
    ],
    [
      "an oversized endpoint",
      () => withTerms({ ...validTerms, endpoint: `http://h/${"a".repeat(300)}` }),
      "256",
    ],
    [
      "nine rails",
      () => withTerms({ ...validTerms, rails: Array(9).fill(validTerms.rails[0]) }),
      "at most 8",
    ],
    [
      "an upper-case rail token",
      () => withTerms({ v: 1, rails: [{ ...validTerms.rails[0], rail: "LN" }] }),
      "token",
    ],
    [
      "a 32-byte payee",
      () => withTerms({ v: 1, rails: [{ ...validTerms.rails[0], payee: new Uint8Array(32) }] }),
      "33-byte",
    ],
    ["a payload over 16 KiB", () => encodeBencode({ m: {}, pad: "x".repeat(16_400) }), "longer than 16384"],
  ])("refuses %s", (_name, payload, expected) => {
    expect(invalidMessage(() => decodeBep10Handshake(payload()))).toContain(expected);
  });

  it("refuses to encode a handshake it would refuse to decode", () => {
    expect(invalidMessage(() => encodeBep10Handshake({ extensions: { peerpay: 300 } }))).toContain(
      "m.peerpay",
    );
    expect(invalidMessage(() => encodeBep10Handshake({ extensions: {}, listenPort: 0 }))).toContain(
      "listenPort",
    );
    expect(
      invalidMessage(() =>
        encodeBep10Handshake({
          extensions: {},
          peerpay: { ...validPeerpay(), rails: [{ ...rail(), payee: "02" }] },
        }),
      ),
    ).toContain("payee");
  });

  it("gives INVALID_INPUT, never a crash, for random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeBep10Handshake(bytes);
        } catch (error) {
          expect(isPeerpayError(error) && error.code).toBe("INVALID_INPUT");
        }
      }),
      { numRuns: 2000 },
    );
  });
});

function rail() {
  return { rail: "lightning", scheme: "bolt11", network: "regtest" };
}
function validPeerpay() {
  return { version: 1, rails: [rail()] };
}
