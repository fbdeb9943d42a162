import { describe, expect, it } from "vitest";
import { missingPermissions, permissionAdvice, readMacaroonPermissions } from "./lnd-macaroon.js";

/** Protobuf length-delimited field (wire type 2); lengths here stay below 128. */
function field(number: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(number << 3) | 2, value.length]), value]);
}

/** A macaroon in the v2 binary format with a go-macaroon-bakery v3 identifier, as LND bakes them. */
function bakeTestMacaroon(ops: Record<string, string[]>): string {
  const opMessages = Object.entries(ops).map(([entity, actions]) =>
    field(
      3,
      Buffer.concat([
        field(1, Buffer.from(entity)),
        ...actions.map((action) => field(2, Buffer.from(action))),
      ]),
    ),
  );
  const identifier = Buffer.concat([
    Buffer.from([3]),
    field(1, Buffer.alloc(24, 7)),
    field(2, Buffer.from("0")),
    ...opMessages,
  ]);
  const location = Buffer.from("lnd");
  const length = (value: Buffer) =>
    value.length < 128
      ? Buffer.from([value.length])
      : Buffer.from([(value.length & 0x7f) | 0x80, value.length >> 7]);
  return Buffer.concat([
    Buffer.from([2]),
    Buffer.from([1]),
    length(location),
    location,
    Buffer.from([2]),
    length(identifier),
    identifier,
    Buffer.from([0]),
    Buffer.from([0]),
    Buffer.from([6, 32]),
    Buffer.alloc(32, 9),
  ]).toString("hex");
}

const invoiceMacaroon = bakeTestMacaroon({
  address: ["read", "write"],
  invoices: ["read", "write"],
  onchain: ["read"],
});

describe("reading LND macaroon permissions offline", () => {
  it("lists entity:action pairs from the bakery identifier", () => {
    const { permissions } = readMacaroonPermissions(invoiceMacaroon);
    expect([...(permissions ?? [])].sort()).toEqual([
      "address:read",
      "address:write",
      "invoices:read",
      "invoices:write",
      "onchain:read",
    ]);
  });

  it("an invoice macaroon is enough for a seller, and says what a buyer lacks", () => {
    const { permissions } = readMacaroonPermissions(invoiceMacaroon);
    expect(missingPermissions(permissions as Set<string>, "seller")).toEqual([]);
    const missing = missingPermissions(permissions as Set<string>, "buyer");
    expect(missing.join("; ")).toMatch(/offchain:write.*paying invoices/);
    expect(missing.join("; ")).toMatch(/offchain:read/);
    expect(missingPermissions(permissions as Set<string>, "both")).toHaveLength(2);
    expect(permissionAdvice("buyer")).toContain("lncli bakemacaroon offchain:read offchain:write");
  });

  it("accepts per-RPC (uri:) permissions in place of entity permissions", () => {
    const { permissions } = readMacaroonPermissions(
      bakeTestMacaroon({
        uri: [
          "/routerrpc.Router/SendPaymentV2",
          "/lnrpc.Lightning/DecodePayReq",
          "/routerrpc.Router/TrackPaymentV2",
        ],
      }),
    );
    expect(missingPermissions(permissions as Set<string>, "buyer")).toEqual([]);
    expect(missingPermissions(permissions as Set<string>, "seller")).toHaveLength(2);
  });

  it("returns undefined (no offline check) for anything that is not an LND macaroon", () => {
    expect(readMacaroonPermissions("").permissions).toBeUndefined();
    expect(readMacaroonPermissions("0201").permissions).toBeUndefined();
    expect(
      readMacaroonPermissions(Buffer.from("not a macaroon at all").toString("hex")).permissions,
    ).toBeUndefined();
    const truncated = invoiceMacaroon.slice(0, 40);
    expect(readMacaroonPermissions(truncated).permissions).toBeUndefined();
  });
});
