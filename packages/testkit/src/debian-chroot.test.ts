/**
 * The harnesses start Transmission 4.1 and qBittorrent 5.1 from the Debian 13 chroot that
 * scripts/debian-chroot.sh builds (cached; a cold build is about a minute). Skipped, with the
 * script's reason, where the chroot cannot be built (not root, mirror unreachable).
 */
import { existsSync } from "node:fs";
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
      try {
        expect(daemon.configDir.startsWith(`${dir}/srv/peerpay-tests/`)).toBe(true);
        const session = await daemon.rpc<{ version: string; "download-dir": string }>("session-get");
        expect(session.version).toMatch(/^4\.1\.0-beta\.2 /);
        expect(session["download-dir"]).toBe(daemon.toDaemonPath(daemon.downloadDir));
        expect(daemon.toDaemonPath(daemon.downloadDir).startsWith("/srv/peerpay-tests/")).toBe(true);
      } finally {
        await daemon.stop();
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
