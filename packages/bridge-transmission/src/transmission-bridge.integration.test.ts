/**
 * The bridge against a real transmission-daemon 3.00 seeding two torrents to two real
 * qbittorrent-nox downloaders (127.0.0.3 = A, 127.0.0.4 = B) that dialled in. The tests run in
 * order and share the swarm: accounting first (both peers active), then blocking, the kick, and
 * daemon restarts.
 */
import { readFile } from "node:fs/promises";
import { isPeerpayError } from "@peerpay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TransmissionBridge } from "./index.js";
import {
  daemonBlockedAddresses,
  type Swarm,
  sleep,
  startSwarm,
  waitFor,
} from "./transmission-swarm.test.helper.js";

const USER_ENTRY = "192.0.2.10";

describe("transmission bridge on a real transmission-daemon 3.00", () => {
  let swarm: Swarm;
  const bridges: TransmissionBridge[] = [];
  const track = (bridge: TransmissionBridge) => {
    bridges.push(bridge);
    return bridge;
  };

  beforeAll(async () => {
    swarm = await startSwarm({
      torrents: 2,
      sizeBytes: 32 * 1024 * 1024,
      downloaders: ["127.0.0.3", "127.0.0.4"],
      uploadLimitKB: 800,
      userEntries: [USER_ENTRY],
    });
  }, 120_000);

  afterAll(async () => {
    for (const bridge of bridges) await bridge.close().catch(() => undefined);
    await swarm?.stop();
    const leaked = swarm?.warnings.filter((message) => message.includes(swarm.seeder.password)) ?? [];
    expect(leaked).toEqual([]);
  }, 60_000);

  it("splits each poll's exact uploadedEver delta between two peers; per peer it tracks what each downloader received", async () => {
    const [a, b] = swarm.downloaders as [Swarm["downloaders"][0], Swarm["downloaders"][0]];
    const [t1] = swarm.torrents;
    await swarm.connect(a, t1!);
    await swarm.connect(b, t1!);
    await Promise.all([swarm.waitForBytes(a, t1!), swarm.waitForBytes(b, t1!)]);
    const bridge = track(swarm.createBridge());
    await bridge.connect();
    expect(bridge.capabilities).toMatchObject({
      peerByteAccuracy: "estimated",
      blockDisconnects: false,
      addPeers: false,
    });

    const startA = await swarm.received(a, t1!);
    const startB = await swarm.received(b, t1!);
    await bridge.poll();
    const counted = new Map<string, number>();
    let polls = 0;
    for (let round = 0; round < 10; round++) {
      await sleep(1000);
      const poll = await bridge.poll();
      const torrent = poll.torrents.find((entry) => entry.infohash === t1!.infohash);
      if (!torrent) continue;
      const sum = torrent.peers.reduce((total, peer) => total + peer.uploadedBytes, 0);
      // Exact, every poll: the estimates are an apportionment of the daemon's own counter.
      if (torrent.peers.length > 0) expect(sum).toBe(torrent.uploadedBytes);
      for (const peer of torrent.peers)
        counted.set(peer.address, (counted.get(peer.address) ?? 0) + peer.uploadedBytes);
      polls++;
    }
    const receivedA = (await swarm.received(a, t1!)) - startA;
    const receivedB = (await swarm.received(b, t1!)) - startB;
    expect(polls).toBeGreaterThanOrEqual(8);
    for (const [name, address, received] of [
      ["A", a.address, receivedA],
      ["B", b.address, receivedB],
    ] as const) {
      const estimate = counted.get(address) ?? 0;
      const error = (estimate - received) / received;
      console.info(
        `[accounting] peer ${name} ${address}: bridge ${estimate} B, downloader ${received} B, error ${(error * 100).toFixed(2)}%`,
      );
      expect(received).toBeGreaterThan(0);
      expect(Math.abs(error)).toBeLessThanOrEqual(0.2);
    }
    await bridge.close();
  }, 90_000);

  it("keeps the user's own blocklist through block/unblock cycles and a bridge restart, and restores it on close", async () => {
    const before = await swarm.seeder.rpc<Record<string, unknown>>("session-get");
    expect(before["blocklist-url"]).toBe(swarm.userBlocklist.url);
    const bridge = track(swarm.createBridge());
    await bridge.connect();
    // Nothing blocked yet: the user's settings are untouched.
    expect(await swarm.seeder.rpc("session-get")).toMatchObject({ "blocklist-url": swarm.userBlocklist.url });

    await bridge.block(["198.51.100.1", "198.51.100.2"]);
    const during = await swarm.seeder.rpc<Record<string, unknown>>("session-get");
    expect(during["blocklist-url"]).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/peerpay-blocklist\/[0-9a-f]{32}\/blocklist\.p2p$/,
    );
    expect(during["blocklist-enabled"]).toBe(true);
    await bridge.unblock(["198.51.100.1"]);
    await bridge.block(["198.51.100.3"]);
    let held = await daemonBlockedAddresses(swarm.seeder);
    expect(held).toEqual(expect.arrayContaining([USER_ENTRY, "198.51.100.2", "198.51.100.3"]));
    expect(held).not.toContain("198.51.100.1");
    expect(await swarm.seeder.readBlocklistRanges()).toContainEqual({
      start: "203.0.113.0",
      end: "203.0.113.255",
    });

    // The user edits their list and presses "update" while the bridge runs: the edit arrives.
    swarm.userBlocklist.entries.add("192.0.2.11");
    await swarm.seeder.rpc("blocklist-update");
    expect(await daemonBlockedAddresses(swarm.seeder)).toEqual(
      expect.arrayContaining(["192.0.2.11", "198.51.100.2"]),
    );
    await bridge.block(["198.51.100.4"]);
    expect(await daemonBlockedAddresses(swarm.seeder)).toEqual(
      expect.arrayContaining(["192.0.2.11", "198.51.100.4"]),
    );

    // Restart of the bridge: the state file carries its blocks and the user's original settings.
    await bridge.close();
    const state = JSON.parse(await readFile(swarm.stateFile, "utf8"));
    expect(state).toMatchObject({
      original: null,
      blocked: ["198.51.100.2", "198.51.100.3", "198.51.100.4"],
    });
    const restored = await swarm.seeder.rpc<Record<string, unknown>>("session-get");
    expect(restored).toMatchObject({ "blocklist-url": swarm.userBlocklist.url, "blocklist-enabled": true });
    held = await daemonBlockedAddresses(swarm.seeder);
    expect(held).toEqual(expect.arrayContaining([USER_ENTRY, "192.0.2.11"]));
    expect(held).not.toContain("198.51.100.2");

    const again = track(swarm.createBridge());
    await again.connect();
    expect(await again.listBlocked()).toEqual(["198.51.100.2", "198.51.100.3", "198.51.100.4"]);
    held = await daemonBlockedAddresses(swarm.seeder);
    expect(held).toEqual(expect.arrayContaining([USER_ENTRY, "192.0.2.11", "198.51.100.2", "198.51.100.4"]));
    await again.unblock(["198.51.100.2", "198.51.100.3", "198.51.100.4"]);
    await again.close();
    expect(await swarm.seeder.rpc<Record<string, unknown>>("session-get")).toMatchObject({
      "blocklist-url": swarm.userBlocklist.url,
      "blocklist-enabled": true,
    });
  }, 60_000);

  it("refuses a blocked peer's new connection; on 3.00 its open connection stays until a kick", async () => {
    const [a] = swarm.downloaders;
    const [t1, t2] = swarm.torrents;
    const bridge = track(swarm.createBridge());
    await bridge.block([a!.address]);
    // 3.00's blocklist does not touch the open connection on t1 (the documented caveat)...
    await sleep(2000);
    await bridge.poll();
    expect(await swarm.seederPeers(t1!)).toContain(a!.address);
    expect(bridge.blockedPeersConnected()).toContainEqual(
      expect.objectContaining({ infohash: t1!.infohash, address: a!.address }),
    );
    // ...but a new connection, on a torrent A has not joined yet, is refused.
    await a!.client.addTorrent(t2!.torrentFile);
    for (let round = 0; round < 4; round++) {
      await a!.client.addPeers(t2!.infohash, [`${swarm.seeder.bindAddress}:${swarm.seeder.peerPort}`]);
      await sleep(2500);
      expect(await swarm.seederPeers(t2!)).not.toContain(a!.address);
    }
    expect(await swarm.received(a!, t2!)).toBe(0);
    // A leaves t2 again, so that closing this bridge (which lifts its blocks) lets A join nothing new.
    await a!.client.request("torrents/delete", { form: { hashes: t2!.infohash, deleteFiles: "true" } });
    await bridge.close();
  }, 60_000);

  it("the opt-in kick restarts only the torrent with the blocked peer, which then stays out", async () => {
    const [a, b] = swarm.downloaders;
    const [t1, t2] = swarm.torrents;
    await swarm.connect(b!, t2!);
    await swarm.waitForBytes(b!, t2!);
    const startDates = async () => {
      const answer = await swarm.seeder.rpc<{ torrents: Array<{ hashString: string; startDate: number }> }>(
        "torrent-get",
        {
          fields: ["hashString", "startDate"],
        },
      );
      return new Map(answer.torrents.map((torrent) => [torrent.hashString, torrent.startDate]));
    };
    const datesBefore = await startDates();
    const bridge = track(swarm.createBridge({ kick: { enabled: true, minIntervalMs: 60_000 } }));
    await bridge.connect();
    expect(bridge.capabilities.kick).toBe(true);
    expect(await bridge.listBlocked()).toContain(a!.address);
    expect(await swarm.seederPeers(t1!)).toContain(a!.address);

    const kickedAt = Date.now();
    await bridge.poll(); // sees A on t1 and kicks t1
    const kickMs = Date.now() - kickedAt;
    const countAfterKick = await swarm.received(a!, t1!);
    await sleep(5000);
    console.info(`[kick] poll + stop/wait/start of t1 took ${kickMs} ms; A got no bytes in the 5 s after it`);
    expect(await swarm.received(a!, t1!)).toBeLessThanOrEqual(countAfterKick);
    expect(await swarm.seederPeers(t1!)).not.toContain(a!.address);
    const datesAfter = await startDates();
    expect(datesAfter.get(t1!.infohash)).not.toBe(datesBefore.get(t1!.infohash));
    expect(datesAfter.get(t2!.infohash)).toBe(datesBefore.get(t2!.infohash));
    expect(await swarm.seederPeers(t2!)).toContain(b!.address);
    // Rate limit: t1 is not restarted again within minIntervalMs, and A stays out.
    expect(await bridge.kickBlockedPeers()).toEqual([]);
    const status = await swarm.seeder.rpc<{ torrents: Array<{ status: number }> }>("torrent-get", {
      ids: [t1!.infohash],
      fields: ["status"],
    });
    expect(status.torrents[0]!.status).toBe(6);
    const state = JSON.parse(await readFile(swarm.stateFile, "utf8"));
    expect(state.stoppedForKick).toEqual([]);
    await bridge.unblock([a!.address]);
    await bridge.close();
  }, 90_000);

  it("reports a stopped daemon as BACKEND_UNAVAILABLE, recovers when it is back, and a wrong password as BACKEND_AUTH_FAILED", async () => {
    const bridge = track(swarm.createBridge());
    await bridge.connect();
    await bridge.poll();
    await swarm.seeder.kill();
    const down = await bridge.poll().catch((error: unknown) => error);
    expect(isPeerpayError(down) && down.code).toBe("BACKEND_UNAVAILABLE");
    expect(isPeerpayError(down) && down.retryable).toBe(true);
    expect(String((down as Error).message)).toMatch(/^\[transmission\] torrent-get: /);
    await swarm.seeder.start();
    // The daemon comes back with a new session id: the 409 handshake renews it.
    await waitFor("the bridge to poll again", 20_000, async () =>
      bridge.poll().then(
        () => true,
        () => false,
      ),
    );
    await bridge.block(["198.51.100.9"]);
    expect(await daemonBlockedAddresses(swarm.seeder)).toContain("198.51.100.9");
    await bridge.unblock(["198.51.100.9"]);

    const password = "not-the-password-7f3a";
    const wrong = track(swarm.createBridge({ password }));
    const failure = await wrong.connect().catch((error: unknown) => error);
    expect(isPeerpayError(failure) && failure.code).toBe("BACKEND_AUTH_FAILED");
    expect(isPeerpayError(failure) && failure.retryable).toBe(false);
    const text = `${String(failure)} ${JSON.stringify(failure)} ${String((failure as Error).cause)}`;
    expect(text).not.toContain(password);
    expect(text).not.toContain(Buffer.from(`peerpay:${password}`).toString("base64"));
    await wrong.close();
    // The daemon is not locked out: the right password still works.
    await expect(bridge.listTorrents()).resolves.toHaveLength(2);
    await bridge.close();
  }, 60_000);
});
