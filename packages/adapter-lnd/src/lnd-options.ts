/**
 * Options for the LND adapter and how they are resolved: explicit options first, then environment
 * variables; the TLS certificate and the macaroon may each be a file path or the file's bytes as
 * base64 or hex (a PEM certificate's text is accepted too).
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { lndError } from "./lnd-errors.js";

/** Which half of the protocol this node plays; decides the macaroon permissions checked at start. */
export type LndRole = "seller" | "buyer" | "both";

export interface LndAdapterOptions {
  /** gRPC `host:port`. Env `LND_SOCKET`, then `LND_GRPC_HOST`; default `127.0.0.1:10009`. */
  readonly socket?: string;
  /** tls.cert: a path, base64 or hex of the file, or PEM text. Env `LND_CERT_PATH`, then `LND_CERT`. */
  readonly cert?: string;
  /** A macaroon: a path, or base64/hex of the file. Env `LND_MACAROON_PATH`, then `LND_MACAROON`. */
  readonly macaroon?: string;
  /** Default "both". A seller needs invoices:read+write; a buyer offchain:read+write. */
  readonly role?: LndRole;
  /** Give up waiting for a payment after this long by default (ms); it stays tracked. Default 60 000. */
  readonly paymentTimeoutMs?: number;
  /** How long LND may search for routes per payment (ms). Default 30 000. */
  readonly pathfindingTimeoutMs?: number;
  /** First and longest delay between invoice-stream reconnects (ms). Defaults 250 and 5 000. */
  readonly reconnectDelayMs?: { readonly initial?: number; readonly max?: number };
  /** Where env fallbacks are read from; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedLndOptions {
  readonly socket: string;
  /** Base64 of the certificate file, or undefined to use the system's CA roots. */
  readonly cert: string | undefined;
  /** Hex of the macaroon file. */
  readonly macaroonHex: string;
  readonly role: LndRole;
  readonly paymentTimeoutMs: number;
  readonly pathfindingTimeoutMs: number;
  readonly reconnectDelayMs: { readonly initial: number; readonly max: number };
  /** Every string form of the secrets, for the redactor. */
  readonly secrets: readonly string[];
}

const operation = "configure";
const hexPattern = /^(?:[0-9a-fA-F]{2})+$/;
const base64Pattern = /^[A-Za-z0-9+/_-]+={0,2}$/;

export function resolveLndOptions(options: LndAdapterOptions = {}): ResolvedLndOptions {
  const env = options.env ?? process.env;
  const socket = options.socket ?? env.LND_SOCKET ?? env.LND_GRPC_HOST ?? "127.0.0.1:10009";
  if (!/^[^\s/]+:\d{1,5}$/.test(socket) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(socket)) {
    throw lndError(operation, "INVALID_CONFIG", `socket must be host:port, got "${socket.slice(0, 80)}"`);
  }
  const certSource = options.cert ?? env.LND_CERT_PATH ?? env.LND_CERT;
  const macaroonSource = options.macaroon ?? env.LND_MACAROON_PATH ?? env.LND_MACAROON;
  if (macaroonSource === undefined || macaroonSource.trim() === "") {
    throw lndError(
      operation,
      "INVALID_CONFIG",
      "no macaroon: pass options.macaroon (a path, base64 or hex) or set LND_MACAROON_PATH",
    );
  }
  const certBytes =
    certSource === undefined || certSource.trim() === "" ? undefined : readCredential(certSource, "cert");
  const macaroonBytes = readCredential(macaroonSource, "macaroon");
  const cert = certBytes?.toString("base64");
  const macaroonHex = macaroonBytes.toString("hex");
  const delays = options.reconnectDelayMs ?? {};
  return {
    socket,
    cert,
    macaroonHex,
    role: options.role ?? "both",
    paymentTimeoutMs: positive(options.paymentTimeoutMs ?? 60_000, "paymentTimeoutMs"),
    pathfindingTimeoutMs: positive(options.pathfindingTimeoutMs ?? 30_000, "pathfindingTimeoutMs"),
    reconnectDelayMs: {
      initial: positive(delays.initial ?? 250, "reconnectDelayMs.initial"),
      max: positive(delays.max ?? 5_000, "reconnectDelayMs.max"),
    },
    secrets: [
      macaroonHex,
      macaroonHex.toUpperCase(),
      macaroonBytes.toString("base64"),
      macaroonBytes.toString("base64url"),
      macaroonSource,
      ...(certBytes ? [cert as string, certBytes.toString("hex"), certBytes.toString("utf8")] : []),
    ],
  };
}

/**
 * Reads a credential given as a path, PEM text, hex or base64. The value itself is never put in
 * an error message (it may be the secret); a path is, since it is not.
 */
export function readCredential(value: string, name: "cert" | "macaroon"): Buffer {
  const trimmed = value.trim();
  const path = trimmed.startsWith("~/") ? `${homedir()}${trimmed.slice(1)}` : trimmed;
  const looksLikePath = /^(\/|\.\.?\/|~\/)/.test(trimmed) && trimmed.length < 1024 && !trimmed.includes("\n");
  if (looksLikePath && existsSync(path)) {
    try {
      return readFileSync(path);
    } catch (error) {
      throw lndError(
        operation,
        "INVALID_CONFIG",
        `${name}: cannot read file ${path} (${(error as Error).message})`,
      );
    }
  }
  if (name === "cert" && trimmed.startsWith("-----BEGIN")) return Buffer.from(`${trimmed}\n`, "utf8");
  if (hexPattern.test(trimmed)) return Buffer.from(trimmed, "hex");
  if (trimmed.length >= 32 && base64Pattern.test(trimmed)) {
    return Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  }
  if (looksLikePath) throw lndError(operation, "INVALID_CONFIG", `${name}: no file at ${path}`);
  throw lndError(
    operation,
    "INVALID_CONFIG",
    `${name}: expected a file path, or the file's bytes as base64 or hex`,
  );
}

function positive(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw lndError(operation, "INVALID_CONFIG", `${field} must be a positive number of milliseconds`);
  }
  return value;
}
