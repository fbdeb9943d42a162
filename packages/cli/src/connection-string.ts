/**
 * Connection strings name the parts a daemon drives, in one line each:
 *   transmission://user:pass@127.0.0.1:9091[/transmission/rpc]
 *   qbittorrent://user:pass@127.0.0.1:8080
 *   lnd://127.0.0.1:10009?cert=/path/tls.cert&macaroon=/path/admin.macaroon
 *   cln:///home/me/.lightning/regtest/lightning-rpc
 *   sim://            (the simulated network: not real money)
 * Secrets may also come from the environment (PEERPAY_CLIENT_PASSWORD, LND_MACAROON_PATH, …).
 * Errors name the key and never repeat the password.
 */
import { PeerpayError } from "@peerpay/core";

export type ClientConnection =
  | {
      readonly kind: "transmission";
      readonly url: string;
      readonly username: string;
      readonly password: string;
    }
  | {
      readonly kind: "qbittorrent";
      readonly url: string;
      readonly username: string;
      readonly password: string;
    };

export type LightningConnection =
  | { readonly kind: "sim" }
  | { readonly kind: "lnd"; readonly socket: string; readonly cert?: string; readonly macaroon?: string }
  | { readonly kind: "cln"; readonly socketPath: string }
  | { readonly kind: "cln-rest"; readonly url: string; readonly rune?: string };

export function parseClientConnection(
  value: string,
  key = "client",
  environment: NodeJS.ProcessEnv = process.env,
): ClientConnection {
  const url = parseUrl(value, key);
  const kind = url.protocol.slice(0, -1);
  if (kind !== "transmission" && kind !== "qbittorrent") {
    throw invalid(key, `unknown client "${kind}": use transmission://… or qbittorrent://…`);
  }
  if (!url.hostname) throw invalid(key, "needs a host, e.g. transmission://user:pass@127.0.0.1:9091");
  const username =
    decodeURIComponent(url.username) || environment.PEERPAY_CLIENT_USERNAME || defaultUser(kind);
  const password = decodeURIComponent(url.password) || environment.PEERPAY_CLIENT_PASSWORD || "";
  const port = url.port || (kind === "transmission" ? "9091" : "8080");
  const path =
    kind === "transmission"
      ? url.pathname && url.pathname !== "/"
        ? url.pathname
        : "/transmission/rpc"
      : "";
  const scheme = url.searchParams.get("tls") === "1" ? "https" : "http";
  return { kind, url: `${scheme}://${url.hostname}:${port}${path}`, username, password };
}

export function parseLightningConnection(
  value: string,
  key = "lightning",
  environment: NodeJS.ProcessEnv = process.env,
): LightningConnection {
  const url = parseUrl(value, key);
  const kind = url.protocol.slice(0, -1);
  switch (kind) {
    case "sim":
      return { kind: "sim" };
    case "lnd": {
      if (!url.hostname) throw invalid(key, "needs host:port, e.g. lnd://127.0.0.1:10009?cert=…&macaroon=…");
      return {
        kind: "lnd",
        socket: `${url.hostname}:${url.port || "10009"}`,
        ...optional("cert", url.searchParams.get("cert") ?? environment.LND_CERT_PATH),
        ...optional("macaroon", url.searchParams.get("macaroon") ?? environment.LND_MACAROON_PATH),
      };
    }
    case "cln": {
      if (url.hostname) {
        throw invalid(key, "a Core Lightning socket is a path: cln:///path/to/lightning-rpc (three slashes)");
      }
      if (!url.pathname || url.pathname === "/") throw invalid(key, "needs the path of lightning-rpc");
      return { kind: "cln", socketPath: decodeURIComponent(url.pathname) };
    }
    case "cln+https":
    case "cln+http": {
      const scheme = kind === "cln+https" ? "https" : "http";
      return {
        kind: "cln-rest",
        url: `${scheme}://${url.host}`,
        ...optional("rune", url.searchParams.get("rune") ?? environment.CLN_RUNE),
      };
    }
    default:
      throw invalid(key, `unknown Lightning backend "${kind}": use sim://, lnd://, cln:// or cln+https://`);
  }
}

/** The connection string with its password and secrets replaced, for logs and status pages. */
export function redactConnection(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = "***";
    for (const name of ["macaroon", "rune", "password", "token"]) {
      if (url.searchParams.has(name)) url.searchParams.set(name, "***");
    }
    return url.toString();
  } catch {
    return "<unparseable connection string>";
  }
}

function parseUrl(value: string, key: string): URL {
  if (typeof value !== "string" || value.trim() === "") throw invalid(key, "is empty");
  try {
    return new URL(value.trim());
  } catch {
    throw invalid(key, "is not a connection string such as transmission://user:pass@host:port");
  }
}

function defaultUser(kind: "transmission" | "qbittorrent"): string {
  return kind === "qbittorrent" ? "admin" : "";
}

function optional<K extends string>(name: K, value: string | null | undefined): { [P in K]?: string } {
  return (value ? { [name]: value } : {}) as { [P in K]?: string };
}

function invalid(key: string, message: string): PeerpayError {
  return new PeerpayError("INVALID_CONFIG", `${key}: ${message}`, { details: { key } });
}
