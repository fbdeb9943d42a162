import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type QbittorrentDaemon, startQbittorrentDaemon } from "./qbittorrent-daemon.js";
import { createQbittorrentTestClient } from "./qbittorrent-daemon-client.js";
import { createTestTorrent } from "./torrent-file.js";

describe("startQbittorrentDaemon (real qbittorrent-nox)", () => {
  let rootDir: string;
  let seeder: QbittorrentDaemon | undefined;
  let downloader: QbittorrentDaemon | undefined;

  beforeAll(async () => {
    rootDir = await mkdtemp(join(tmpdir(), "peerpay-qbt-harness-"));
    [seeder, downloader] = await Promise.all([
      startQbittorrentDaemon({ bindAddress: "127.0.0.61", rootDir, uploadLimitKiB: 2048 }),
      startQbittorrentDaemon({ bindAddress: "127.0.0.62", rootDir, password: "harness-pass-62" }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([seeder?.stop(), downloader?.stop()]);
    await rm(rootDir, { recursive: true, force: true });
  }, 60_000);

  it("presets the WebUI password and rejects a wrong one", async () => {
    if (!downloader) throw new Error("not started");
    expect(downloader.password).toBe("harness-pass-62");
    const wrong = await fetch(`${downloader.baseUrl}api/v2/auth/login`, {
      method: "POST",
      body: new URLSearchParams({ username: "admin", password: "adminadmin" }),
    });
    expect(await wrong.text()).toBe("Fails.");
    const client = createQbittorrentTestClient(downloader);
    expect(await client.request("app/version")).toBe("v4.5.2");
  });

  it("seeds a real torrent to a downloader that dials in with addPeers", async () => {
    if (!seeder || !downloader) throw new Error("not started");
    const torrent = await createTestTorrent({ directory: seeder.downloadDir, sizeBytes: 2 * 1024 * 1024 });
    const seed = createQbittorrentTestClient(seeder);
    const leech = createQbittorrentTestClient(downloader);
    await seed.addTorrent(torrent.torrentFile, { savePath: seeder.downloadDir });
    await leech.addTorrent(torrent.torrentFile);
    const deadline = Date.now() + 40_000;
    let progress = 0;
    while (Date.now() < deadline && progress < 1) {
      const seeding = await seed.getTorrent(torrent.infohash);
      if (seeding && seeding.progress === 1)
        await leech.addPeers(torrent.infohash, [`127.0.0.61:${seeder.peerPort}`]);
      progress = (await leech.getTorrent(torrent.infohash))?.progress ?? 0;
      if (progress < 1) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(progress).toBe(1);
    // The content arrived intact (torrent-level byte counters lag a second or two behind).
    const received = await readFile(join(downloader.downloadDir, torrent.name));
    expect(createHash("sha256").update(received).digest("hex")).toBe(torrent.contentSha256);
  }, 60_000);

  it("stops by PID and waits for the exit", async () => {
    if (!downloader) throw new Error("not started");
    const pid = downloader.pid;
    await downloader.kill();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(fetch(`${downloader.baseUrl}api/v2/app/version`)).rejects.toThrow();
    await downloader.start();
    expect(downloader.pid).not.toBe(pid);
  }, 60_000);
});
