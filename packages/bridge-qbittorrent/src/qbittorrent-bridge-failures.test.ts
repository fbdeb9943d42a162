/**
 * Failure handling against real qbittorrent-nox 4.5.2, on dedicated daemons (failed logins count
 * toward the WebUI's per-IP ban, so they never share a daemon with other tests): wrong password,
 * the WebUI's own login ban, WebUI down, a hung daemon, a daemon restart — clear errors, and the
 * bridge recovers once the daemon is back.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPeerpayError, type PeerpayError } from "@peerpay/core";
import {
  createQbittorrentTestClient,
  type QbittorrentDaemon,
  startQbittorrentDaemon,
} from "@peerpay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQbittorrentBridge, type QbittorrentBridge } from "./qbittorrent-bridge.js";

/** Failed logins as the daemon itself logged them (waits briefly: the log is written async). */
async function loginFailures(daemon: QbittorrentDaemon): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return (await daemon.readApplicationLog())
    .split("\n")
    .filter((line) => line.includes("WebAPI login failure")).length;
}

async function failureOf(promise: Promise<unknown>): Promise<PeerpayError> {
  const failure = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!isPeerpayError(failure)) throw new Error(`expected a PeerpayError, got ${String(failure)}`);
  return failure;
}

describe("qBittorrent bridge failures (real qbittorrent-nox)", () => {
  let rootDir: string;
  let loginDaemon: QbittorrentDaemon;
  let banDaemon: QbittorrentDaemon;
  let daemon: QbittorrentDaemon;
  const bridges: QbittorrentBridge[] = [];
  const bridgeFor = (
    target: QbittorrentDaemon,
    password: string,
    extra: { requestTimeoutMs?: number } = {},
  ) => {
    const bridge = createQbittorrentBridge({
      baseUrl: target.baseUrl,
      username: target.username,
      password,
      stateFile: join(rootDir, `${target.bindAddress}-bans.json`),
      ...extra,
    });
    bridges.push(bridge);
    return bridge;
  };

  beforeAll(async () => {
    rootDir = await mkdtemp(join(tmpdir(), "peerpay-qbt-failures-"));
    [loginDaemon, banDaemon, daemon] = await Promise.all([
      startQbittorrentDaemon({ bindAddress: "127.0.0.91", rootDir }),
      startQbittorrentDaemon({ bindAddress: "127.0.0.92", rootDir, maxAuthFailCount: 2 }),
      startQbittorrentDaemon({ bindAddress: "127.0.0.93", rootDir }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(bridges.map((bridge) => bridge.close().catch(() => undefined)));
    await Promise.all([loginDaemon?.stop(), banDaemon?.stop(), daemon?.stop()]);
    await rm(rootDir, { recursive: true, force: true });
  }, 60_000);

  it("a wrong password fails with BACKEND_AUTH_FAILED once, and later calls do not log in again", async () => {
    const password = "definitely-wrong-password-91";
    const bridge = bridgeFor(loginDaemon, password);
    const first = await failureOf(bridge.connect());
    expect(first.code).toBe("BACKEND_AUTH_FAILED");
    expect(first.message).toMatch(/rejected the username or password/);
    for (const call of [bridge.connect(), bridge.poll(), bridge.block(["198.51.100.9"])]) {
      const again = await failureOf(call);
      expect(again.code).toBe("BACKEND_AUTH_FAILED");
      expect(again.message).toMatch(/not retrying/);
      expect(`${again.message} ${JSON.stringify(again)}`).not.toContain(password);
    }
    // One failure only, by the daemon's own log; the right password still works (five failures
    // would have banned this address).
    expect(await loginFailures(loginDaemon)).toBe(1);
    const good = bridgeFor(loginDaemon, loginDaemon.password);
    await expect(good.connect()).resolves.toMatchObject({ client: "qbittorrent", version: "v4.5.2" });
  });

  it("no password where the WebUI wants a login: BACKEND_AUTH_FAILED, and no login attempt", async () => {
    const bridge = createQbittorrentBridge({ baseUrl: loginDaemon.baseUrl, stateFile: false });
    bridges.push(bridge);
    const failure = await failureOf(bridge.connect());
    expect(failure.code).toBe("BACKEND_AUTH_FAILED");
    expect(failure.message).toMatch(/wants a login/);
    expect(await loginFailures(loginDaemon)).toBe(1); // still only the previous test's one
  });

  it("a 403 on login (the WebUI banned this address) is BACKEND_PERMISSION_DENIED and is not retried", async () => {
    for (const attempt of [1, 2]) {
      const failure = await failureOf(bridgeFor(banDaemon, `wrong-${attempt}`).connect());
      expect(failure.code).toBe("BACKEND_AUTH_FAILED");
    }
    const bridge = bridgeFor(banDaemon, banDaemon.password);
    const banned = await failureOf(bridge.connect());
    expect(banned.code).toBe("BACKEND_PERMISSION_DENIED");
    expect(banned.message).toMatch(/banned this address/);
    const again = await failureOf(bridge.connect());
    expect(again.message).toMatch(/not trying again before/);
  });

  it("WebUI down: BACKEND_UNAVAILABLE (retryable); the bridge recovers when it is back", async () => {
    const bridge = bridgeFor(daemon, daemon.password);
    await bridge.connect();
    await bridge.block(["198.51.100.21"]);
    await daemon.kill();
    const down = await failureOf(bridge.poll());
    expect(down.code).toBe("BACKEND_UNAVAILABLE");
    expect(down.retryable).toBe(true);
    expect(down.message).toContain(daemon.baseUrl);
    await daemon.start();
    // The old cookie died with the process: one re-login, then the call goes through.
    await expect(bridge.poll()).resolves.toMatchObject({ torrents: [] });
    expect(await bridge.listBlocked()).toEqual(["198.51.100.21"]);
    await bridge.unblock(["198.51.100.21"]);
  }, 60_000);

  it("a hung daemon gives TIMEOUT within the request timeout, then recovers", async () => {
    const bridge = bridgeFor(daemon, daemon.password, { requestTimeoutMs: 800 });
    await bridge.connect();
    process.kill(daemon.pid, "SIGSTOP");
    try {
      const started = performance.now();
      const hung = await failureOf(bridge.listTorrents());
      expect(hung.code).toBe("TIMEOUT");
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      process.kill(daemon.pid, "SIGCONT");
    }
    await expect(bridge.listTorrents()).resolves.toEqual([]);
  }, 30_000);

  it("a daemon restart is transparent: one re-login, and the bridge's bans are still there", async () => {
    const bridge = bridgeFor(daemon, daemon.password);
    await bridge.connect();
    await bridge.block(["198.51.100.22"]);
    await daemon.restart();
    await expect(bridge.poll()).resolves.toBeDefined();
    expect(await bridge.listBlocked()).toEqual(["198.51.100.22"]);
    expect(await createQbittorrentTestClient(daemon).getBannedIps()).toContain("198.51.100.22");
    await bridge.unblock(["198.51.100.22"]);
    expect(await bridge.listBlocked()).toEqual([]);
  }, 60_000);

  it("bans the daemon lost while it was down are put back on the first poll after it returns", async () => {
    const bridge = bridgeFor(daemon, daemon.password);
    await bridge.connect();
    await bridge.block(["198.51.100.23"]);
    await daemon.kill();
    // Simulate a crash that lost the saved list, and a user entry added while it was down.
    const path = join(daemon.profileDir, "qBittorrent", "config", "qBittorrent.conf");
    const config = await readFile(path, "utf8");
    await writeFile(path, config.replace(/^BannedIPs=.*$/m, "BannedIPs=203.0.113.50"));
    await daemon.start();
    await bridge.poll(); // re-login → reconcile
    const live = await createQbittorrentTestClient(daemon).getBannedIps();
    expect(live.sort()).toEqual(["198.51.100.23", "203.0.113.50"]);
    await bridge.unblock(["198.51.100.23"]);
    expect(await createQbittorrentTestClient(daemon).getBannedIps()).toEqual(["203.0.113.50"]);
  }, 60_000);
});
