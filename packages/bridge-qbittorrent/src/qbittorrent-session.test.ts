/**
 * Login handling for qBittorrent 5.2's protocol, against a PROTOCOL-LEVEL DOUBLE (qBittorrent 5.2
 * cannot be installed here; Debian 12 ships 4.5.2, which the other tests drive for real). The double
 * answers like 5.2's webapplication.cpp: login 204 with cookie `QBT_SID_<port>`, 401 on bad
 * credentials, 403 for an unauthenticated call and for a caller banned after failed logins.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isPeerpayError } from "@peerpay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQbittorrentSession, parseSessionCookie } from "./qbittorrent-session.js";

interface DoubleState {
  logins: number;
  sessions: Set<string>;
  bannedAfter: number | undefined;
}

function startQbittorrent52Double(state: DoubleState): Promise<{ server: Server; baseUrl: string }> {
  return new Promise((resolve) => {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const port = (server.address() as AddressInfo).port;
        const cookieName = `QBT_SID_${port}`;
        if (request.url === "/api/v2/auth/login") {
          state.logins++;
          if (state.bannedAfter !== undefined && state.logins > state.bannedAfter) {
            response
              .writeHead(403)
              .end("Your IP address has been banned after too many failed authentication attempts.");
            return;
          }
          const form = new URLSearchParams(Buffer.concat(chunks).toString());
          if (form.get("username") !== "admin" || form.get("password") !== "right-password") {
            response.writeHead(401).end();
            return;
          }
          const sid = `sid${state.logins}`;
          state.sessions.add(sid);
          response
            .writeHead(204, { "set-cookie": `${cookieName}=${sid}; HttpOnly; SameSite=Strict; path=/` })
            .end();
          return;
        }
        const sid = new RegExp(`${cookieName}=([^;]+)`).exec(request.headers.cookie ?? "")?.[1];
        if (!sid || !state.sessions.has(sid)) {
          response.writeHead(403).end("Forbidden");
          return;
        }
        if (request.url === "/api/v2/app/version") response.writeHead(200).end("v5.2.0");
        else response.writeHead(404).end();
      });
    });
    server.listen(0, "127.0.0.1", () => {
      resolve({ server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
    });
  });
}

const settings = { requestTimeoutMs: 2000, loginRetryDelayMs: 60_000, ipBanBackoffMs: 3600_000 };

describe("qBittorrent session against a qBittorrent 5.2 login double", () => {
  const state: DoubleState = { logins: 0, sessions: new Set(), bannedAfter: undefined };
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    ({ server, baseUrl } = await startQbittorrent52Double(state));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads the cookie name from Set-Cookie and accepts a 204 login", async () => {
    const session = createQbittorrentSession({
      ...settings,
      baseUrl,
      username: "admin",
      password: "right-password",
    });
    expect(await session.request("app/version")).toBe("v5.2.0");
    expect(session.cookieName).toMatch(/^QBT_SID_\d+$/);
    expect(session.loginAttempts).toBe(1);
  });

  it("logs in again once when the session expired, then carries on", async () => {
    const session = createQbittorrentSession({
      ...settings,
      baseUrl,
      username: "admin",
      password: "right-password",
    });
    await session.request("app/version");
    state.sessions.clear(); // the daemon restarted or timed the session out
    expect(await session.request("app/version")).toBe("v5.2.0");
    expect(session.loginAttempts).toBe(2);
  });

  it("stops at the first 401 and does not try again on later calls", async () => {
    const session = createQbittorrentSession({
      ...settings,
      baseUrl,
      username: "admin",
      password: "wrong-secret-52",
    });
    for (let call = 0; call < 3; call++) {
      const failure = await session.request("app/version").catch((error: unknown) => error);
      expect(isPeerpayError(failure) && failure.code).toBe("BACKEND_AUTH_FAILED");
      expect(JSON.stringify(failure) + String(failure)).not.toContain("wrong-secret-52");
    }
    expect(session.loginAttempts).toBe(1);
  });

  it("backs off after a 403 on login (the WebUI banned the caller)", async () => {
    state.bannedAfter = state.logins;
    const session = createQbittorrentSession({
      ...settings,
      baseUrl,
      username: "admin",
      password: "right-password",
    });
    const first = await session.login().catch((error: unknown) => error);
    const second = await session.login().catch((error: unknown) => error);
    expect(isPeerpayError(first) && first.code).toBe("BACKEND_PERMISSION_DENIED");
    expect(isPeerpayError(second) && second.code).toBe("BACKEND_PERMISSION_DENIED");
    expect(session.loginAttempts).toBe(1);
    state.bannedAfter = undefined;
  });
});

describe("parseSessionCookie", () => {
  it("takes the first name=value from 4.x and 5.2 headers", () => {
    expect(parseSessionCookie("SID=abc/+def; HttpOnly; path=/; SameSite=Strict")).toEqual({
      name: "SID",
      value: "abc/+def",
    });
    expect(parseSessionCookie("QBT_SID_8080=xyz; HttpOnly; path=/")).toEqual({
      name: "QBT_SID_8080",
      value: "xyz",
    });
    expect(parseSessionCookie(null)).toBeUndefined();
  });
});
