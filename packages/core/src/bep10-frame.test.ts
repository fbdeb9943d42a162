import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePeerpayMessage, encodePeerpayMessage } from "./bep10-codec.js";
import { handshakeArbitrary, peerpayMessageArbitrary } from "./bep10-codec.test.fixture.js";
import {
  BEP10_MAX_FRAME_BYTES,
  frameBep10Handshake,
  frameExtendedMessage,
  framePeerpayMessage,
  parseExtendedFrame,
  readExtendedFrame,
} from "./bep10-frame.js";
import { decodeBep10Handshake } from "./bep10-handshake.js";
import type { PeerpayMessage } from "./bep10-messages.js";
import { isPeerpayError } from "./errors.js";

const tip: PeerpayMessage = { type: "tip", amountMsat: 5000n };

function invalidMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (isPeerpayError(error) && error.code === "INVALID_INPUT") return error.message;
    throw error;
  }
  throw new Error("expected INVALID_INPUT, but the input was accepted");
}

describe("BitTorrent framing of BEP-10 messages", () => {
  it("lays a frame out as <uint32 length><20><extended id><payload>, the length counting after itself", () => {
    const payload = encodePeerpayMessage(tip);
    const frame = framePeerpayMessage(7, tip);
    expect(frame.length).toBe(6 + payload.length);
    expect(new DataView(frame.buffer).getUint32(0)).toBe(2 + payload.length);
    expect([frame[4], frame[5]]).toEqual([20, 7]);
    expect(Buffer.from(frame.subarray(6)).equals(Buffer.from(payload))).toBe(true);
  });

  it("frames and reads back every peerpay message on any extended id 1-255", () => {
    fc.assert(
      fc.property(peerpayMessageArbitrary, fc.integer({ min: 1, max: 255 }), (message, extendedId) => {
        const frame = parseExtendedFrame(framePeerpayMessage(extendedId, message));
        expect(frame.extendedId).toBe(extendedId);
        expect(decodePeerpayMessage(frame.payload)).toEqual(message);
      }),
      { numRuns: 200 },
    );
  });

  it("frames every handshake on extended id 0", () => {
    fc.assert(
      fc.property(handshakeArbitrary, (handshake) => {
        const frame = parseExtendedFrame(frameBep10Handshake(handshake));
        expect(frame.extendedId).toBe(0);
        expect(decodeBep10Handshake(frame.payload)).toEqual(handshake);
      }),
      { numRuns: 100 },
    );
  });

  it("reads frames from a stream cut at every byte: undefined until complete, then the frame and the rest", () => {
    const stream = new Uint8Array([
      ...framePeerpayMessage(3, tip),
      ...framePeerpayMessage(4, { type: "paid", paymentHash: "ab".repeat(32) }),
    ]);
    const firstLength = framePeerpayMessage(3, tip).length;
    for (let cut = 0; cut < firstLength; cut++)
      expect(readExtendedFrame(stream.subarray(0, cut))).toBeUndefined();
    const first = readExtendedFrame(stream);
    expect(first?.frame.extendedId).toBe(3);
    expect(decodePeerpayMessage(first?.frame.payload ?? new Uint8Array())).toEqual(tip);
    const second = readExtendedFrame(first?.rest ?? new Uint8Array());
    expect(second?.frame.extendedId).toBe(4);
    expect(second?.rest.length).toBe(0);
  });

  it("refuses a frame whose message id is not 20 (extended)", () => {
    const frame = framePeerpayMessage(3, tip);
    frame[4] = 7; // a `piece` message
    expect(invalidMessage(() => readExtendedFrame(frame))).toContain("message id 7 is not 20");
  });

  it("refuses a length prefix over the limit before the body arrives, and one too short for an extended message", () => {
    const huge = Uint8Array.of(0xff, 0xff, 0xff, 0xff);
    expect(invalidMessage(() => readExtendedFrame(huge))).toContain(`over ${BEP10_MAX_FRAME_BYTES}`);
    expect(invalidMessage(() => readExtendedFrame(Uint8Array.of(0, 0, 0, 1, 20)))).toContain("too short");
    expect(invalidMessage(() => readExtendedFrame(Uint8Array.of(0, 0, 0, 0)))).toContain("too short");
  });

  it("refuses a truncated frame and trailing bytes when exactly one frame is expected", () => {
    const frame = framePeerpayMessage(3, tip);
    expect(invalidMessage(() => parseExtendedFrame(frame.subarray(0, frame.length - 1)))).toContain(
      "truncated",
    );
    expect(invalidMessage(() => parseExtendedFrame(new Uint8Array([...frame, 0])))).toContain(
      "1 bytes follow",
    );
  });

  it("refuses extended id 0 for a peerpay message and ids outside 0-255", () => {
    expect(invalidMessage(() => framePeerpayMessage(0, tip))).toContain("handshake");
    expect(invalidMessage(() => frameExtendedMessage(256, new Uint8Array()))).toContain("0 to 255");
    expect(invalidMessage(() => frameExtendedMessage(1.5, new Uint8Array()))).toContain("0 to 255");
  });

  it("reads a frame out of a larger buffer at a non-zero offset", () => {
    const backing = new Uint8Array([9, 9, 9, ...framePeerpayMessage(5, tip)]);
    const frame = parseExtendedFrame(backing.subarray(3));
    expect(frame.extendedId).toBe(5);
    expect(decodePeerpayMessage(frame.payload)).toEqual(tip);
  });
});
