import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonStreamError, JsonStreamSplitter } from "./cln-json-stream.js";

const splitter = (maxValueBytes = 1 << 20) => new JsonStreamSplitter({ maxValueBytes });

describe("JsonStreamSplitter", () => {
  it("returns several responses that arrive in one chunk, in order", () => {
    const stream = splitter();
    const chunk = Buffer.from(
      '{"id":1,"result":{}}\n\n{"id":2,"result":{"a":[1,2]}}\n\n{"id":3,"error":{"code":-1}}\n\n',
    );
    expect(stream.push(chunk).map((text) => JSON.parse(text).id)).toEqual([1, 2, 3]);
    expect(stream.pendingBytes).toBe(0);
  });

  it("reassembles one response split into single bytes, including a multi-byte character", () => {
    const stream = splitter();
    const text =
      '{"jsonrpc":"2.0","id":"x","result":{"description":"café ☕ {not a brace} \\"quoted\\" \\\\"}}';
    const bytes = Buffer.from(`${text}\n\n`);
    const values: string[] = [];
    for (let index = 0; index < bytes.length; index++)
      values.push(...stream.push(bytes.subarray(index, index + 1)));
    expect(values).toHaveLength(1);
    expect(JSON.parse(values[0] as string)).toEqual(JSON.parse(text));
  });

  it("does not split on blank lines or braces inside strings", () => {
    const stream = splitter();
    const value = { message: "line one\n\nline two }{ ]" };
    const values = stream.push(Buffer.from(`${JSON.stringify(value)}\n\n`));
    expect(values.map((text) => JSON.parse(text))).toEqual([value]);
  });

  it("fails on bytes that cannot start a JSON value and stays failed", () => {
    const stream = splitter();
    expect(() => stream.push(Buffer.from('{"a":1}\n\nHTTP/1.1 200 OK'))).toThrow(JsonStreamError);
    expect(() => stream.push(Buffer.from('{"a":1}'))).toThrow(/unexpected byte/);
  });

  it("fails on a value larger than the limit, even when it arrives in pieces", () => {
    const stream = splitter(64);
    stream.push(Buffer.from(`{"padding":"${"x".repeat(40)}`));
    let error: unknown;
    try {
      stream.push(Buffer.from(`${"y".repeat(40)}"}`));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JsonStreamError);
    expect((error as JsonStreamError).reason).toBe("oversized");
  });

  it("accepts a value of exactly the limit", () => {
    const text = `{"a":"${"x".repeat(10)}"}`;
    expect(splitter(Buffer.byteLength(text)).push(Buffer.from(text))).toEqual([text]);
  });

  it("recovers every value of any stream cut at any points (property)", () => {
    const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), {
      maxKeys: 5,
    });
    fc.assert(
      fc.property(
        fc.array(jsonObject, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.constantFrom("", "\n", "\n\n", " \r\n\t"),
        (values, cuts, separator) => {
          const bytes = Buffer.from(values.map((value) => JSON.stringify(value) + separator).join(""));
          const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
          const stream = splitter();
          const out: unknown[] = [];
          let previous = 0;
          for (const point of [...points, bytes.length]) {
            out.push(...stream.push(bytes.subarray(previous, point)).map((text) => JSON.parse(text)));
            previous = point;
          }
          expect(out).toEqual(values.map((value) => JSON.parse(JSON.stringify(value))));
        },
      ),
      { numRuns: 300 },
    );
  });
});
