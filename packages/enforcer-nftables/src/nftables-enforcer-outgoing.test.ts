/**
 * The client's *outgoing* TCP connections leave from ephemeral ports, not its listen port: only
 * `localAddresses` catches them. A Node sender in the seller namespace streams to a Node receiver
 * in the buyer namespace from an ephemeral port; with `ports` alone a block misses it, with the
 * sender's address in `localAddresses` the stream stops, and resumes on unblock. Needs root.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createTestNetworkPair, type TestNetworkPair } from "@peerpay/testkit/daemons";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNftablesEnforcer } from "./index.js";
import { canRunNftables } from "./nftables-namespace.test.helper.js";
import { sleep } from "./nftables-swarm.test.helper.js";

const supported = await canRunNftables();
const PORT = 7000;

/** Receiver: prints the running byte total every 100 ms; exits after 60 s at the latest. */
const receiver = (address: string) => `
const net = require("node:net");
let total = 0;
net.createServer((socket) => socket.on("data", (chunk) => { total += chunk.length; })).listen(${PORT}, "${address}");
setInterval(() => console.log(total), 100);
setTimeout(() => process.exit(0), 60000);`;

/** Sender: one connection from `from` (ephemeral port), ~2 MB/s, at most 4 MiB queued, for 60 s at the most. */
const sender = (from: string, to: string) => `
const net = require("node:net");
const socket = net.connect({ host: "${to}", port: ${PORT}, localAddress: "${from}" });
const chunk = Buffer.alloc(16384);
socket.on("error", () => process.exit(1));
const timer = setInterval(() => { for (let i = 0; i < 12 && socket.writableLength < 4194304; i++) socket.write(chunk); }, 100);
setTimeout(() => { clearInterval(timer); process.exit(0); }, 60000);`;

describe.skipIf(!supported)("outgoing TCP from an ephemeral port (needs root and nft)", () => {
  let pair: TestNetworkPair;
  const children: ChildProcess[] = [];
  let received = 0;

  const inNamespace = (netns: string, script: string) => {
    const child = spawn("ip", ["netns", "exec", netns, process.execPath, "-e", script], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    pair = await createTestNetworkPair({ buyerAddresses: 1 });
    const listening = inNamespace(pair.buyer.name, receiver(pair.buyer.addresses[0]!));
    listening.stdout?.on("data", (data: Buffer) => {
      const last = data.toString().trim().split("\n").pop();
      if (last) received = Number(last);
    });
    await sleep(500);
    inNamespace(pair.seller.name, sender(pair.seller.address, pair.buyer.addresses[0]!));
    const deadline = Date.now() + 10_000;
    while (received === 0 && Date.now() < deadline) await sleep(100);
  }, 30_000);

  afterAll(async () => {
    for (const child of children)
      if (child.pid !== undefined && child.exitCode === null) child.kill("SIGKILL");
    await pair?.remove();
  });

  const growthOver = async (ms: number) => {
    const start = received;
    await sleep(ms);
    return received - start;
  };

  it("ports alone miss it; with localAddresses a block stops it and an unblock resumes it", async () => {
    expect(received).toBeGreaterThan(0);
    const buyer = pair.buyer.addresses[0]!;
    const common = { ports: [51413], devices: [pair.seller.device], netns: pair.seller.name };

    const portsOnly = createNftablesEnforcer(common);
    await portsOnly.start({ blocked: [buyer] });
    const missed = await growthOver(1_000);
    console.info(`[nft outgoing] ports only, peer blocked: ${missed} B still went through in 1 s`);
    expect(missed).toBeGreaterThan(0);

    const withAddress = createNftablesEnforcer({ ...common, localAddresses: [pair.seller.address] });
    await withAddress.start({ blocked: [buyer] }); // replaces the table above
    await sleep(1_000); // data already in flight may still land
    const leaked = await growthOver(2_000);
    console.info(
      `[nft outgoing] with localAddresses, peer blocked: ${leaked} B in the 2 s after the first second`,
    );
    expect(leaked).toBe(0);

    await withAddress.unblock([buyer]);
    const t0 = Date.now();
    const before = received;
    while (received === before && Date.now() - t0 < 15_000) await sleep(50);
    console.info(`[nft outgoing] unblock: bytes again after ${Date.now() - t0} ms`);
    expect(received).toBeGreaterThan(before);
    await withAddress.close();
  }, 40_000);
});
