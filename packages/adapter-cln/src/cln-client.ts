/**
 * Typed Core Lightning calls over either transport: each answer is checked against the schema of
 * its method before use. Also knows which methods the node's version has (`decode` since v23.05,
 * `decodepay` removed in v26.04, `xpay` since v24.11).
 */
import { AdapterError } from "@peerpay/core";
import { ADAPTER_NAME, clnErrorCodes, isClnRpcError } from "./cln-errors.js";
import {
  type ClnMethod,
  type ClnResponse,
  type DecodepayResponse,
  decodeBolt11Schema,
  type GetinfoResponse,
  responseSchemas,
} from "./cln-schemas.js";
import type { ClnCallOptions, ClnTransport } from "./cln-transport.js";

export interface ClnVersion {
  readonly major: number;
  readonly minor: number;
  readonly text: string;
}

/** Parses "v26.06.6", "v24.11rc1", "v23.05.2-modded", "26.04"; unknown forms count as newest. */
export function parseClnVersion(text: string): ClnVersion {
  const match = /^v?(\d+)\.(\d+)/.exec(text.trim());
  if (!match) return { major: Number.MAX_SAFE_INTEGER, minor: 0, text };
  return { major: Number(match[1]), minor: Number(match[2]), text };
}

export function versionAtLeast(version: ClnVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

/** The bolt11 fields of `decode`/`decodepay`, normalised to decodepay's shape. */
export type ClnDecodedBolt11 = DecodepayResponse;

export interface ClnClient {
  readonly transport: ClnTransport;
  call<M extends ClnMethod>(
    method: M,
    params: Record<string, unknown>,
    options?: ClnCallOptions,
  ): Promise<ClnResponse<M>>;
  /** getinfo, cached after the first answer (the version does not change while connected). */
  getinfo(refresh?: boolean): Promise<GetinfoResponse>;
  version(): Promise<ClnVersion>;
  /** `decode` on v23.05+, `decodepay` before; falls back to the other on "Unknown command". */
  decodeBolt11(invoice: string): Promise<ClnDecodedBolt11>;
}

export function createClnClient(transport: ClnTransport): ClnClient {
  let info: GetinfoResponse | undefined;

  async function call<M extends ClnMethod>(
    method: M,
    params: Record<string, unknown>,
    options?: ClnCallOptions,
  ): Promise<ClnResponse<M>> {
    const raw = await transport.call(method, params, options);
    const parsed = responseSchemas[method].safeParse(raw);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join(".") || "(root)").slice(0, 5);
      throw new AdapterError(
        ADAPTER_NAME,
        method,
        "BACKEND_PROTOCOL_ERROR",
        `lightningd's answer does not match the ${method} schema (fields: ${fields.join(", ")})`,
        { details: { fields } },
      );
    }
    return parsed.data as ClnResponse<M>;
  }

  async function getinfo(refresh = false): Promise<GetinfoResponse> {
    if (!info || refresh) info = await call("getinfo", {});
    return info;
  }

  async function decodeWith(method: "decode" | "decodepay", invoice: string): Promise<ClnDecodedBolt11> {
    if (method === "decodepay") return call("decodepay", { bolt11: invoice });
    const decoded = await call("decode", { string: invoice });
    const bolt11 = decodeBolt11Schema.safeParse(decoded);
    if (!bolt11.success) {
      throw new AdapterError(ADAPTER_NAME, "decode", "INVALID_INPUT", "not a valid BOLT11 invoice", {
        details: { type: decoded.type, valid: decoded.valid },
      });
    }
    const { type: _type, valid: _valid, ...fields } = bolt11.data;
    return fields as ClnDecodedBolt11;
  }

  return {
    transport,
    call,
    getinfo,
    async version() {
      return parseClnVersion((await getinfo()).version);
    },
    async decodeBolt11(invoice: string) {
      const version = parseClnVersion((await getinfo()).version);
      const preferred = versionAtLeast(version, 23, 5) ? "decode" : "decodepay";
      try {
        return await decodeWith(preferred, invoice);
      } catch (error) {
        // A node whose version string misleads us (a custom build): try the other method once.
        if (isClnRpcError(error, clnErrorCodes.JSONRPC2_METHOD_NOT_FOUND)) {
          return decodeWith(preferred === "decode" ? "decodepay" : "decode", invoice);
        }
        throw error;
      }
    },
  };
}
