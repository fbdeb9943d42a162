/**
 * Owns the daemon's blocklist settings while the bridge runs: takes over `blocklist-url` (keeping
 * the user's original settings and list), applies the bridge's blocks with coalesced
 * `blocklist-update` calls whose `blocklist-size` is checked, and gives the user's settings back.
 */
import { BridgeError } from "@peerpay/core";
import type { z } from "zod";
import { countBlocklistRules } from "./transmission-blocklist.js";
import { type BlocklistServer, safeHost } from "./transmission-blocklist-server.js";
import type { TransmissionBridgeState } from "./transmission-bridge-state.js";
import type { TransmissionRpc } from "./transmission-rpc.js";
import { blocklistUpdateSchema, empty, type sessionSchema } from "./transmission-schemas.js";

const OWN_PATH_MARKER = "/peerpay-blocklist/";

export interface BlocklistSync {
  takeOver(
    state: TransmissionBridgeState,
    session: z.infer<typeof sessionSchema>,
    saveOriginal: (original: { url: string; enabled: boolean }) => Promise<void>,
  ): Promise<void>;
  /** Serves exactly these blocks (plus the user's list) and makes the daemon load them. */
  apply(blocked: readonly string[]): Promise<void>;
  restore(state: TransmissionBridgeState, clearOriginal: () => Promise<void>): Promise<void>;
}

export function createBlocklistSync(options: {
  rpc: TransmissionRpc;
  server: () => Promise<BlocklistServer>;
  onWarning: (message: string) => void;
}): BlocklistSync {
  const { rpc, onWarning } = options;
  let desired: readonly string[] = [];
  let dirty = false;
  let flushing: Promise<void> | undefined;

  const update = async (server: BlocklistServer): Promise<number> => {
    const answer = await server.asOwnUpdate(() => rpc.call("blocklist-update", {}, blocklistUpdateSchema));
    return answer["blocklist-size"];
  };

  const applyNow = async (): Promise<void> => {
    const server = await options.server();
    server.setBlocked(desired);
    await server.refreshUserList(false).catch((error: unknown) => onWarning((error as Error).message));
    const expected = countBlocklistRules(server.currentText());
    const size = await update(server);
    if (size === 0) {
      throw new BridgeError(
        "transmission",
        "blocklist-update",
        "BACKEND_PROTOCOL_ERROR",
        "the daemon loaded 0 blocklist rules from the bridge's list (it should hold at least the placeholder)",
      );
    }
    if (size !== expected) {
      onWarning(
        `the daemon loaded ${size} blocklist rules where ${expected} were expected; check the user's list format`,
      );
    }
  };

  /** Coalesces: changes made while an update runs go out together in the next one. */
  const flush = async (): Promise<void> => {
    dirty = true;
    for (let round = 0; round < 100; round++) {
      if (flushing) {
        try {
          await flushing;
        } catch (error) {
          if (!dirty) throw error;
        }
        continue;
      }
      if (!dirty) return;
      dirty = false;
      flushing = applyNow().finally(() => {
        flushing = undefined;
      });
      await flushing;
      return;
    }
  };

  return {
    async takeOver(state, session, saveOriginal) {
      const server = await options.server();
      const current = { url: session["blocklist-url"], enabled: session["blocklist-enabled"] };
      let original = state.original;
      if (!original) {
        if (current.url.includes(OWN_PATH_MARKER)) {
          onWarning(
            "the daemon points at a peerpay blocklist but the state file has no record of the user's own settings; assuming none",
          );
          original = { url: "", enabled: false };
        } else {
          original = current;
        }
      }
      server.setUserListUrl(original.enabled ? original.url : "");
      try {
        await server.refreshUserList(true);
      } catch (error) {
        // The daemon holds no rules at all (the user's list never loaded): nothing can be lost, so
        // take over and keep trying the user's URL on later updates.
        if (session["blocklist-size"] === 0) {
          onWarning(
            `could not fetch the user's own blocklist from ${safeHost(original.url)}; the daemon holds no rules, so the bridge takes over and retries it later`,
          );
        } else
          throw new BridgeError(
            "transmission",
            "connect",
            "BACKEND_UNAVAILABLE",
            `could not fetch the user's own blocklist from ${safeHost(original.url)}; not taking over blocklist-url, so that list is not lost`,
            { cause: error },
          );
      }
      if (!state.original) await saveOriginal(original);
      if (current.url !== server.url || !current.enabled) {
        await rpc.call("session-set", { "blocklist-url": server.url, "blocklist-enabled": true }, empty);
      }
      desired = [...state.blocked];
      await flush();
    },
    async apply(blocked) {
      desired = [...blocked];
      await flush();
    },
    async restore(state, clearOriginal) {
      const original = state.original;
      if (!original) return;
      // First a list without the bridge's blocks (the user's cached list + placeholder), so that
      // nothing of the bridge's stays in force even if the user's host cannot be reached below.
      desired = [];
      await flush();
      await rpc.call(
        "session-set",
        { "blocklist-url": original.url, "blocklist-enabled": original.enabled },
        empty,
      );
      if (original.url !== "") {
        // The daemon fetches the user's own list again, as it would without the bridge.
        await rpc
          .call("blocklist-update", {}, blocklistUpdateSchema)
          .catch((error: unknown) =>
            onWarning(`restoring the user's blocklist: ${(error as Error).message}`),
          );
      }
      await clearOriginal();
    },
  };
}
