/**
 * The WebUI session: login that works on qBittorrent 4.x (cookie `SID`, 200 "Ok."/"Fails.") and 5.2+
 * (cookie `QBT_SID_<port>`, 204/401), and requests through @ctrl/qbittorrent's `request()` with a
 * timeout each. Five failed logins ban the caller's IP for an hour, so a rejected password is
 * latched (no new attempt before `loginRetryDelayMs`), a 403 on login backs off for an hour, and an
 * expired session is re-logged in at most once per request. The password never reaches a log or
 * an error message.
 */
import { QBittorrent } from "@ctrl/qbittorrent";
import { BridgeError, type ErrorCode } from "@peerpay/core";

export interface QbittorrentLogger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
}

export interface QbittorrentSessionOptions {
  readonly baseUrl: string;
  readonly username?: string;
  /** Omit when the WebUI lets this host in without a login (AuthSubnetWhitelist / LocalHostAuth). */
  readonly password?: string;
  readonly requestTimeoutMs: number;
  readonly loginRetryDelayMs: number;
  readonly ipBanBackoffMs: number;
  readonly logger?: QbittorrentLogger;
  /** Called after a re-login forced by a 401/403 (the daemon restarted or dropped the session). */
  readonly onSessionRenewed?: () => void;
}

export interface QbittorrentRequest {
  readonly method?: "GET" | "POST";
  readonly query?: Record<string, string>;
  readonly form?: Record<string, string>;
}

export interface QbittorrentSession {
  readonly client: QBittorrent;
  /** Logs in now (unless a previous failure is latched). */
  login(): Promise<void>;
  /** Calls `/api/v2/<path>` and returns the body text. */
  request(path: string, request?: QbittorrentRequest): Promise<string>;
  /** Name of the session cookie the daemon set ("SID", "QBT_SID_8080", …), once logged in. */
  readonly cookieName: string | undefined;
  /** Number of logins this session has sent, successful or not. */
  readonly loginAttempts: number;
}

const bridgeName = "qbittorrent";
const farFuture = new Date(8.64e15);
/** A placeholder sid for @ctrl/qbittorrent's state: never sent (our Cookie header replaces it). */
const managedSid = "managed-by-peerpay";

