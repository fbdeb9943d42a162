import { describe, expect, it } from "vitest";
import { createPeerAccounting, type RawPeer } from "./transmission-peer-accounting.js";

const peer = (address: string, rateToPeer: number, rateToClient = 0): RawPeer => ({
  address,
  port: 6881,
  clientName: "test",
  rateToPeer,
  rateToClient,
  progress: 0.5,
});

describe("per-peer accounting from the torrent's exact counters", () => {
  it("reports nothing on the first sample, then splits each delta exactly by the trapezoid of the rates", () => {
    const accounting = createPeerAccounting();
    const infohash = "a".repeat(40);
    expect(
      accounting.account({
        infohash,
        at: 0,
        uploadedEver: 1000,
        downloadedEver: 0,
        peers: [peer("10.0.0.1", 100)],
      }),
    ).toBeUndefined();
    const second = accounting.account({
      infohash,
      at: 1000,
      uploadedEver: 1000 + 999_999,
      downloadedEver: 50,
      peers: [peer("10.0.0.1", 300), peer("::ffff:10.0.0.2", 200, 10)],
    })!;
    expect(second.uploadedBytes).toBe(999_999);
    const byAddress = new Map(second.peers.map((sample) => [sample.address, sample]));
    // weights: 10.0.0.1 → 100 + 300, 10.0.0.2 → 0 + 200
    expect(byAddress.get("10.0.0.1")!.uploadedBytes).toBe(666_666);
    expect(byAddress.get("10.0.0.2")!.uploadedBytes).toBe(333_333);
    expect(byAddress.get("10.0.0.2")!.downloadedBytes).toBe(50);
    expect(second.peers.every((sample) => sample.accuracy === "estimated")).toBe(true);
  });

  it("still credits a peer that left since the previous poll, and never goes negative", () => {
    const accounting = createPeerAccounting();
    const infohash = "b".repeat(40);
    accounting.account({
      infohash,
      at: 0,
      uploadedEver: 0,
      downloadedEver: 0,
      peers: [peer("10.0.0.1", 500)],
    });
    const left = accounting.account({ infohash, at: 1000, uploadedEver: 400, downloadedEver: 0, peers: [] })!;
    expect(left.peers).toEqual([
      expect.objectContaining({ address: "10.0.0.1", uploadedBytes: 400, uploadRate: 0 }),
    ]);
    const reset = accounting.account({
      infohash,
      at: 2000,
      uploadedEver: 100,
      downloadedEver: 0,
      peers: [peer("10.0.0.3", 1)],
    })!;
    expect(reset.uploadedBytes).toBe(0);
    expect(reset.peers.every((sample) => sample.uploadedBytes === 0)).toBe(true);
  });

  it("weights by the 60-second window where the daemon sends bytes_to_peer (4.1.0-beta.4+)", () => {
    const accounting = createPeerAccounting();
    const infohash = "c".repeat(40);
    accounting.account({ infohash, at: 0, uploadedEver: 0, downloadedEver: 0, peers: [] });
    // Two new connections; the rates say 50/50 but the windows say 3:1, and the windows win.
    const sample = accounting.account({
      infohash,
      at: 2000,
      uploadedEver: 400_000,
      downloadedEver: 0,
      peers: [
        { ...peer("10.0.0.1", 1000), bytesToPeer: 300_000 },
        { ...peer("10.0.0.2", 1000), bytesToPeer: 100_000 },
      ],
    })!;
    const byAddress = new Map(sample.peers.map((entry) => [entry.address, entry.uploadedBytes]));
    expect(byAddress.get("10.0.0.1")).toBe(300_000);
    expect(byAddress.get("10.0.0.2")).toBe(100_000);
  });
});
