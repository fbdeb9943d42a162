/**
 * Ban and unban on qBittorrent without clobbering the user's own banned IPs.
 *
 * Ban: one `transfer/banPeers` call for everything requested together (it needs `ip:port`; the
 * port is ignored), then a read of `app/preferences` to check each entry landed. Unban: there is no
 * call for it, only `app/setPreferences {"banned_IPs": …}`, a full replacement (newline-separated;
 * anything else wipes the list). So the bridge keeps its own persisted set of entries it added,
 * reads the live list, removes only its own entries, writes back, and reads again to confirm.
 * Entries it found already present belong to the user and are never taken over. All writes are
 * serialised; requests made in the same tick are coalesced into one write.
 */
import { BridgeError, formatEndpoint } from "@peerpay/core";
import type { BanState, BanStateStore } from "./qbittorrent-ban-state.js";
import type { QbittorrentLogger, QbittorrentSession } from "./qbittorrent-session.js";
import { parseWire, preferencesSchema, splitBannedIps } from "./qbittorrent-wire.js";

export interface BanListHooks {
  /** Raw forms the client showed for an address (e.g. "::ffff:10.0.0.1"), also banned. */
  rawFormsOf(address: string): string[];
  lastPortOf(address: string): number | undefined;
  /** Called once a ban is in place, so accounting restarts this IP's counters from 0. */
  onBanned(address: string): void;
}

export class QbittorrentBanList {
  private state: BanState | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private pendingBlocks = new Set<string>();
  private pendingUnblocks = new Set<string>();
  private blockFlush: Promise<void> | undefined;
  private unblockFlush: Promise<void> | undefined;

  constructor(
    private readonly session: QbittorrentSession,
    private readonly store: BanStateStore,
    private readonly hooks: BanListHooks,
    private readonly logger?: QbittorrentLogger,
  ) {}

  /** The live `banned_IPs` list, as entries. */
  async readLive(): Promise<string[]> {
    const text = await this.session.request("app/preferences");
    return splitBannedIps(parseWire(preferencesSchema, text, "app/preferences").banned_IPs);
  }

  /** Addresses the bridge owns a ban for. */
  async owned(): Promise<string[]> {
    return Object.keys((await this.loadState()).owned).sort();
  }

  /** Re-bans owned addresses missing from the live list; clears an interrupted nudge. */
  reconcile(): Promise<void> {
    return this.serialise(async () => {
      const state = await this.loadState();
      let live = await this.readLive();
      if (state.transient.length > 0) {
        const leftovers = new Set(state.transient);
        if (live.some((entry) => leftovers.has(entry))) {
          await this.writeLive(live.filter((entry) => !leftovers.has(entry)));
          live = await this.readLive();
        }
        state.transient = [];
        await this.store.save(state);
      }
      const present = new Set(live);
      const missing = Object.entries(state.owned).filter(([, record]) =>
        record.entries.some((entry) => !present.has(entry)),
      );
      if (missing.length === 0) return;
      this.logger?.info?.(`[qbittorrent] re-banning ${missing.length} address(es) missing from banned_IPs`);
      await this.banEntries(
        missing.flatMap(([address, record]) => record.entries.map((entry) => [address, entry])),
      );
    });
  }