export function createQbittorrentSession(options: QbittorrentSessionOptions): QbittorrentSession {
  const baseUrl = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
  const client = new QBittorrent({ baseUrl, timeout: options.requestTimeoutMs });
  const needsLogin = options.password !== undefined;
  let cookie: { name: string; value: string } | undefined;
  let loggedIn = !needsLogin;
  let inFlight: Promise<void> | undefined;
  let credentialsRejectedAt: number | undefined;
  let ipBannedUntil: number | undefined;
  let loginAttempts = 0;
  const recentRelogins: number[] = [];

  const fail = (
    operation: string,
    code: ErrorCode,
    message: string,
    extra: { cause?: unknown; retryable?: boolean } = {},
  ) => new BridgeError(bridgeName, operation, code, message, { ...extra, details: { baseUrl } });

  const performLogin = async (): Promise<void> => {
    const now = Date.now();
    if (ipBannedUntil !== undefined && now < ipBannedUntil) {
      throw fail(
        "login",
        "BACKEND_PERMISSION_DENIED",
        `the WebUI banned this address after failed logins; not trying again before ${new Date(ipBannedUntil).toISOString()}`,
      );
    }
    if (credentialsRejectedAt !== undefined && now - credentialsRejectedAt < options.loginRetryDelayMs) {
      throw fail(
        "login",
        "BACKEND_AUTH_FAILED",
        `the WebUI rejected the username or password; not retrying for ${Math.ceil((credentialsRejectedAt + options.loginRetryDelayMs - now) / 1000)} s (five failures ban this address for an hour)`,
      );
    }
    loginAttempts++;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${baseUrl}api/v2/auth/login`, {
        method: "POST",
        body: new URLSearchParams({
          username: options.username ?? "admin",
          password: options.password ?? "",
        }),
        redirect: "manual",
        signal: AbortSignal.timeout(options.requestTimeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw transportError("login", error, baseUrl);
    }
    if (response.status === 403) {
      ipBannedUntil = Date.now() + options.ipBanBackoffMs;
      throw fail(
        "login",
        "BACKEND_PERMISSION_DENIED",
        "the WebUI refused the login with 403: it banned this address after too many failed logins",
      );
    }
    const rejected = response.status === 401 || (response.status === 200 && text.trim() === "Fails.");
    if (rejected) {
      credentialsRejectedAt = Date.now();
      throw fail("login", "BACKEND_AUTH_FAILED", "the WebUI rejected the username or password", {
        retryable: false,
      });
    }
    const accepted = response.status === 204 || (response.status === 200 && text.trim() === "Ok.");
    if (!accepted) {
      throw fail("login", "BACKEND_PROTOCOL_ERROR", `unexpected login answer: HTTP ${response.status}`);
    }
    credentialsRejectedAt = undefined;
    cookie = parseSessionCookie(response.headers.get("set-cookie"));
    client.state.auth = { sid: cookie?.value || managedSid, expires: farFuture };
    loggedIn = true;
    options.logger?.debug?.(`[qbittorrent] logged in to ${baseUrl} (cookie ${cookie?.name ?? "none"})`);
  };

  const login = (): Promise<void> => {
    if (!needsLogin) return Promise.resolve();
    inFlight ??= performLogin().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const send = async (path: string, request: QbittorrentRequest): Promise<string> => {
    // @ctrl/qbittorrent logs in by itself (a failed login counts toward the WebUI's IP ban) when its
    // auth state has no sid; we own login, so it always has one, and we set the Cookie header.
    client.state.auth = { sid: cookie?.value || managedSid, expires: farFuture };
    const headers: Record<string, string> = { Cookie: cookie ? `${cookie.name}=${cookie.value}` : "" };
    const method = request.method ?? (request.form ? "POST" : "GET");
    const body = request.form ? new URLSearchParams(request.form) : undefined;
    return client.request<string>(`/${path}`, method, request.query, body, headers, false);
  };

  const request = async (path: string, request: QbittorrentRequest = {}): Promise<string> => {
    if (!loggedIn) await login();
    try {
      return await send(path, request);
    } catch (error) {
      const status = statusOf(error);
      if ((status === 403 || status === 401) && needsLogin) {
        // The session expired or the daemon restarted: log in again, once for this request, and
        // not more than three times a minute overall.
        const now = Date.now();
        while (recentRelogins.length > 0 && now - (recentRelogins[0] ?? 0) > 60_000) recentRelogins.shift();
        if (recentRelogins.length >= 3) {
          throw fail(
            path,
            "BACKEND_PERMISSION_DENIED",
            `HTTP ${status} again right after logging in; not retrying`,
          );
        }
        recentRelogins.push(now);
        loggedIn = false;
        cookie = undefined;
        await login();
        options.onSessionRenewed?.();
        try {
          return await send(path, request);
        } catch (retryError) {
          throw mapRequestError(path, retryError, baseUrl);
        }
      }
      if ((status === 403 || status === 401) && !needsLogin) {
        throw fail(path, "BACKEND_AUTH_FAILED", `HTTP ${status}: the WebUI wants a login; set a password`);
      }
      throw mapRequestError(path, error, baseUrl);
    }
  };

  return {
    client,
    login,
    request,
    get cookieName() {
      return cookie?.name;
    },
    get loginAttempts() {
      return loginAttempts;
    },
  };
}

/** The first `name=value` of a Set-Cookie header: `SID=…` on 4.x, `QBT_SID_<port>=…` on 5.2+. */
export function parseSessionCookie(header: string | null): { name: string; value: string } | undefined {
  if (!header) return undefined;
  const match = /^\s*([^=;,\s]+)=([^;,]*)/.exec(header);
  if (!match?.[1]) return undefined;
  return { name: match[1], value: match[2] ?? "" };
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const candidate = error as { status?: unknown; statusCode?: unknown; response?: { status?: unknown } };
  const status = candidate.status ?? candidate.statusCode ?? candidate.response?.status;
  return typeof status === "number" ? status : undefined;
}

function mapRequestError(operation: string, error: unknown, baseUrl: string): BridgeError {
  const status = statusOf(error);
  if (status === undefined) return transportError(operation, error, baseUrl);
  const details = { baseUrl, status };
  if (status === 404)
    return new BridgeError(bridgeName, operation, "NOT_FOUND", "HTTP 404", { cause: error, details });
  if (status === 400 || status === 409 || status === 415)
    return new BridgeError(bridgeName, operation, "INVALID_INPUT", `HTTP ${status}`, {
      cause: error,
      details,
    });
  if (status === 401 || status === 403)
    return new BridgeError(bridgeName, operation, "BACKEND_PERMISSION_DENIED", `HTTP ${status}`, {
      cause: error,
      details,
    });
  if (status >= 500)
    return new BridgeError(bridgeName, operation, "BACKEND_UNAVAILABLE", `HTTP ${status}`, {
      cause: error,
      details,
    });
  return new BridgeError(bridgeName, operation, "BACKEND_PROTOCOL_ERROR", `HTTP ${status}`, {
    cause: error,
    details,
  });
}

function transportError(operation: string, error: unknown, baseUrl: string): BridgeError {
  const text = describeCause(error);
  const timedOut = /TimeoutError|AbortError|ETIMEDOUT|UND_ERR_.*TIMEOUT/i.test(text);
  return new BridgeError(
    bridgeName,
    operation,
    timedOut ? "TIMEOUT" : "BACKEND_UNAVAILABLE",
    timedOut
      ? `no answer from the WebUI at ${baseUrl} in time`
      : `cannot reach the WebUI at ${baseUrl} (${text})`,
    { cause: error, details: { baseUrl } },
  );
}

function describeCause(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  // DOMException (TimeoutError, AbortError) is not an Error subclass everywhere: check the shape.
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const candidate = current as { code?: unknown; name?: unknown; cause?: unknown };
    parts.push(typeof candidate.code === "string" ? candidate.code : String(candidate.name ?? "Error"));
    current = candidate.cause;
  }
  return parts.join(" ← ") || String(error).slice(0, 80);
}
