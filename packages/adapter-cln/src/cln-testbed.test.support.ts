/**
 * Test bench: a simulated network with a node served by the lightningd DOUBLE (socket and
 * clnrest) and a plain simulated peer with channels both ways, so payments really settle.
 */
import { createHash, randomBytes } from "node:crypto";
import type { PaymentAdapter } from "@peerpay/core";
import { createSimAdapter, createSimNetwork, type SimNetwork, type SimNode } from "@peerpay/lightning-sim";
import { type ClnAdapterOptions, createClnAdapter } from "./cln-adapter.js";
import { createLightningdDouble, type LightningdDouble } from "./testing/lightningd-double.js";

/** A made-up rune for the REST double; the tests check it never shows up anywhere. */
export const TEST_RUNE = `tU-RWx${randomBytes(24).toString("base64url")}==`;

export interface ClnTestbed {
  readonly network: SimNetwork;
  readonly clnNode: SimNode;
  readonly peerNode: SimNode;
  readonly double: LightningdDouble;
  /** A simulated node's own adapter (not CLN): pays our invoices, issues invoices we pay. */
  readonly peer: PaymentAdapter;
  /** A new CLN adapter (closed by `close`). */
  adapter(mode: "socket" | "rest", extra?: Partial<ClnAdapterOptions>): PaymentAdapter;
  close(): Promise<void>;
}

export interface ClnTestbedOptions {
  readonly version?: string;
  readonly allowedMethods?: readonly string[];
  readonly disabledMethods?: readonly string[];
}

export async function createClnTestbed(options: ClnTestbedOptions = {}): Promise<ClnTestbed> {
  const network = createSimNetwork();
  const clnNode = network.addNode({ alias: "cln" });
  const peerNode = network.addNode({ alias: "peer" });
  network.openChannel(peerNode, clnNode, 2_000_000_000n);
  network.openChannel(clnNode, peerNode, 2_000_000_000n);
  const double = await createLightningdDouble({
    network,
    node: clnNode,
    ...(options.version ? { version: options.version } : {}),
    ...(options.disabledMethods ? { disabledMethods: options.disabledMethods } : {}),
    rest: {
      runes: [TEST_RUNE],
      ...(options.allowedMethods ? { allowedMethods: options.allowedMethods } : {}),
    },
  });
  const peer = createSimAdapter({ network, node: peerNode, reconnectDelayMs: 10 });
  const adapters: PaymentAdapter[] = [];
  return {
    network,
    clnNode,
    peerNode,
    double,
    peer,
    adapter(mode, extra = {}) {
      const adapter = createClnAdapter({
        ...(mode === "socket"
          ? { socketPath: double.socketPath }
          : { rest: { url: double.restUrl as string, rune: TEST_RUNE } }),
        requestTimeoutMs: 10_000,
        waitTimeoutSeconds: 2,
        reconnectDelayMs: { initial: 20, max: 200 },
        ...extra,
      });
      adapters.push(adapter);
      return adapter;
    },
    async close() {
      await Promise.all(adapters.map((adapter) => adapter.close()));
      await peer.close();
      await double.close();
    },
  };
}

export function sha256Hex(hex: string): string {
  return createHash("sha256").update(Buffer.from(hex, "hex")).digest("hex");
}

export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; retryable?: boolean }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; retryable?: boolean };
  }
  throw new Error("expected a rejection");
}

export async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
