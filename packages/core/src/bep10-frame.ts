/**
 * BitTorrent framing of BEP-10 messages: `<length: uint32 big-endian><20><extended id><payload>`,
 * where the length counts every byte after itself. The codec functions deal in payloads; these
 * helpers add and remove the frame for client authors who write to the peer socket themselves.
 */
import { encodePeerpayMessage } from "./bep10-codec.js";
import { encodeBep10Handshake } from "./bep10-handshake.js";
import {
  BEP10_HANDSHAKE_ID,
  BEP10_MAX_HANDSHAKE_BYTES,
  BEP10_MESSAGE_ID,
  type Bep10Handshake,
  type PeerpayMessage,
} from "./bep10-messages.js";
import { PeerpayError } from "./errors.js";

/** The largest extended frame `readExtendedFrame` accepts: a maximal handshake plus its header. */
export const BEP10_MAX_FRAME_BYTES = 4 + 2 + BEP10_MAX_HANDSHAKE_BYTES;

export interface ExtendedFrame {
  /** 0 for the handshake; otherwise the id the receiver assigned in its handshake's `m`. */
  extendedId: number;
  payload: Uint8Array;
}

/** Frames a payload as a BitTorrent extended message. */
export function frameExtendedMessage(extendedId: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(extendedId) || extendedId < 0 || extendedId > 255) {
    throw new PeerpayError("INVALID_INPUT", "extended id must be an integer from 0 to 255", {
      details: { field: "extendedId" },
    });
  }
  const frame = new Uint8Array(6 + payload.length);
  new DataView(frame.buffer).setUint32(0, 2 + payload.length);
  frame[4] = BEP10_MESSAGE_ID;
  frame[5] = extendedId;
  frame.set(payload, 6);
  return frame;
}

/**
 * Frames a peerpay message for a peer: `extendedId` is the id that peer gave `peerpay` in its own
 * handshake (see `peerpayExtensionId`), never our own.
 */
export function framePeerpayMessage(extendedId: number, message: PeerpayMessage): Uint8Array {
  if (extendedId === BEP10_HANDSHAKE_ID) {
    throw new PeerpayError("INVALID_INPUT", "extended id 0 is the handshake, not a peerpay message", {
      details: { field: "extendedId" },
    });
  }
  return frameExtendedMessage(extendedId, encodePeerpayMessage(message));
}

/** Frames our extended handshake. */
export function frameBep10Handshake(handshake: Bep10Handshake): Uint8Array {
  return frameExtendedMessage(BEP10_HANDSHAKE_ID, encodeBep10Handshake(handshake));
}

/**
 * Reads one extended message from the start of `bytes` (data read from a peer socket).
 * Returns `undefined` while the frame is incomplete; otherwise the frame and the bytes after it.
 * A frame that is not an extended message, or is longer than `maxFrameBytes`, is INVALID_INPUT.
 */
export function readExtendedFrame(
  bytes: Uint8Array,
  maxFrameBytes = BEP10_MAX_FRAME_BYTES,
): { frame: ExtendedFrame; rest: Uint8Array } | undefined {
  if (bytes.length < 4) return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (length + 4 > maxFrameBytes) {
    throw new PeerpayError(
      "INVALID_INPUT",
      `extended frame of ${length + 4} bytes is over ${maxFrameBytes}`,
      {
        details: { bytes: length + 4, limit: maxFrameBytes },
      },
    );
  }
  if (length < 2) throw new PeerpayError("INVALID_INPUT", "frame is too short for an extended message");
  if (bytes.length >= 5 && bytes[4] !== BEP10_MESSAGE_ID) {
    throw new PeerpayError("INVALID_INPUT", `message id ${bytes[4]} is not ${BEP10_MESSAGE_ID} (extended)`, {
      details: { messageId: bytes[4] },
    });
  }
  if (bytes.length < length + 4) return undefined;
  return {
    frame: { extendedId: bytes[5] ?? 0, payload: bytes.slice(6, length + 4) },
    rest: bytes.subarray(length + 4),
  };
}

/** Reads a buffer that must hold exactly one complete extended message. */
export function parseExtendedFrame(bytes: Uint8Array, maxFrameBytes = BEP10_MAX_FRAME_BYTES): ExtendedFrame {
  const result = readExtendedFrame(bytes, maxFrameBytes);
  if (result === undefined) throw new PeerpayError("INVALID_INPUT", "extended frame is truncated");
  if (result.rest.length > 0) {
    throw new PeerpayError("INVALID_INPUT", `${result.rest.length} bytes follow the extended frame`);
  }
  return result.frame;
}
