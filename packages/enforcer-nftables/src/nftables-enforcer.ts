/**
 * `createNftablesEnforcer(options)`: blocks and rate-limits BitTorrent peers at the packet level,
 * for any client and version, in one nftables table of its own (family `netdev`, default name
 * `peerpay`). It never touches another table. Every change is one atomic `nft -f -` transaction
 * on named sets; `start()` replaces any stale table of the same name (left by a crash) with one
 * rebuilt from the state it is given (the ledger's view), and `close()` deletes the table.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type LedgerDecision, PeerpayError } from "@peerpay/core";
import { createNftablesRunner, type NftablesRunner } from "./nftables-command.js";
import { joinTraffic, type PeerTraffic, parseCounterSet } from "./nftables-counters.js";
import {
  checkOptions,
  checkState,
  type EnforcerStateInput,
  type NftablesEnforcerOptions,
  throttledPeerSchema,
} from "./nftables-options.js";
import {
  blockLines,
  canonicalAddress,
  defaultBurstBytes,
  type NftablesLayout,
  type ThrottleEntry,
  tableScript,
  throttleLines,
  unthrottleLines,
} from "./nftables-script.js";

export interface ThrottledPeer {
  readonly address: string;
  readonly bytesPerSecond: number;
  readonly burstBytes: number;
}

export interface NftablesEnforcer {
  /** The table's name (family `netdev`). */
  readonly table: string;
  /**
   * Checks nft and CAP_NET_ADMIN, then atomically replaces any table of this name (a stale one
   * after a crash) with a fresh one enforcing `state` (default: `options.initialState`). Call it
   * again to rebuild from the ledger at any time. The other methods call it once if needed.
   */
  start(state?: EnforcerStateInput): Promise<void>;
  /** Drops all traffic between the client and these peers at once, open connections included. */
  block(addresses: readonly string[]): Promise<void>;
  unblock(addresses: readonly string[]): Promise<void>;
  /** Limits what the client sends to each of these peers to `bytesPerSecond` (a bucket per peer). */
  throttle(
    addresses: readonly string[],
    bytesPerSecond: number,
    options?: { burstBytes?: number },
  ): Promise<void>;
  unthrottle(addresses: readonly string[]): Promise<void>;
  /** Applies a core ledger decision to these addresses: allow, block, or throttle at its rate. */
  applyDecision(
    addresses: readonly string[],
    decision: Pick<LedgerDecision, "kind"> & { maxBytesPerSecond?: number },
  ): Promise<void>;
  listBlocked(): Promise<string[]>;
  listThrottled(): Promise<ThrottledPeer[]>;
  /** Per-peer bytes that passed, from nftables' own counters (for billing reconciliation). */
  readTraffic(): Promise<PeerTraffic[]>;
  /** Deletes the table (every block and limit ends). Idempotent. */
  close(): Promise<void>;
  getInstance(): { readonly run: NftablesRunner; readonly layout: NftablesLayout | undefined };
}

const runFile = promisify(execFile);

