/**
 * The demo end to end, in both directions, with real daemons on 127.0.0.2 / 127.0.0.3 and the
 * simulated Lightning network: the file must arrive intact and both ledgers must agree with each
 * other and with both clients' own counters.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { defaultDemoOptions, runDemo } from "./demo-scenario.js";

function capture() {
  const output = new PassThrough();
  let text = "";
  output.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { output, text: () => text };
}

describe.each([
  { seller: "transmission", buyer: "qbittorrent" },
  { seller: "qbittorrent", buyer: "transmission" },
] as const)("peerpay demo: $seller seller, $buyer buyer", ({ seller, buyer }) => {
  it("transfers a paid torrent and both ledgers agree", async () => {
    const log = capture();
    const summary = await runDemo({
      ...defaultDemoOptions,
      seller,
      buyer,
      sizeMiB: 12,
      timeoutSeconds: 150,
      output: log.output,
    });
    const text = log.text();
    console.info(summary.lines.join("\n"));
    expect(text).toContain("SIMULATED Lightning network: no real money moves");
    expect(summary.figures.hashMatches).toBe(true);
    // Every msat the buyer paid was credited by the seller, exactly once.
    expect(summary.figures.earnedMsat).toBe(summary.figures.paidMsat);
    expect(summary.figures.paidMsat).toBeGreaterThan(0n);
    // The bytes beyond the free allowance were paid for.
    expect(summary.figures.costMsat).toBeGreaterThan(0n);
    expect(summary.figures.costMsat).toBeLessThanOrEqual(summary.figures.earnedMsat);
    expect(summary.figures.freeBytes).toBe(4n * 1024n * 1024n);
    expect(summary.ok, text).toBe(true);
  }, 200_000);
});
