/**
 * The parts a daemon is made of, built from the configuration: a bridge per role (to the user's
 * client), the payment adapter (sim://, lnd://, cln://, cln+https://). sim:// builds an in-process
 * simulated network — not real money — with a node per role and, when one process runs both roles,
 * a channel from the buyer's node to the seller's so the two can pay each other.
 */
import { join } from "node:path";
import { createClnAdapter } from "@peerpay/adapter-cln";
import { createLndAdapter } from "@peerpay/adapter-lnd";
import { createQbittorrentBridge } from "@peerpay/bridge-qbittorrent";
import { createTransmissionBridge } from "@peerpay/bridge-transmission";
import { type PaymentAdapter, PeerpayError, type TorrentBridge } from "@peerpay/core";
import { createSimAdapter, createSimNetwork } from "@peerpay/lightning-sim";
import type { Configuration, DaemonRole } from "./config-resolve.js";
import type { ClientConnection } from "./connection-string.js";
import type { ServiceLogger } from "./service-logger.js";

export interface DaemonAdapters {
  readonly seller?: PaymentAdapter;
  readonly buyer?: PaymentAdapter;
  /** True on the simulated network: every status line and page says "not real money". */
  readonly simulated: boolean;
  close(): Promise<void>;
}

export function createDaemonAdapters(
  configuration: Configuration,
  roles: readonly DaemonRole[],
  logger: ServiceLogger,
): DaemonAdapters {
  const connection = configuration.lightning;
  const wantsSeller = roles.includes("seller");
  const wantsBuyer = roles.includes("buyer");
  if (connection.kind === "sim") {
    const network = createSimNetwork();
    const sellerNode = wantsSeller ? network.addNode({ alias: "peerpay-seller" }) : undefined;
    const buyerNode = wantsBuyer ? network.addNode({ alias: "peerpay-buyer" }) : undefined;
    if (sellerNode && buyerNode) network.openChannel(buyerNode, sellerNode, 5_000_000_000n);
    if (wantsBuyer && !wantsSeller) {
      logger.warn(
        {},
        "sim:// in a buyer-only process: its simulated node reaches no seller in another process, so payments to them fail",
      );
    }
    const seller = sellerNode ? createSimAdapter({ network, node: sellerNode }) : undefined;
    const buyer = buyerNode ? createSimAdapter({ network, node: buyerNode }) : undefined;
    logger.warn({}, "lightning: sim:// — the SIMULATED Lightning network: no real money moves");
    return {
      ...(seller ? { seller } : {}),
      ...(buyer ? { buyer } : {}),
      simulated: true,
      async close() {
        await seller?.close();
        await buyer?.close();
      },
    };
  }
  let adapter: PaymentAdapter;
  if (connection.kind === "lnd") {
    adapter = createLndAdapter({
      socket: connection.socket,
      ...(connection.cert ? { cert: connection.cert } : {}),
      ...(connection.macaroon ? { macaroon: connection.macaroon } : {}),
      role: wantsSeller && wantsBuyer ? "both" : wantsSeller ? "seller" : "buyer",
    });
  } else if (connection.kind === "cln") {
    adapter = createClnAdapter({ socketPath: connection.socketPath, logger });
  } else {
    if (!connection.rune) {
      throw new PeerpayError("INVALID_CONFIG", "lightning: cln+https:// needs a rune: set CLN_RUNE", {
        details: { key: "lightning" },
      });
    }
    adapter = createClnAdapter({ rest: { url: connection.url, rune: connection.rune }, logger });
  }
  return {
    ...(wantsSeller ? { seller: adapter } : {}),
    ...(wantsBuyer ? { buyer: adapter } : {}),
    simulated: false,
    close: () => adapter.close(),
  };
}

export interface DaemonBridgeOptions {
  readonly role: DaemonRole;
  readonly connection: ClientConnection;
  readonly stateDirectory: string;
  readonly restoreOnClose: boolean;
  readonly kick?: { readonly enabled: boolean; readonly minIntervalMs: number };
  readonly blocklistServer?: { readonly host?: string; readonly port?: number; readonly publicHost?: string };
  readonly logger: ServiceLogger;
}

/**
 * One bridge per role, each with its own state file: per-peer byte deltas are per bridge instance,
 * so two roles on one client must not share one. Only the seller's bridge ever blocks.
 */
export function createDaemonBridge(options: DaemonBridgeOptions): TorrentBridge {
  const { connection, logger } = options;
  const stateFile = join(options.stateDirectory, `${options.role}-${connection.kind}-bridge.json`);
  const url = new URL(connection.url);
  if (connection.kind === "transmission") {
    if (url.pathname !== "/transmission/rpc") {
      throw new PeerpayError(
        "INVALID_CONFIG",
        "client: the Transmission bridge talks to /transmission/rpc; a different RPC path is not supported",
        { details: { key: "client" } },
      );
    }
    return createTransmissionBridge({
      baseUrl: `${url.origin}/`,
      username: connection.username,
      password: connection.password,
      stateFile,
      restoreOnClose: options.restoreOnClose,
      ...(options.blocklistServer ? { blocklistServer: options.blocklistServer } : {}),
      ...(options.kick ? { kick: options.kick } : {}),
      onWarning: (message) => logger.warn({ bridge: "transmission", role: options.role }, message),
    });
  }
  return createQbittorrentBridge({
    baseUrl: `${url.origin}/`,
    username: connection.username,
    ...(connection.password ? { password: connection.password } : {}),
    stateFile,
    unblockOnClose: options.role === "seller" && options.restoreOnClose,
    logger: {
      info: (message: string) => logger.info({ bridge: "qbittorrent", role: options.role }, message),
      warn: (message: string) => logger.warn({ bridge: "qbittorrent", role: options.role }, message),
    },
  });
}
