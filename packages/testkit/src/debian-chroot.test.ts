/**
 * The harnesses start Transmission 4.1 and qBittorrent 5.1 from the Debian 13 chroot that
 * scripts/debian-chroot.sh builds (cached; a cold build is about a minute). Skipped, with the
 * script's reason, where the chroot cannot be built (not root, mirror unreachable).
 */
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { ensureDebianChroot, toChrootPath } from "./debian-chroot.js";
import { startQbittorrentDaemon } from "./qbittorrent-daemon.js";
import { createQbittorrentTestClient } from "./qbittorrent-daemon-client.js";
import { startTransmissionDaemon } from "./transmission-daemon.js";

const chroot = await ensureDebianChroot();
if (!chroot.available) console.warn(`[debian chroot] tests skipped: ${chroot.reason}`);

describe("toChrootPath", () => {
  it("maps host paths inside the chroot and refuses the rest", () => {
    expect(toChrootPath("/cache/debian", "/cache/debian/srv/peerpay-tests/x")).toBe("/srv/peerpay-tests/x");
    expect(() => toChrootPath("/cache/debian", "/tmp/x")).toThrow(/outside the chroot/);
    expect(() => toChrootPath("/cache/debian", "/cache/debian-other/x")).toThrow(/outside the chroot/);
  });
});

describe.runIf(chroot.available)(
  `daemons from the Debian 13 chroot${chroot.available ? "" : ` (skipped: ${chroot.reason})`}`,
  () => {
    const dir = chroot.available ? chroot.dir : "";

    it("starts transmission-daemon 4.1 with its config inside the chroot, stops it by PID", async () => {
      const daemon = await startTransmissionDaemon({ bindAddress: "127.0.0.81", chrootDir: dir });
      const list = await serveText("a:203.0.113.0-203.0.113.255\nb:198.51.100.7-198.51.100.7\n");
      try {
        expect(daemon.configDir.startsWith(`${dir}/srv/peerpay-tests/`)).toBe(true);
        const session = await daemon.rpc<{ version: string; "download-dir": string }>("session-get");
        expect(session.version).toMatch(/^4\.1\.0-beta\.2 /);
        expect(session["download-dir"]).toBe(daemon.toDaemonPath(daemon.downloadDir));
        expect(daemon.toDaemonPath(daemon.downloadDir).startsWith("/srv/peerpay-tests/")).toBe(true);
        // 4.x writes its compiled blocklist in another format ("-tr-blocklist-file-format-v3-").
        await daemon.rpc("session-set", { "blocklist-url": list.url, "blocklist-enabled": true });
        expect(await daemon.rpc("blocklist-update")).toEqual({ "blocklist-size": 2 });
        expect(await daemon.readBlocklistRanges()).toEqual([
          { start: "198.51.100.7", end: "198.51.100.7" },
          { start: "203.0.113.0", end: "203.0.113.255" },
        ]);
      } finally {
        await daemon.stop();
        await list.close();
      }
      expect(existsSync(daemon.configDir)).toBe(false);
    }, 60_000);

    it("starts qbittorrent-nox 5.1 with the preset password (5.x has no default one)", async () => {
      const daemon = await startQbittorrentDaemon({ bindAddress: "127.0.0.82", chrootDir: dir });
      try {
        const client = createQbittorrentTestClient(daemon);
        expect(await client.request("app/version")).toBe("v5.1.0");
        const preferences = JSON.parse(await client.request("app/preferences")) as { save_path: string };
        expect(preferences.save_path.replace(/\/$/, "")).toBe(daemon.toDaemonPath(daemon.downloadDir));
      } finally {
        await daemon.stop();
      }
      expect(existsSync(daemon.profileDir)).toBe(false);
    }, 60_000);
  },
);

async function serveText(text: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_, response) => response.end(text));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/list.p2p`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
