/**
 * A loopback TCP relay placed between an adapter and LND's gRPC port, so tests can break the
 * connection while the node stays up: `dropConnections()` cuts every open connection (the invoice
 * stream with it), `pause()` also refuses new ones until `resume()`. Bytes pass through untouched
 * (TLS is end to end, so LND's certificate still matches 127.0.0.1).
 */
import { connect as connectSocket, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** `127.0.0.1:<port>` to give the adapter as its socket. */
  readonly socket: string;
  /** How many client connections have been accepted so far. */
  connectionCount(): number;
  dropConnections(): void;
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const separator = target.lastIndexOf(":");
  const targetHost = target.slice(0, separator);
  const targetPort = Number(target.slice(separator + 1));
  const sockets = new Set<Socket>();
  let accepted = 0;
  let port = 0;
  let server: Server | undefined;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const created = createServer((client) => {
        accepted += 1;
        const upstream = connectSocket({ host: targetHost, port: targetPort });
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      created.once("error", reject);
      created.listen(port, "127.0.0.1", () => {
        const address = created.address();
        port = typeof address === "object" && address ? address.port : port;
        server = created;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      const current = server;
      server = undefined;
      if (!current) return resolve();
      current.close(() => resolve());
    });
  const dropConnections = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };

  await listen();
  return {
    socket: `127.0.0.1:${port}`,
    connectionCount: () => accepted,
    dropConnections,
    async pause() {
      const closing = stopListening();
      dropConnections();
      await closing;
    },
    async resume() {
      if (!server) await listen();
    },
    async close() {
      const closing = stopListening();
      dropConnections();
      await closing;
    },
  };
}
