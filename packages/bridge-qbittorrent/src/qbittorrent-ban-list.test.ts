/**
 * Ban-list edge cases against a real qbittorrent-nox 4.5.2 (no swarm needed): IPv6 and
 * IPv4-mapped input, the user's own entry asked to be blocked, many user entries kept through a
 * rewrite, the persisted state file, a damaged state file, and no-password use on a whitelisted subnet.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPeerpayError } from "@peerpay/core";
import {
  createQbittorrentTestClient,
  type QbittorrentDaemon,
  type QbittorrentTestClient,
  startQbittorrentDaemon,
} from "@peerpay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQbittorrentBridge } from "./qbittorrent-bridge.js";

describe("qBittorrent ban list (real qbittorrent-nox)", () => {
  let rootDir: string;
  let daemon: QbittorrentDaemon;
  let client: QbittorrentTestClient;
  const userList = ["10.1.1.1", "10.1.1.2", "2001:db8::1", "::ffff:10.1.1.3", "198.51.100.50"];

  beforeAll(async () => {
    rootDir = await mkdtemp(join(tmpdir(), "peerpay-qbt-banlist-"));
    daemon = await startQbittorrentDaemon({
      bindAddress: "127.0.0.96",
      rootDir,
      authSubnetWhitelist: "127.0.0.0/8",
    });
    client = createQbittorrentTestClient(daemon);
    await client.setBannedIps(userList);
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await rm(rootDir, { recursive: true, force: true });
  }, 60_000);

  it("bans IPv4, IPv6 and IPv4-mapped input in one go, and lifts only its own entries", async () => {
    const stateFile = join(rootDir, "bans.json");
    const bridge = createQbittorrentBridge({ ...credentials(daemon), stateFile });
    await bridge.connect();
    await Promise.all([
      bridge.block(["198.51.100.60", "2001:DB8:0:0::60"]),
      bridge.block(["::ffff:198.51.100.61", "198.51.100.50"]), // the last one is the user's
    ]);
    expect(await bridge.listBlocked()).toEqual(["198.51.100.60", "198.51.100.61", "2001:db8::60"]);
    const live = await client.getBannedIps();
    expect(live).toEqual(
      expect.arrayContaining([...userList, "198.51.100.60", "198.51.100.61", "2001:db8::60"]),
    );
    const saved = JSON.parse(await readFile(stateFile, "utf8")) as { owned: Record<string, unknown> };
    expect(Object.keys(saved.owned).sort()).toEqual(["198.51.100.60", "198.51.100.61", "2001:db8::60"]);

    await bridge.unblock(["198.51.100.60", "2001:db8::60", "198.51.100.61", "198.51.100.50", "10.1.1.1"]);
    expect((await client.getBannedIps()).sort()).toEqual([...userList].sort());
    expect(await bridge.listBlocked()).toEqual([]);
    await bridge.close();
  });

  it("rejects a bad address before changing anything", async () => {
    const bridge = createQbittorrentBridge({
      ...credentials(daemon),
      stateFile: join(rootDir, "bans-2.json"),
    });
    const failure = await bridge
      .block(["198.51.100.70", "10.0.0.1,10.0.0.2"])
      .catch((error: unknown) => error);
    expect(isPeerpayError(failure) && failure.code).toBe("INVALID_INPUT");
    expect((await client.getBannedIps()).sort()).toEqual([...userList].sort());
    await bridge.close();
  });

  it("works without a password where the WebUI whitelists the bridge's subnet", async () => {
    const bridge = createQbittorrentBridge({
      baseUrl: daemon.baseUrl,
      stateFile: join(rootDir, "bans-3.json"),
    });
    await expect(bridge.connect()).resolves.toMatchObject({ version: "v4.5.2" });
    await bridge.block(["198.51.100.80"]);
    await bridge.unblock(["198.51.100.80"]);
    expect((await client.getBannedIps()).sort()).toEqual([...userList].sort());
    await bridge.close();
  });

  it("refuses a damaged state file with STORAGE_FAILED instead of guessing ownership", async () => {
    const stateFile = join(rootDir, "damaged.json");
    await writeFile(stateFile, '{"version": 7}');
    const bridge = createQbittorrentBridge({ ...credentials(daemon), stateFile });
    const failure = await bridge.connect().catch((error: unknown) => error);
    expect(isPeerpayError(failure) && failure.code).toBe("STORAGE_FAILED");
    expect((await client.getBannedIps()).sort()).toEqual([...userList].sort());
  });
});

function credentials(daemon: QbittorrentDaemon) {
  return { baseUrl: daemon.baseUrl, username: daemon.username, password: daemon.password };
}
