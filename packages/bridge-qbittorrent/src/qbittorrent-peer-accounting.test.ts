import { describe, expect, it } from "vitest";
import { counterDelta, PeerAccounting } from "./qbittorrent-peer-accounting.js";
import type { TorrentPeerWire } from "./qbittorrent-wire.js";

const hash = "a".repeat(40);

function peer(
  ip: string,
  port: number,
  uploaded: number,
  extra: Partial<TorrentPeerWire> = {},
): TorrentPeerWire {
  return {
    ip,
    port,
    client: "qBittorrent/4.5.2",
    connection: "μTP",
    uploaded,
    downloaded: 0,
    up_speed: 1000,
    dl_speed: 0,
    progress: 0.5,
    ...extra,
  };
}

function snapshot(...peers: TorrentPeerWire[]): Record<string, TorrentPeerWire> {
  return Object.fromEntries(peers.map((entry) => [`${entry.ip}:${entry.port}`, entry]));
}

function uploadedOf(
  accounting: PeerAccounting,
  peers: Record<string, TorrentPeerWire>,
  address: string,
): number {
  return (
    accounting.update(hash, peers, false).peers.find((entry) => entry.address === address)?.uploadedBytes ?? 0
  );
}

describe("counterDelta", () => {
  it("counts growth, ignores a KiB-rounded reconnect, and takes a restarted counter whole", () => {
    expect(counterDelta(5000, 3000, false)).toBe(2000);
    expect(counterDelta(4096, 4500, false)).toBe(0); // reconnect: continues from floor(4500 / 1024) KiB
    expect(counterDelta(300, 50_000, false)).toBe(300); // restarted for a reason the bridge did not see
    expect(counterDelta(70_000, 50_000, true)).toBe(70_000); // after a ban: a new entry from 0
  });
});

describe("PeerAccounting", () => {
  it("reports nothing on the baseline poll, then deltas keyed by IP", () => {
    const accounting = new PeerAccounting();
    const first = accounting.update(hash, snapshot(peer("10.0.0.2", 6881, 10_000)), true);
    expect(first.peers[0]?.uploadedBytes).toBe(0);
    expect(uploadedOf(accounting, snapshot(peer("10.0.0.2", 6881, 15_000)), "10.0.0.2")).toBe(5000);
    // an incoming TCP reconnect shows a new ephemeral port; still the same IP, the count continues
    expect(uploadedOf(accounting, snapshot(peer("10.0.0.2", 40_123, 14_336 + 2000)), "10.0.0.2")).toBe(1336);
  });

  it("counts a new IP from its first byte", () => {
    const accounting = new PeerAccounting();
    accounting.update(hash, {}, true);
    expect(uploadedOf(accounting, snapshot(peer("10.0.0.3", 6881, 7777)), "10.0.0.3")).toBe(7777);
  });

  it("after the bridge's ban, a reconnect that already passed the old total is counted from 0", () => {
    const accounting = new PeerAccounting();
    accounting.update(hash, snapshot(peer("10.0.0.4", 6881, 1000)), true);
    expect(uploadedOf(accounting, snapshot(peer("10.0.0.4", 6881, 3000)), "10.0.0.4")).toBe(2000);
    accounting.markRestart("10.0.0.4");
    // the same connection before the ban took effect: ordinary growth
    expect(uploadedOf(accounting, snapshot(peer("10.0.0.4", 6881, 3500)), "10.0.0.4")).toBe(500);
    accounting.update(hash, {}, false); // gone
    // back after the unban with a fresh entry that has already sent more than the old total
    expect(uploadedOf(accounting, snapshot(peer("10.0.0.4", 6881, 9000)), "10.0.0.4")).toBe(9000);
    // and ordinary growth again afterwards
    expect(uploadedOf(accounting, snapshot(peer("10.0.0.4", 6881, 9500)), "10.0.0.4")).toBe(500);
  });

  it("skips refused reconnects (empty client), web seeds and empty addresses", () => {
    const accounting = new PeerAccounting();
    accounting.update(hash, snapshot(peer("10.0.0.5", 6881, 5000)), true);
    const result = accounting.update(
      hash,
      {
        ...snapshot(peer("10.0.0.5", 6881, 6000)),
        "10.0.0.5:50000": peer("10.0.0.5", 50_000, 5000, { client: "" }),
        "http://seed": peer("", 0, 1_000_000, { connection: "Web" }),
        "10.0.0.9:80": peer("10.0.0.9", 80, 1_000_000, { connection: "HTTP" }),
      },
      false,
    );
    expect(result.peers.map((entry) => entry.address)).toEqual(["10.0.0.5"]);
    expect(result.uploadedSum).toBe(1000);
  });

  it("normalises ::ffff:a.b.c.d and remembers the raw form for bans", () => {
    const accounting = new PeerAccounting();
    accounting.update(hash, snapshot(peer("::ffff:10.0.0.6", 6881, 100)), true);
    expect(uploadedOf(accounting, snapshot(peer("::ffff:10.0.0.6", 6881, 600)), "10.0.0.6")).toBe(500);
    expect(accounting.rawFormsOf("10.0.0.6")).toEqual(["::ffff:10.0.0.6"]);
    expect(accounting.lastPortOf("10.0.0.6")).toBe(6881);
  });

  it("after a daemon restart every peer counts from 0", () => {
    const accounting = new PeerAccounting();
    accounting.update(hash, snapshot(peer("10.0.0.7", 6881, 50_000)), true);
    accounting.markAllRestarted();
    expect(uploadedOf(accounting, snapshot(peer("10.0.0.7", 6881, 60_000)), "10.0.0.7")).toBe(60_000);
  });
});
