/**
 * A streaming splitter for a byte stream of concatenated JSON values, as lightningd reads and writes
 * them on its RPC socket: responses end with "\n\n", but a reader must not rely on line breaks
 * (plugins may emit newlines inside values; several responses can arrive in one chunk and one
 * response can be split across many). It tracks nesting depth and string/escape state byte by
 * byte, so no byte is scanned twice, and hands back each complete top-level value as text.
 *
 * Hand-written because no maintained npm package does incremental framing of a JSON stream with a
 * size cap and no dependencies; lightningd itself does the same with jsmn.
 */

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export class JsonStreamError extends Error {
  readonly reason: "malformed" | "oversized";
  constructor(reason: "malformed" | "oversized", message: string) {
    super(message);
    this.name = "JsonStreamError";
    this.reason = reason;
  }
}

export interface JsonStreamSplitterOptions {
  /** The largest single JSON value accepted, in bytes; a larger one is an "oversized" error. */
  readonly maxValueBytes: number;
}

/** Splits a byte stream into complete top-level JSON objects/arrays (as UTF-8 text). */
export class JsonStreamSplitter {
  readonly #maxValueBytes: number;
  /** Already-scanned chunks of the value in progress (each chunk is scanned once). */
  #parts: Buffer[] = [];
  #partsBytes = 0;
  #inValue = false;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #failed: JsonStreamError | undefined;

  constructor(options: JsonStreamSplitterOptions) {
    this.#maxValueBytes = options.maxValueBytes;
  }

  /** Bytes held for a value not yet complete. */
  get pendingBytes(): number {
    return this.#partsBytes;
  }

  /**
   * Feeds a chunk and returns the values it completed, in order. After an error the splitter
   * stays failed: the stream's framing is lost and the connection must be dropped.
   */
  push(chunk: Buffer): string[] {
    if (this.#failed) throw this.#failed;
    const values: string[] = [];
    /** Where the value in progress starts within this chunk (0 when it began in an earlier one). */
    let segmentStart = 0;
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index] as number;
      if (!this.#inValue) {
        if (isWhitespace(byte)) continue;
        if (byte !== OPEN_BRACE && byte !== OPEN_BRACKET) {
          throw this.#fail("malformed", `unexpected byte 0x${byte.toString(16)} between JSON values`);
        }
        this.#inValue = true;
        this.#depth = 1;
        segmentStart = index;
        continue;
      }
      if (this.#partsBytes + (index - segmentStart) >= this.#maxValueBytes) {
        throw this.#fail("oversized", `a JSON value exceeded ${this.#maxValueBytes} bytes`);
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (byte === BACKSLASH) this.#escaped = true;
        else if (byte === QUOTE) this.#inString = false;
      } else if (byte === QUOTE) {
        this.#inString = true;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        this.#depth++;
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.#depth--;
        if (this.#depth === 0) {
          const tail = chunk.subarray(segmentStart, index + 1);
          const whole = this.#parts.length === 0 ? tail : Buffer.concat([...this.#parts, tail]);
          values.push(whole.toString("utf8"));
          this.#parts = [];
          this.#partsBytes = 0;
          this.#inValue = false;
        }
      }
    }
    if (this.#inValue) {
      const rest = chunk.subarray(segmentStart);
      this.#parts.push(rest);
      this.#partsBytes += rest.length;
    }
    return values;
  }

  #fail(reason: "malformed" | "oversized", message: string): JsonStreamError {
    this.#failed = new JsonStreamError(reason, message);
    this.#parts = [];
    this.#partsBytes = 0;
    return this.#failed;
  }
}
