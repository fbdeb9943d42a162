/**
 * Reads the permissions baked into an LND macaroon, offline, so the adapter can say at start what
 * a macaroon is missing for its role (a network check, `CheckMacaroonPermissions`, itself needs
 * `macaroon:read`, which an invoice macaroon lacks).
 *
 * Format: the macaroon is serialized in the libmacaroons v2 binary format (version byte 2, then
 * fields `type varint, length varint, bytes`; the identifier is field type 2). LND bakes its
 * macaroons with go-macaroon-bakery, whose identifier is a version byte (3) followed by the
 * protobuf `MacaroonId { bytes nonce = 1; bytes storageId = 2; repeated Op ops = 3; }` with
 * `Op { string entity = 1; repeated string actions = 2; }`. The parsing is hand-written (about 50
 * lines) because no maintained npm package decodes bakery identifiers.
 */
import type { LndRole } from "./lnd-options.js";

/** `entity:action` strings such as `invoices:read`, or `uri:/lnrpc.Lightning/AddInvoice`. */
export type LndPermission = string;

export interface MacaroonPermissions {
  /** Undefined when the macaroon is not in LND's format (then no offline check is possible). */
  readonly permissions: ReadonlySet<LndPermission> | undefined;
}

function readVarint(bytes: Uint8Array, start: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  let position = start;
  for (;;) {
    const byte = bytes[position];
    if (byte === undefined || shift > 28) throw new Error("truncated varint");
    value += (byte & 0x7f) * 2 ** shift;
    position += 1;
    if ((byte & 0x80) === 0) return [value, position];
    shift += 7;
  }
}

/** Length-delimited protobuf fields (wire type 2) of a message; other wire types are skipped. */
function protobufFields(bytes: Uint8Array): Array<[field: number, value: Uint8Array]> {
  const fields: Array<[number, Uint8Array]> = [];
  let position = 0;
  while (position < bytes.length) {
    const [key, afterKey] = readVarint(bytes, position);
    const wireType = key & 7;
    if (wireType === 2) {
      const [length, afterLength] = readVarint(bytes, afterKey);
      if (afterLength + length > bytes.length) throw new Error("truncated field");
      fields.push([key >>> 3, bytes.subarray(afterLength, afterLength + length)]);
      position = afterLength + length;
    } else if (wireType === 0) {
      position = readVarint(bytes, afterKey)[1];
    } else {
      throw new Error("unexpected wire type");
    }
  }
  return fields;
}

/** The identifier of a v2 binary macaroon. */
function macaroonIdentifier(macaroon: Uint8Array): Uint8Array {
  if (macaroon[0] !== 2) throw new Error("not a v2 binary macaroon");
  let position = 1;
  while (position < macaroon.length) {
    const [type, afterType] = readVarint(macaroon, position);
    if (type === 0) break;
    const [length, afterLength] = readVarint(macaroon, afterType);
    if (type === 2) return macaroon.subarray(afterLength, afterLength + length);
    position = afterLength + length;
  }
  throw new Error("no identifier");
}

export function readMacaroonPermissions(macaroonHex: string): MacaroonPermissions {
  try {
    const identifier = macaroonIdentifier(Buffer.from(macaroonHex, "hex"));
    if (identifier[0] !== 3) return { permissions: undefined };
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const permissions = new Set<LndPermission>();
    for (const [field, value] of protobufFields(identifier.subarray(1))) {
      if (field !== 3) continue;
      let entity = "";
      const actions: string[] = [];
      for (const [opField, opValue] of protobufFields(value)) {
        if (opField === 1) entity = decoder.decode(opValue);
        if (opField === 2) actions.push(decoder.decode(opValue));
      }
      for (const action of actions) permissions.add(`${entity}:${action}`);
    }
    return { permissions };
  } catch {
    return { permissions: undefined };
  }
}

/** What each role calls, by permission and by the RPC URI (LND accepts either kind). */
const requirements: Record<
  "seller" | "buyer",
  ReadonlyArray<{ permission: string; uris: string[]; for: string }>
> = {
  seller: [
    { permission: "invoices:write", uris: ["/lnrpc.Lightning/AddInvoice"], for: "creating invoices" },
    {
      permission: "invoices:read",
      uris: [
        "/lnrpc.Lightning/LookupInvoice",
        "/lnrpc.Lightning/SubscribeInvoices",
        "/lnrpc.Lightning/ListInvoices",
      ],
      for: "looking up and streaming invoices",
    },
  ],
  buyer: [
    { permission: "offchain:write", uris: ["/routerrpc.Router/SendPaymentV2"], for: "paying invoices" },
    {
      permission: "offchain:read",
      uris: ["/lnrpc.Lightning/DecodePayReq", "/routerrpc.Router/TrackPaymentV2"],
      for: "decoding invoices and tracking payments",
    },
  ],
};

/** Lists what the macaroon lacks for the role, as readable sentences; empty when it has all. */
export function missingPermissions(granted: ReadonlySet<LndPermission>, role: LndRole): string[] {
  const roles: Array<"seller" | "buyer"> = role === "both" ? ["seller", "buyer"] : [role];
  const missing: string[] = [];
  for (const name of roles) {
    for (const requirement of requirements[name]) {
      const viaUri = requirement.uris.every((uri) => granted.has(`uri:${uri}`));
      if (!granted.has(requirement.permission) && !viaUri) {
        missing.push(`${requirement.permission} (for ${requirement.for}, needed by the ${name} role)`);
      }
    }
  }
  return missing;
}

export function permissionAdvice(role: LndRole): string {
  if (role === "seller") {
    return "use invoice.macaroon, or bake one: lncli bakemacaroon invoices:read invoices:write info:read";
  }
  if (role === "buyer") {
    return "use admin.macaroon, or bake one: lncli bakemacaroon offchain:read offchain:write info:read";
  }
  return "use admin.macaroon, or bake one: lncli bakemacaroon invoices:read invoices:write offchain:read offchain:write info:read";
}
