// Types for the `bencode` package (v4 ships none), used by the interop tests of the BEP-10 codec.
declare module "bencode" {
  const bencode: {
    encode(value: unknown): Uint8Array;
    decode(data: Uint8Array, encoding?: string): unknown;
  };
  export default bencode;
}