export function createNftablesEnforcer(options: NftablesEnforcerOptions): NftablesEnforcer {
  checkOptions(options);
  const table = options.table ?? "peerpay";
  const run = createNftablesRunner({
    command: options.command,
    netns: options.netns,
    timeoutMs: options.timeoutMs,
  });
  const blocked = new Set<string>();
  const throttled = new Map<string, ThrottleEntry>();
  let layout: NftablesLayout | undefined;
  let generation = 0;
  let started = false;
  let queue: Promise<unknown> = Promise.resolve();

  /** One nft transaction at a time, so the in-memory state always matches the kernel's. */
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };
  const nextLimitName = () => `peer_limit_${++generation}`;
  const canonical = (addresses: readonly string[]) => [
    ...new Set(checkAddresses(addresses).map((address) => canonicalAddress(address).address)),
  ];

  const rebuild = async (stateInput: EnforcerStateInput) => {
    const state = checkState(stateInput);
    await run(["list", "tables"]); // fails with the CAP_NET_ADMIN hint when not permitted
    const devices = options.devices ?? (await detectDevices(options.netns));
    if (devices.length === 0) {
      throw new PeerpayError("INVALID_CONFIG", "nftables enforcer: no network device to hook; set `devices`");
    }
    const nextLayout: NftablesLayout = {
      table,
      devices,
      ports: [...new Set(options.ports ?? [])],
      localAddresses: canonical(options.localAddresses ?? []),
      priority: options.priority ?? 0,
      counterSetSize: options.counterSetSize ?? 65_535,
    };
    const nextBlocked = new Set(canonical(state.blocked ?? []));
    const nextThrottled = new Map<string, ThrottleEntry>();
    for (const peer of state.throttled ?? []) {
      const [address] = canonical([peer.address]);
      nextThrottled.set(address!, {
        bytesPerSecond: peer.bytesPerSecond,
        burstBytes: peer.burstBytes ?? defaultBurstBytes(peer.bytesPerSecond),
        limitName: nextLimitName(),
      });
    }
    await run(["-f", "-"], tableScript(nextLayout, { blocked: nextBlocked, throttled: nextThrottled }));
    layout = nextLayout;
    blocked.clear();
    for (const address of nextBlocked) blocked.add(address);
    throttled.clear();
    for (const [address, entry] of nextThrottled) throttled.set(address, entry);
    started = true;
  };

  const ensureStarted = async () => {
    if (!started) await rebuild(options.initialState ?? {});
  };
  const apply = async (lines: string[]) => {
    if (lines.length) await run(["-f", "-"], `${lines.join("\n")}\n`);
  };

  const block = (addresses: readonly string[]) =>
    serial(async () => {
      const wanted = canonical(addresses);
      await ensureStarted();
      const fresh = wanted.filter((address) => !blocked.has(address));
      await apply(blockLines(table, "add", fresh));
      for (const address of fresh) blocked.add(address);
    });
  const unblock = (addresses: readonly string[]) =>
    serial(async () => {
      const wanted = canonical(addresses);
      await ensureStarted();
      const present = wanted.filter((address) => blocked.has(address));
      await apply(blockLines(table, "delete", present));
      for (const address of present) blocked.delete(address);
    });
  const throttle = (
    addresses: readonly string[],
    bytesPerSecond: number,
    extra: { burstBytes?: number } = {},
  ) =>
    serial(async () => {
      const wanted = canonical(addresses);
      const checked = throttledPeerSchema.safeParse({
        address: "x",
        bytesPerSecond,
        burstBytes: extra.burstBytes,
      });
      if (!checked.success) {
        throw new PeerpayError(
          "INVALID_INPUT",
          "nftables enforcer: bytesPerSecond and burstBytes must be whole numbers of at least 1",
        );
      }
      await ensureStarted();
      const burstBytes = extra.burstBytes ?? defaultBurstBytes(bytesPerSecond);
      const changes = wanted.flatMap((address) => {
        const previous = throttled.get(address);
        if (previous?.bytesPerSecond === bytesPerSecond && previous.burstBytes === burstBytes) return [];
        return [{ address, previous, entry: { bytesPerSecond, burstBytes, limitName: nextLimitName() } }];
      });
      await apply(
        changes.flatMap(({ address, entry, previous }) => throttleLines(table, address, entry, previous)),
      );
      for (const { address, entry } of changes) throttled.set(address, entry);
    });
  const unthrottle = (addresses: readonly string[]) =>
    serial(async () => {
      const wanted = canonical(addresses);
      await ensureStarted();
      const present = wanted.flatMap((address) => {
        const previous = throttled.get(address);
        return previous ? [{ address, previous }] : [];
      });
      await apply(present.flatMap(({ address, previous }) => unthrottleLines(table, address, previous)));
      for (const { address } of present) throttled.delete(address);
    });

  return {
    table,
    start: (state) => serial(() => rebuild(state ?? options.initialState ?? {})),
    block,
    unblock,
    throttle,
    unthrottle,
    async applyDecision(addresses, decision) {
      if (decision.kind === "block") {
        await block(addresses);
        return;
      }
      if (decision.kind === "throttle" && decision.maxBytesPerSecond !== undefined) {
        await throttle(addresses, decision.maxBytesPerSecond);
        await unblock(addresses);
        return;
      }
      // "allow", and any kind this version does not know, means full speed.
      await unblock(addresses);
      await unthrottle(addresses);
    },
    listBlocked: () => serial(async () => [...blocked].sort()),
    listThrottled: () =>
      serial(async () =>
        [...throttled].map(([address, entry]) => ({
          address,
          bytesPerSecond: entry.bytesPerSecond,
          burstBytes: entry.burstBytes,
        })),
      ),
    readTraffic: () =>
      serial(async () => {
        await ensureStarted();
        const read = async (name: string) =>
          parseCounterSet(await run(["--json", "list", "set", "netdev", table, name]));
        const [sent4, sent6, received4, received6] = await Promise.all(
          ["sent4", "sent6", "received4", "received6"].map(read),
        );
        return joinTraffic(new Map([...sent4!, ...sent6!]), new Map([...received4!, ...received6!]));
      }),
    close: () =>
      serial(async () => {
        // "table … {}" first makes the delete succeed whether or not the table exists.
        await run(["-f", "-"], `table netdev ${table} {}\ndelete table netdev ${table}\n`);
        started = false;
        blocked.clear();
        throttled.clear();
      }),
    getInstance: () => ({ run, layout }),
  };
}

function checkAddresses(addresses: readonly string[]): readonly string[] {
  if (!Array.isArray(addresses)) {
    throw new PeerpayError("INVALID_INPUT", "nftables enforcer: addresses must be an array of IP addresses");
  }
  return addresses;
}

/** Every device but loopback, as `ip -j link show` lists them (inside `netns` when given). */
async function detectDevices(netns: string | undefined): Promise<string[]> {
  const args = netns === undefined ? ["-j", "link", "show"] : ["-n", netns, "-j", "link", "show"];
  try {
    const { stdout } = await runFile("ip", args, { timeout: 10_000 });
    const links = JSON.parse(stdout) as Array<{ ifname?: unknown; link_type?: unknown }>;
    return links
      .filter((link) => typeof link.ifname === "string" && link.link_type !== "loopback")
      .map((link) => link.ifname as string);
  } catch (error) {
    throw new PeerpayError(
      "INVALID_CONFIG",
      "nftables enforcer: could not list network devices with `ip -j link show`; set `devices`",
      { cause: error },
    );
  }
}
