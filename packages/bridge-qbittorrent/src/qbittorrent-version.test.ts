import { describe, expect, it } from "vitest";
import { capabilitiesFor, parseQbittorrentVersion, qbittorrentFeatures } from "./qbittorrent-version.js";

describe("qBittorrent version → features", () => {
  it("reads pause/resume vs stop/start from the WebAPI version", () => {
    // What the daemons answer (app/version, app/webapiVersion): Debian 12's 4.5.2, 4.6.x, Debian 13's 5.1.0.
    expect(qbittorrentFeatures(parseQbittorrentVersion("v4.5.2", "2.8.19")).torrentControl).toBe(
      "pause-resume",
    );
    expect(qbittorrentFeatures(parseQbittorrentVersion("v4.6.7", "2.9.3")).torrentControl).toBe(
      "pause-resume",
    );
    expect(qbittorrentFeatures(parseQbittorrentVersion("v5.0.0", "2.11.0")).torrentControl).toBe(
      "stop-start",
    );
    expect(qbittorrentFeatures(parseQbittorrentVersion("v5.1.0", "2.11.4")).torrentControl).toBe(
      "stop-start",
    );
    expect(qbittorrentFeatures(undefined).torrentControl).toBe("pause-resume");
  });

  it("keeps the same bridge capabilities on 4.5 and 5.1 (ban disconnects, exact per-peer bytes)", () => {
    const old = capabilitiesFor(parseQbittorrentVersion("v4.5.2", "2.8.19"));
    expect(capabilitiesFor(parseQbittorrentVersion("v5.1.0", "2.11.4"))).toEqual(old);
    expect(old).toMatchObject({ blockDisconnects: true, peerByteAccuracy: "exact", addPeers: true });
  });
});