  block(addresses: readonly string[]): Promise<void> {
    for (const address of addresses) this.pendingBlocks.add(address);
    this.blockFlush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const batch = [...this.pendingBlocks];
      this.pendingBlocks.clear();
      this.blockFlush = undefined;
      return this.serialise(() => this.blockNow(batch));
    });
    return this.blockFlush;
  }

  unblock(addresses: readonly string[]): Promise<void> {
    for (const address of addresses) this.pendingUnblocks.add(address);
    this.unblockFlush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const batch = [...this.pendingUnblocks];
      this.pendingUnblocks.clear();
      this.unblockFlush = undefined;
      return this.serialise(() => this.unblockNow(batch));
    });
    return this.unblockFlush;
  }

  /**
   * Bans and at once unbans one address the bridge does not own (libtorrent then forgets the peer
   * and its reconnect back-off). Touches only the entry it adds; if the user already bans the
   * address, does nothing. Returns whether it cycled the entry.
   */
  cycle(address: string): Promise<boolean> {
    return this.serialise(async () => {
      const state = await this.loadState();
      if (state.owned[address]) {
        throw new BridgeError("qbittorrent", "nudge", "CONFLICT", `${address} is blocked by this bridge`);
      }
      const live = await this.readLive();
      if (live.includes(address)) return false;
      const entries = unique([address, ...this.hooks.rawFormsOf(address)]);
      state.transient = entries;
      await this.store.save(state);
      await this.banPeers(entries.map((entry) => [address, entry]));
      const after = await this.readLive();
      await this.writeLive(after.filter((entry) => !entries.includes(entry)));
      const confirm = await this.readLive();
      if (confirm.some((entry) => entries.includes(entry))) {
        throw new BridgeError(
          "qbittorrent",
          "nudge",
          "BACKEND_PROTOCOL_ERROR",
          `${address} stayed in banned_IPs`,
        );
      }
      state.transient = [];
      await this.store.save(state);
      return true;
    });
  }

  private async blockNow(addresses: readonly string[]): Promise<void> {
    const state = await this.loadState();
    const live = new Set(await this.readLive());
    const toBan: [string, string][] = [];
    const now = new Date().toISOString();
    for (const address of addresses) {
      const record = state.owned[address];
      if (record) {
        for (const entry of record.entries) if (!live.has(entry)) toBan.push([address, entry]);
        continue;
      }
      // Already banned by the user: it stays theirs, and the peer is blocked anyway.
      if (live.has(address)) continue;
      const entries = unique([address, ...this.hooks.rawFormsOf(address)]);
      state.owned[address] = { entries, since: now };
      for (const entry of entries) toBan.push([address, entry]);
    }
    // Record ownership before banning, so a crash in between is repaired by `reconcile`.
    await this.store.save(state);
    if (toBan.length > 0) await this.banEntries(toBan);
  }

  private async unblockNow(addresses: readonly string[]): Promise<void> {
    const state = await this.loadState();
    const removing = new Set<string>();
    for (const address of addresses) {
      for (const entry of state.owned[address]?.entries ?? []) removing.add(entry);
    }
    if (removing.size === 0) return;
    let live = await this.readLive();
    // Re-read right before writing, to keep the window for a concurrent edit as short as possible.
    const recheck = await this.readLive();
    if (recheck.join("\n") !== live.join("\n")) live = recheck;
    const next = live.filter((entry) => !removing.has(entry));
    if (next.length !== live.length) await this.writeLive(next);
    const confirm = await this.readLive();
    const stuck = confirm.filter((entry) => removing.has(entry));
    if (stuck.length > 0) {
      throw new BridgeError(
        "qbittorrent",
        "unblock",
        "BACKEND_PROTOCOL_ERROR",
        `still banned: ${stuck.join(", ")}`,
      );
    }
    const lost = next.filter((entry) => !confirm.includes(entry));
    if (lost.length > 0)
      this.logger?.warn?.(`[qbittorrent] qBittorrent dropped banned_IPs entries: ${lost.join(", ")}`);
    for (const address of addresses) delete state.owned[address];
    await this.store.save(state);
  }

  /** banPeers for [address, entry] pairs, then checks every entry landed (falls back to a merge write). */
  private async banEntries(pairs: readonly (readonly [string, string])[]): Promise<void> {
    await this.banPeers(pairs);
    let live = await this.readLive();
    let missing = pairs.filter(([, entry]) => !live.includes(entry));
    if (missing.length > 0) {
      this.logger?.warn?.(`[qbittorrent] banPeers did not add ${missing.length} entr(ies); merging them in`);
      await this.writeLive(unique([...live, ...missing.map(([, entry]) => entry)]));
      live = await this.readLive();
      missing = missing.filter(([, entry]) => !live.includes(entry));
      if (missing.length > 0) {
        throw new BridgeError(
          "qbittorrent",
          "block",
          "BACKEND_PROTOCOL_ERROR",
          "qBittorrent did not keep the ban",
          {
            details: { entries: missing.map(([, entry]) => entry) },
          },
        );
      }
    }
    for (const address of new Set(pairs.map(([address]) => address))) this.hooks.onBanned(address);
  }

  private async banPeers(pairs: readonly (readonly [string, string])[]): Promise<void> {
    const peers = pairs.map(([address, entry]) =>
      formatEndpoint(entry, this.hooks.lastPortOf(address) || 6881),
    );
    await this.session.request("transfer/banPeers", { form: { peers: peers.join("|") } });
  }

  private async writeLive(entries: readonly string[]): Promise<void> {
    // Newline-separated only: a comma-separated value is rejected as a whole and empties the list.
    await this.session.request("app/setPreferences", {
      form: { json: JSON.stringify({ banned_IPs: entries.join("\n") }) },
    });
  }

  private async loadState(): Promise<BanState> {
    this.state ??= await this.store.load();
    return this.state;
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
