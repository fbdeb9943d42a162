/**
 * The bridge's small state file: the user's original blocklist settings (to restore them), the
 * addresses the bridge blocks, and torrents it stopped for a kick and has not restarted yet. It
 * is written atomically (temp file + rename) before every change is applied, so a restart after
 * a crash reconciles: re-serves the blocks, restarts torrents it stopped, and still knows the
 * user's own settings.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { BridgeError } from "@peerpay/core";
import { z } from "zod";

const stateSchema = z.object({
  version: z.literal(1),
  /** The user's `blocklist-url` / `blocklist-enabled` from before the bridge took over; null when not taken over. */
  original: z.object({ url: z.string(), enabled: z.boolean() }).nullable(),
  blocked: z.array(z.string()),
  /** Infohashes the bridge stopped for a kick and must start again. */
  stoppedForKick: z.array(z.string()),
});

export type TransmissionBridgeState = z.infer<typeof stateSchema>;

export const emptyState = (): TransmissionBridgeState => ({
  version: 1,
  original: null,
  blocked: [],
  stoppedForKick: [],
});

export async function readBridgeState(path: string): Promise<TransmissionBridgeState> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
    throw new BridgeError(
      "transmission",
      "read state",
      "STORAGE_FAILED",
      `cannot read the state file ${path}`,
      {
        cause: error,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    throw new BridgeError(
      "transmission",
      "read state",
      "INVALID_CONFIG",
      `the state file ${path} is not a peerpay Transmission bridge state`,
      { retryable: false },
    );
  }
  return parsed.data;
}

export async function writeBridgeState(path: string, state: TransmissionBridgeState): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, path);
  } catch (error) {
    throw new BridgeError(
      "transmission",
      "write state",
      "STORAGE_FAILED",
      `cannot write the state file ${path}`,
      {
        cause: error,
      },
    );
  }
}
