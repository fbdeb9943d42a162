/**
 * Taking over and giving back the blocklist on a lone real transmission-daemon 3.00 (no swarm):
 * a user without a list, a user whose list host is down, and a restart after a crash mid-kick.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPeerpayError } from "@peerpay/core";
import { createTestTorrent, startTransmissionDaemon, type TransmissionDaemon } from "@peerpay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTransmissionBridge } from "./index.js";
import { PLACEHOLDER_ADDRESS } from "./transmission-blocklist.js";
import { daemonBlockedAddresses, waitFor } from "./transmission-swarm.test.helper.js";

describe("blocklist take-over and hand-back on a real transmission-daemon 3.00", () => {
  let rootDir: string;
  let daemon: TransmissionDaemon;
  const bridgeFor = (stateName: string) =>
    createTransmissionBridge({
      baseUrl: daemon.baseUrl,
      username: daemon.username,
      password: daemon.password,
      stateFile: join(rootDir, stateName),
      onWarning: () => undefined,
    });

  beforeAll(async () => {
    rootDir = await mkdtemp(join(tmpdir(), "peerpay-trtakeover-"));
    daemon = await startTransmissionDaemon({ bindAddress: "127.0.0.5", rootDir });
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await rm(rootDir, { recursive: true, force: true });
  });

  it("for a user without a blocklist: lifting the last block really lifts it, and close leaves the list off and empty of blocks", async () => {
    const bridge = bridgeFor("no-user-list.json");
    await bridge.connect();
    await bridge.block(["198.51.100.20"]);
    expect(await daemonBlockedAddresses(daemon)).toEqual(expect.arrayContaining(["198.51.100.20"]));
    await bridge.unblock(["198.51.100.20"]);
    // Never an empty list (the daemon would keep the old one): only the placeholder is left.
    expect(await daemonBlockedAddresses(daemon)).toEqual([PLACEHOLDER_ADDRESS]);
    await bridge.block(["198.51.100.21"]);
    await bridge.close();
    expect(await daemon.rpc("session-get")).toMatchObject({
      "blocklist-url": "",
      "blocklist-enabled": false,
    });
    expect(await daemonBlockedAddresses(daemon)).toEqual([PLACEHOLDER_ADDRESS]);
  });

  it("does not take over when the user's own list cannot be fetched, so that list is not lost", async () => {
    const unreachable = "http://127.0.0.1:9/users-list.p2p";
    await daemon.rpc("session-set", { "blocklist-url": unreachable, "blocklist-enabled": true });
    const bridge = bridgeFor("unreachable.json");
    // Connecting touches nothing (there is nothing to block yet); the first block() needs the list.
    await bridge.connect();
    const failure = await bridge.block(["198.51.100.25"]).catch((error: unknown) => error);
    expect(isPeerpayError(failure) && failure.code).toBe("BACKEND_UNAVAILABLE");
    expect((failure as Error).message).toContain("not taking over");
    expect(await daemon.rpc("session-get")).toMatchObject({
      "blocklist-url": unreachable,
      "blocklist-enabled": true,
    });
    expect(await bridge.listBlocked()).toEqual([]);
    await bridge.close();
    expect(await daemon.rpc("session-get")).toMatchObject({
      "blocklist-url": unreachable,
      "blocklist-enabled": true,
    });
    await daemon.rpc("session-set", { "blocklist-url": "", "blocklist-enabled": false });
  });

  it("takes over when the user's list host is down but the daemon holds no rules (nothing to lose), and leaves no block behind", async () => {
    const fresh = await startTransmissionDaemon({
      bindAddress: "127.0.0.6",
      rootDir,
      blocklistUrl: "http://127.0.0.1:9/never-loaded.p2p",
      blocklistEnabled: true,
    });
    try {
      const warnings: string[] = [];
      const bridge = createTransmissionBridge({
        baseUrl: fresh.baseUrl,
        username: fresh.username,
        password: fresh.password,
        stateFile: join(rootDir, "fresh.json"),
        onWarning: (message) => warnings.push(message),
      });
      await bridge.connect();
      await bridge.block(["198.51.100.30"]);
      expect(warnings.join("\n")).toContain("the daemon holds no rules");
      expect(await daemonBlockedAddresses(fresh)).toContain("198.51.100.30");
      await bridge.close();
      expect(await fresh.rpc("session-get")).toMatchObject({
        "blocklist-url": "http://127.0.0.1:9/never-loaded.p2p",
        "blocklist-enabled": true,
      });
      expect(await daemonBlockedAddresses(fresh)).toEqual([PLACEHOLDER_ADDRESS]);
    } finally {
      await fresh.stop();
    }
  });

  it("after a crash between a kick's stop and start, the next connect starts the torrent it stopped, and only that one", async () => {
    const mine = await createTestTorrent({
      directory: daemon.downloadDir,
      name: "kicked.bin",
      sizeBytes: 256 * 1024,
    });
    const users = await createTestTorrent({
      directory: daemon.downloadDir,
      name: "paused.bin",
      sizeBytes: 256 * 1024,
    });
    await daemon.addTorrent(mine.torrentFile);
    await daemon.addTorrent(users.torrentFile, { paused: true });
    await waitFor("the seed to be verified", 20_000, async () => {
      const answer = await daemon.rpc<{ torrents: Array<{ hashString: string; status: number }> }>(
        "torrent-get",
        {
          fields: ["hashString", "status"],
        },
      );
      return answer.torrents.some((torrent) => torrent.hashString === mine.infohash && torrent.status === 6);
    });
    await daemon.rpc("torrent-stop", { ids: [mine.infohash] });
    const stateFile = "crashed.json";
    await writeFile(
      join(rootDir, stateFile),
      JSON.stringify({
        version: 1,
        original: { url: "", enabled: false },
        blocked: [],
        stoppedForKick: [mine.infohash],
      }),
    );
    const bridge = bridgeFor(stateFile);
    await bridge.connect();
    const torrents = await bridge.listTorrents();
    expect(torrents.find((torrent) => torrent.infohash === mine.infohash)?.state).not.toBe("stopped");
    expect(torrents.find((torrent) => torrent.infohash === users.infohash)?.state).toBe("stopped");
    await bridge.close();
  }, 40_000);
});
