/**
 * The bridge's own record of the bans it made, persisted as a small JSON file so a restarted
 * bridge still knows which `banned_IPs` entries are its own (and which are the user's). Written
 * atomically (temp file + rename); read back through zod.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { BridgeError } from "@peerpay/core";
import { z } from "zod";

const stateSchema = z.object({
  version: z.literal(1),
  /** Normalised address → the raw `banned_IPs` entries the bridge added for it. */
  owned: z.record(z.string(), z.object({ entries: z.array(z.string()).min(1), since: z.string() })),
  /** Entries of a buyer-side nudge in progress (ban + unban); removed again on reconcile. */
  transient: z.array(z.string()),
});

export type BanState = z.infer<typeof stateSchema>;

export interface BanStateStore {
  load(): Promise<BanState>;
  save(state: BanState): Promise<void>;
}

export function emptyBanState(): BanState {
  return { version: 1, owned: {}, transient: [] };
}

/** A store in a JSON file, or in memory when `path` is false (bans are then forgotten on restart). */
export function createBanStateStore(path: string | false): BanStateStore {
  if (path === false) {
    let memory = emptyBanState();
    return {
      load: async () => structuredClone(memory),
      save: async (state) => {
        memory = structuredClone(state);
      },
    };
  }
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyBanState();
        throw new BridgeError("qbittorrent", "load ban state", "STORAGE_FAILED", `cannot read ${path}`, {
          cause: error,
        });
      }
      const parsed = stateSchema.safeParse(safeJson(text));
      if (!parsed.success) {
        throw new BridgeError(
          "qbittorrent",
          "load ban state",
          "STORAGE_FAILED",
          `${path} is not a ban-state file; move it away to start fresh`,
          { cause: parsed.error },
        );
      }
      return parsed.data;
    },
    async save(state) {
      try {
        await mkdir(dirname(path), { recursive: true });
        const temporary = `${path}.${process.pid}.tmp`;
        await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
        await rename(temporary, path);
      } catch (error) {
        throw new BridgeError("qbittorrent", "save ban state", "STORAGE_FAILED", `cannot write ${path}`, {
          cause: error,
        });
      }
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
