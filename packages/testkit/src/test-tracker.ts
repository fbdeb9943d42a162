/**
 * A tiny BitTorrent HTTP tracker for tests (BEP 3 announce, BEP 23 compact peers): it remembers
 * who announced each infohash and hands the others out. Enough to let clients find each other
 * without DHT/LSD/PEX. (Transmission ignores 127.x peers from a tracker, so tests that need a
 * Transmission daemon to dial out give it an address in a network namespace.)
 */
import { createServer, type Server } from "node:http";
import bencode from "bencode";

export interface TestTrackerOptions {
  /** Address to listen on, e.g. "127.0.0.1" or a test namespace's host-side address. */
  readonly host: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Re-announce interval told to clients, seconds; default 1800 (clients then only announce on events). */
  readonly intervalSeconds?: number;
}

export interface TestTracker {
  /** "http://<host>:<port>/announce" */
  readonly announceUrl: string;
  /** Announces received so far, newest last (for checking when a client re-announced). */
  readonly announces: ReadonlyArray<{
    readonly at: number;
    readonly infohash: string;
    readonly address: string;
    readonly event: string;
  }>;
  /** "ip:port" of the peers the tracker knows for an infohash. */
  peers(infohash: string): string[];
  stop(): Promise<void>;
}

export async function startTestTracker(options: TestTrackerOptions): Promise<TestTracker> {
  const swarms = new Map<string, Map<string, { address: string; port: number }>>();
  const announces: Array<{ at: number; infohash: string; address: string; event: string }> = [];
  const server: Server = createServer((request, response) => {
    const [path, query = ""] = (request.url ?? "").split("?", 2);
    if (path !== "/announce") {
      response.writeHead(404).end();
      return;
    }
    const parameters = parseQuery(query);
    const infohash = parameters.get("info_hash")?.toString("hex");
    const port = Number(parameters.get("port")?.toString("latin1"));
    const address = (parameters.get("ip")?.toString("latin1") ?? request.socket.remoteAddress ?? "").replace(
      /^::ffff:/,
      "",
    );
    if (infohash?.length !== 40 || !Number.isInteger(port) || port <= 0 || port > 65535) {
      response.writeHead(200).end(Buffer.from(bencode.encode({ "failure reason": "bad announce" })));
      return;
    }
    const event = parameters.get("event")?.toString("latin1") ?? "";
    announces.push({ at: Date.now(), infohash, address, event });
    let swarm = swarms.get(infohash);
    if (!swarm) {
      swarm = new Map();
      swarms.set(infohash, swarm);
    }
    const key = `${address}:${port}`;
    if (event === "stopped") swarm.delete(key);
    else swarm.set(key, { address, port });
    const others = [...swarm.entries()].filter(([entry]) => entry !== key).map(([, peer]) => peer);
    const compact = Buffer.alloc(6 * others.length);
    others.forEach((peer, index) => {
      const parts = peer.address.split(".").map(Number);
      if (parts.length !== 4) return;
      parts.forEach((part, offset) => {
        compact.writeUInt8(part & 255, index * 6 + offset);
      });
      compact.writeUInt16BE(peer.port, index * 6 + 4);
    });
    const body = bencode.encode({
      interval: options.intervalSeconds ?? 1800,
      complete: 0,
      incomplete: others.length,
      peers: compact,
    });
    response.writeHead(200, { "content-type": "text/plain" }).end(Buffer.from(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === "object" && bound ? bound.port : 0;
  return {
    announceUrl: `http://${options.host}:${port}/announce`,
    announces,
    peers: (infohash) => [...(swarms.get(infohash.toLowerCase())?.keys() ?? [])],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Query values as raw bytes (`info_hash` is binary, percent-encoded, not UTF-8). */
function parseQuery(query: string): Map<string, Buffer> {
  const values = new Map<string, Buffer>();
  for (const pair of query.split("&")) {
    const [name, value = ""] = pair.split("=", 2);
    if (name) values.set(name, percentDecode(value));
  }
  return values;
}

function percentDecode(text: string): Buffer {
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === "%" && /^[0-9a-fA-F]{2}$/.test(text.slice(index + 1, index + 3))) {
      bytes.push(Number.parseInt(text.slice(index + 1, index + 3), 16));
      index += 2;
    } else if (char === "+") {
      bytes.push(32);
    } else {
      bytes.push(char.charCodeAt(0) & 255);
    }
  }
  return Buffer.from(bytes);
}
