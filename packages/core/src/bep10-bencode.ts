/**
 * A strict bencode reader and writer for the BEP-10 payment messages (docs/protocol.md, section 10).
 *
 * Why not the `bencode` package at run time: bencode@4 reads every integer into a JS number, so
 * amounts above 2^53 msat come back changed, and it silently drops `bigint` values when encoding
 * (webtorrent/node-bencode#143). Money here is `bigint` up to MAX_MSAT (2.1 × 10^18), so integers
 * are read and written as `bigint`. The reader is also strict where that package is lenient: it
 * refuses truncated strings, trailing bytes, leading zeros, `-0`, duplicate keys and (for our own
 * messages) unsorted keys, and bounds depth and integer length. The tests check byte-for-byte
 * agreement with the `bencode` package wherever that package is exact.
 */
import { PeerpayError } from "./errors.js";

export type BencodeValue = bigint | Uint8Array | BencodeValue[] | BencodeDictionary;
/** A decoded dictionary: keys are the UTF-8 text of the key bytes; the object has no prototype. */
export interface BencodeDictionary {
  [key: string]: BencodeValue;
}
/** What the writer accepts: text becomes a UTF-8 byte string, safe integers and bigints integers. */
export type BencodeInput =
  | bigint
  | number
  | string
  | Uint8Array
  | readonly BencodeInput[]
  | { readonly [key: string]: BencodeInput | undefined };

export interface BencodeReadOptions {
  /** Nesting limit for lists and dictionaries (default 8). */
  maxDepth?: number;
  /** Refuse dictionaries whose keys are not in ascending byte order, as BEP 3 requires (default true). */
  requireSortedKeys?: boolean;
}

const encoder = new TextEncoder();
const keyDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const maxIntegerDigits = 40;
const [charI, charL, charD, charE, colon, zero, nine] = [0x69, 0x6c, 0x64, 0x65, 0x3a, 0x30, 0x39];

/** Encodes a value; dictionary keys are written in ascending byte order, `undefined` entries skipped. */
export function encodeBencode(value: BencodeInput): Uint8Array {
  const chunks: Uint8Array[] = [];
  write(value, chunks, 0);
  const result = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    result.set(chunk, offset);
    offset += chunk.length;
  }
  return result;
}

function write(value: BencodeInput, chunks: Uint8Array[], depth: number): void {
  if (depth > 32) throw invalid("value is nested too deeply to encode");
  if (typeof value === "bigint") {
    chunks.push(encoder.encode(`i${value}e`));
  } else if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw invalid(`${value} is not a safe integer`);
    chunks.push(encoder.encode(`i${value}e`));
  } else if (typeof value === "string") {
    writeBytes(encoder.encode(value), chunks);
  } else if (value instanceof Uint8Array) {
    writeBytes(value, chunks);
  } else if (Array.isArray(value)) {
    chunks.push(Uint8Array.of(charL));
    for (const item of value as readonly BencodeInput[]) write(item, chunks, depth + 1);
    chunks.push(Uint8Array.of(charE));
  } else {
    const entries = Object.entries(value)
      .filter((entry): entry is [string, BencodeInput] => entry[1] !== undefined)
      .map(([key, item]) => [encoder.encode(key), item] as const)
      .sort((left, right) => compareBytes(left[0], right[0]));
    chunks.push(Uint8Array.of(charD));
    for (const [key, item] of entries) {
      writeBytes(key, chunks);
      write(item, chunks, depth + 1);
    }
    chunks.push(Uint8Array.of(charE));
  }
}

function writeBytes(bytes: Uint8Array, chunks: Uint8Array[]): void {
  chunks.push(encoder.encode(`${bytes.length}:`), bytes);
}

/** Decodes exactly one value that spans all of `bytes`; anything else is INVALID_INPUT. */
export function decodeBencode(bytes: Uint8Array, options: BencodeReadOptions = {}): BencodeValue {
  const reader = new Reader(bytes, options.maxDepth ?? 8, options.requireSortedKeys ?? true);
  const value = reader.value(0);
  if (reader.position !== bytes.length) throw invalid(`trailing bytes after position ${reader.position}`);
  return value;
}

class Reader {
  position = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxDepth: number,
    private readonly requireSortedKeys: boolean,
  ) {}

  value(depth: number): BencodeValue {
    const lead = this.peek();
    if (lead === charI) return this.integer();
    if (lead >= zero && lead <= nine) return this.byteString();
    if (lead !== charL && lead !== charD)
      throw invalid(`unexpected byte 0x${lead.toString(16)} at ${this.position}`);
    if (depth >= this.maxDepth) throw invalid(`nesting deeper than ${this.maxDepth}`);
    this.position++;
    return lead === charL ? this.list(depth) : this.dictionary(depth);
  }

  private list(depth: number): BencodeValue[] {
    const items: BencodeValue[] = [];
    while (this.peek() !== charE) items.push(this.value(depth + 1));
    this.position++;
    return items;
  }

  private dictionary(depth: number): BencodeDictionary {
    const result = Object.create(null) as BencodeDictionary;
    let previous: Uint8Array | undefined;
    while (this.peek() !== charE) {
      if (this.peek() < zero || this.peek() > nine)
        throw invalid(`dictionary key is not a string at ${this.position}`);
      const keyBytes = this.byteString();
      const order = previous === undefined ? 1 : compareBytes(keyBytes, previous);
      if (order === 0) throw invalid("duplicate dictionary key");
      if (order < 0 && this.requireSortedKeys) throw invalid("dictionary keys are not sorted");
      let key: string;
      try {
        key = keyDecoder.decode(keyBytes);
      } catch {
        throw invalid("dictionary key is not UTF-8");
      }
      if (Object.hasOwn(result, key)) throw invalid("duplicate dictionary key");
      result[key] = this.value(depth + 1);
      previous = keyBytes;
    }
    this.position++;
    return result;
  }

  private integer(): bigint {
    const end = this.find(charE, maxIntegerDigits + 2);
    const text = String.fromCharCode(...this.bytes.subarray(this.position + 1, end));
    if (!/^(0|-?[1-9][0-9]*)$/.test(text)) throw invalid(`malformed integer at ${this.position}`);
    if (text.replace("-", "").length > maxIntegerDigits)
      throw invalid(`integer too long at ${this.position}`);
    this.position = end + 1;
    return BigInt(text);
  }

  private byteString(): Uint8Array {
    const separator = this.find(colon, 11);
    const text = String.fromCharCode(...this.bytes.subarray(this.position, separator));
    if (!/^(0|[1-9][0-9]*)$/.test(text)) throw invalid(`malformed string length at ${this.position}`);
    const length = Number(text);
    const start = separator + 1;
    if (length > this.bytes.length - start) throw invalid(`string of ${length} bytes is truncated`);
    this.position = start + length;
    return this.bytes.slice(start, this.position);
  }

  private peek(): number {
    const byte = this.bytes[this.position];
    if (byte === undefined) throw invalid("input is truncated");
    return byte;
  }

  /** The index of `byte` within `limit` bytes of the current position. */
  private find(byte: number, limit: number): number {
    const end = Math.min(this.bytes.length, this.position + limit + 1);
    for (let index = this.position; index < end; index++) if (this.bytes[index] === byte) return index;
    throw invalid(end === this.bytes.length ? "input is truncated" : `number too long at ${this.position}`);
  }
}

function compareBytes(left: Uint8Array, right: Uint8Array): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

function invalid(message: string): PeerpayError {
  return new PeerpayError("INVALID_INPUT", `bencode: ${message}`);
}
