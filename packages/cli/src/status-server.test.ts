/**
 * The status server over real HTTP on loopback, fed by a real SQLite ledger: the token check, the
 * routes, Prometheus text from the daemon's metrics, and a page that escapes what peers and
 * torrents are called (a torrent name is chosen by whoever made the torrent).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSqliteLedgerStore } from "@peerpay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDaemonMetrics } from "./daemon-metrics.js";
import { type StatusServer, startStatusServer } from "./status-server.js";
import { createStatusSnapshots, type StatusSnapshot } from "./status-snapshot.js";

const TOKEN = "a-status-token-for-tests";
const directory = mkdtempSync(join(tmpdir(), "peerpay-status-test-"));
const rawStore = createSqliteLedgerStore({ path: join(directory, "ledger.sqlite") });
const metrics = createDaemonMetrics({ defaultMetrics: false });
const store = metrics.instrumentStore(rawStore);
const infohash = "ab".repeat(20);
let server: StatusServer;

beforeAll(async () => {
  const at = new Date("2026-11-25T12:00:00Z");
  await store.recordUsage([
    {
      peer: "127.0.0.9",
      infohash,
      bytes: 3_000_000n,
      freeBytes: 1_000_000n,
      priceMsatPerGiB: 100_000_000n,
      costMsat: 186_264n,
      accuracy: "exact",
      at,
    },
  ]);
  await store.setBlocked("127.0.0.9", true, "debt 186264 msat exceeds the credit line 5000 msat", at);
  const snapshot = createStatusSnapshots({
    store,
    simulated: true,
    lightning: "sim://",
    seller: {
      endpoint: "http://127.0.0.2:9736",
      torrents: () => [
        {
          infohash,
          name: '<script>alert("x")</script>.iso',
          labels: [],
          sizeBytes: 1,
          uploadedBytes: 0,
          downloadedBytes: 0,
          progress: 1,
          state: "seeding",
        },
      ],
      stats: () => ({ polls: 3, pollErrors: 0 }),
      events: [],
    },
  });
  server = await startStatusServer({
    host: "127.0.0.1",
    port: 0,
    token: TOKEN,
    snapshot,
    registry: metrics.registry,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
});

afterAll(async () => {
  await server?.close();
  await rawStore.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("status server", () => {
  it("refuses requests without the token, or with a wrong one", async () => {
    expect((await fetch(`${server.url}/api/status`)).status).toBe(401);
    expect((await fetch(`${server.url}/`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await fetch(`${server.url}/metrics?token=${TOKEN}x`)).status).toBe(401);
  });

  it("serves /api/status, /metrics and the page with the token (header or query)", async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    const status = (await (await fetch(`${server.url}/api/status`, { headers })).json()) as StatusSnapshot;
    expect(status.seller?.peers[0]).toMatchObject({
      peer: "127.0.0.9",
      blocked: true,
      balanceMsat: "-186264",
      bytesServed: 3_000_000,
      freeBytesUsed: 1_000_000,
    });
    expect(status.seller?.torrents[0]?.peers[0]).toEqual({
      peer: "127.0.0.9",
      bytes: 3_000_000,
      freeBytes: 1_000_000,
      costMsat: "186264",
    });
    const metricsResponse = await fetch(`${server.url}/metrics?token=${TOKEN}`);
    expect(metricsResponse.headers.get("content-type")).toContain("text/plain");
    const text = await metricsResponse.text();
    expect(text).toContain('peerpay_bytes_priced_total{kind="free"} 1000000');
    expect(text).toContain('peerpay_bytes_priced_total{kind="charged"} 2000000');
    expect(text).toContain('peerpay_peer_blocks_total{action="block"} 1');
    const page = await (await fetch(`${server.url}/?token=${TOKEN}`)).text();
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;.iso");
    expect(page).not.toContain("<script>");
    expect(page).toContain("exceeds the credit line 5000 msat");
    expect((await fetch(`${server.url}/nothing`, { headers })).status).toBe(404);
    expect((await fetch(`${server.url}/api/status`, { method: "POST", headers })).status).toBe(405);
  });

  it("counts new ledger entries once when requests arrive together", async () => {
    await store.recordUsage([
      {
        peer: "127.0.0.9",
        infohash,
        bytes: 1000n,
        freeBytes: 0n,
        priceMsatPerGiB: 100_000_000n,
        costMsat: 93n,
        accuracy: "exact",
        at: new Date(),
      },
    ]);
    const headers = { authorization: `Bearer ${TOKEN}` };
    const answers = await Promise.all(
      Array.from(
        { length: 5 },
        async () => (await (await fetch(`${server.url}/api/status`, { headers })).json()) as StatusSnapshot,
      ),
    );
    for (const answer of answers) expect(answer.seller?.torrents[0]?.peers[0]?.bytes).toBe(3_001_000);
  });
});
