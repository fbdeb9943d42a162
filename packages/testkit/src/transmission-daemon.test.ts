/**
 * The harness itself against a real transmission-daemon 3.00: it starts on its own loopback
 * address with RPC auth, seeds a real torrent, its blocklist reader sees what the daemon compiled,
 * and stop() ends the process by PID. Plus the tiny tracker's announce answers.
 */
import { createServer } from "node:http";
import bencode from "bencode";
import { afterAll, describe, expect, it } from "vitest";
import { startTestTracker } from "./test-tracker.js";
import { createTestTorrent } from "./torrent-file.js";
import { startTransmissionDaemon, type TransmissionDaemon } from "./transmission-daemon.js";

describe("startTransmissionDaemon", () => {
  let daemon: TransmissionDaemon | undefined;
  afterAll(async () => {
    await daemon?.stop();
  });

  it("starts with RPC auth on its address, seeds, compiles a blocklist, and stops by PID", async () => {
    const list = createServer((_request, response) =>
      response.end("a:10.1.2.3-10.1.2.3\nb:10.9.0.0-10.9.0.255\n"),
    );
    await new Promise<void>((resolve) => list.listen(0, "127.0.0.1", () => resolve()));
    const address = list.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      daemon = await startTransmissionDaemon({
        bindAddress: "127.0.0.7",
        blocklistUrl: `http://127.0.0.1:${port}/list.p2p`,
        blocklistEnabled: true,
      });
      expect(daemon.rpcUrl).toBe(`http://127.0.0.7:${daemon.rpcPort}/transmission/rpc`);
      const unauthenticated = await fetch(daemon.rpcUrl, { method: "POST", body: "{}" });
      expect(unauthenticated.status).toBe(401);
      const session = await daemon.rpc<Record<string, unknown>>("session-get");
      expect(session).toMatchObject({
        "peer-port": daemon.peerPort,
        "dht-enabled": false,
        "pex-enabled": false,
      });
      expect(String(session.version)).toMatch(/^\d+\.\d+/);

      const torrent = await createTestTorrent({ directory: daemon.downloadDir, sizeBytes: 300_000 });
      const added = await daemon.addTorrent(torrent.torrentFile, { labels: ["x"] });
      expect(added.hashString).toBe(torrent.infohash);
      const listed = await daemon.rpc<{ torrents: Array<{ labels: string[] }> }>("torrent-get", {
        ids: [added.id],
        fields: ["labels"],
      });
      expect(listed.torrents[0]?.labels).toEqual(["x"]);

      await daemon.rpc("blocklist-update");
      expect(await daemon.readBlocklistRanges()).toEqual([
        { start: "10.1.2.3", end: "10.1.2.3" },
        { start: "10.9.0.0", end: "10.9.0.255" },
      ]);

      const pid = daemon.pid;
      await daemon.stop();
      expect(() => process.kill(pid, 0)).toThrow();
      expect(daemon.pid).toBe(-1);
    } finally {
      list.close();
    }
  }, 30_000);
});

describe("startTestTracker", () => {
  it("hands each announcing peer the others, compact, and forgets a stopped one", async () => {
    const tracker = await startTestTracker({ host: "127.0.0.1" });
    try {
      const hash = Buffer.alloc(20, 0xab);
      const infoHash = [...hash].map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("");
      const announce = async (ip: string, port: number, event = "started") => {
        const response = await fetch(
          `${tracker.announceUrl}?info_hash=${infoHash}&port=${port}&ip=${ip}&compact=1&event=${event}`,
        );
        return bencode.decode(Buffer.from(await response.arrayBuffer())) as { peers: Uint8Array };
      };
      expect((await announce("10.0.0.1", 6881)).peers.length).toBe(0);
      const second = await announce("10.0.0.2", 6882);
      expect([...second.peers]).toEqual([10, 0, 0, 1, 6881 >> 8, 6881 & 255]);
      expect(tracker.peers(hash.toString("hex"))).toEqual(["10.0.0.1:6881", "10.0.0.2:6882"]);
      await announce("10.0.0.1", 6881, "stopped");
      expect(tracker.peers(hash.toString("hex"))).toEqual(["10.0.0.2:6882"]);
      expect(tracker.announces).toHaveLength(3);
    } finally {
      await tracker.stop();
    }
  });
});
