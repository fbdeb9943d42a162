/**
 * Serves the merged blocklist to the daemon over HTTP on loopback (Transmission fetches
 * `blocklist-url` with libcurl; `file://` does not work), under a random path token so nothing
 * else on the host can guess it. The user's own list is fetched from their URL and cached: the
 * bridge's own updates use the cache (refreshed every `refreshMs`), and a fetch the bridge did
 * not start (the user pressed "update", or the daemon's own periodic refresh) re-fetches it, so
 * the user's edits reach the daemon as they always did.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import { BridgeError } from "@peerpay/core";
import { formatBlocklist } from "./transmission-blocklist.js";

const MAX_LIST_BYTES = 64 * 1024 * 1024;

export interface BlocklistServerOptions {
  /** Address to listen on, default "127.0.0.1". */
  readonly host: string;
  /** Default 0 (any free port). */
  readonly port: number;
  /** Host name or address the daemon uses to reach the server, default `host`. */
  readonly publicHost?: string;
  readonly fetchTimeoutMs: number;
  readonly refreshMs: number;
  readonly onWarning: (message: string) => void;
}

export interface BlocklistServer {
  readonly url: string;
  /** The user's own list URL (their original `blocklist-url`), or "" for none. */
  setUserListUrl(url: string): void;
  setBlocked(addresses: readonly string[]): void;
  /** Fetches the user's list if it is older than `refreshMs` (or always, with `force`). */
  refreshUserList(force: boolean): Promise<void>;
  /** The text the daemon gets now. */
  currentText(): string;
  /** Runs `action` with the daemon's fetches counted as the bridge's own. */
  asOwnUpdate<T>(action: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function startBlocklistServer(options: BlocklistServerOptions): Promise<BlocklistServer> {
  const path = `/peerpay-blocklist/${randomBytes(16).toString("hex")}/blocklist.p2p`;
  let userListUrl = "";
  let userList = "";
  let fetchedAt = 0;
  let fetchedUrl = "";
  let blocked: readonly string[] = [];
  let ownUpdates = 0;
  let inFlight: Promise<void> | undefined;
  let retryAfter = 0;

  const fetchUserList = async (): Promise<void> => {
    const url = userListUrl;
    const host = safeHost(url);
    const response = await fetch(url, { signal: AbortSignal.timeout(options.fetchTimeoutMs) }).catch(
      (error: unknown) => {
        throw new BridgeError(
          "transmission",
          "fetch user blocklist",
          "BACKEND_UNAVAILABLE",
          `could not fetch the user's blocklist from ${host}`,
          {
            cause: new Error(error instanceof Error ? error.name : "fetch failed"),
          },
        );
      },
    );
    if (!response.ok) {
      await response.arrayBuffer().catch(() => undefined);
      throw new BridgeError(
        "transmission",
        "fetch user blocklist",
        "BACKEND_UNAVAILABLE",
        `the user's blocklist at ${host} answered HTTP ${response.status}`,
      );
    }
    let bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > MAX_LIST_BYTES) {
      throw new BridgeError(
        "transmission",
        "fetch user blocklist",
        "PAYLOAD_TOO_LARGE",
        `the user's blocklist at ${host} is over 64 MiB`,
      );
    }
    if (bytes[0] === 0x1f && bytes[1] === 0x8b)
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_LIST_BYTES });
    if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
      // Transmission itself answers "success" with 0 rules for a zip: the list never worked.
      options.onWarning(
        `the user's blocklist at ${host} is a zip archive, which Transmission cannot read; it is left out`,
      );
      bytes = Buffer.alloc(0);
    }
    userList = bytes.toString("latin1");
    fetchedAt = Date.now();
    fetchedUrl = url;
  };

  const refresh = async (force: boolean): Promise<void> => {
    if (userListUrl === "") {
      userList = "";
      fetchedUrl = "";
      return;
    }
    const fresh = fetchedUrl === userListUrl && Date.now() - fetchedAt < options.refreshMs;
    if (!force && (fresh || Date.now() < retryAfter)) return;
    inFlight ??= fetchUserList()
      .catch((error: unknown) => {
        // A failing host is tried again by the bridge's own updates only once a minute.
        retryAfter = Date.now() + 60_000;
        throw error;
      })
      .finally(() => {
        inFlight = undefined;
      });
    await inFlight;
  };

  const server: Server = createServer((request, response) => {
    if (request.method !== "GET" || request.url?.split("?")[0] !== path) {
      response.writeHead(404).end();
      return;
    }
    const own = ownUpdates > 0;
    refresh(!own)
      .catch((error: unknown) => {
        // Keep serving the cached copy; the daemon keeps its old list if we answered an error.
        options.onWarning((error as Error).message);
      })
      .finally(() => {
        response.writeHead(200, { "content-type": "text/plain; charset=latin1" });
        response.end(formatBlocklist(userList, blocked));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const publicHost = options.publicHost ?? options.host;
  const hostPart = publicHost.includes(":") ? `[${publicHost}]` : publicHost;

  return {
    url: `http://${hostPart}:${port}${path}`,
    setUserListUrl(url) {
      userListUrl = url;
    },
    setBlocked(addresses) {
      blocked = [...addresses];
    },
    refreshUserList: refresh,
    currentText: () => formatBlocklist(userList, blocked),
    async asOwnUpdate(action) {
      ownUpdates++;
      try {
        return await action();
      } finally {
        ownUpdates--;
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The host of a URL, for messages: blocklist URLs can carry credentials in the path or query. */
export function safeHost(url: string): string {
  try {
    return new URL(url).host || "(no host)";
  } catch {
    return "(invalid URL)";
  }
}
