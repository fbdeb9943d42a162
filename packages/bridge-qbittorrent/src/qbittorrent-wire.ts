/**
 * What qBittorrent's WebUI API v2 sends back, checked with zod at the trust boundary. Only the
 * fields the bridge reads; unknown fields pass through untouched (newer versions add some).
 */
import { BridgeError } from "@peerpay/core";
import { z } from "zod";

const count = z.number().finite().nonnegative().catch(0);

export const torrentInfoSchema = z.looseObject({
  hash: z.string(),
  name: z.string().catch(""),
  category: z.string().catch(""),
  tags: z.string().catch(""),
  size: count,
  total_size: count.optional(),
  uploaded: count,
  downloaded: count,
  progress: z.number().catch(0),
  state: z.string().catch("unknown"),
  upspeed: count,
  dlspeed: count,
  num_leechs: count,
  num_seeds: count,
});
export type TorrentInfoWire = z.infer<typeof torrentInfoSchema>;
export const torrentListSchema = z.array(torrentInfoSchema);

export const torrentPeerSchema = z.looseObject({
  ip: z.string().catch(""),
  port: z.number().int().catch(0),
  client: z.string().catch(""),
  connection: z.string().catch(""),
  uploaded: count,
  downloaded: count,
  up_speed: count,
  dl_speed: count,
  progress: z.number().catch(0),
});
export type TorrentPeerWire = z.infer<typeof torrentPeerSchema>;

export const torrentPeersSchema = z.looseObject({
  peers: z.record(z.string(), torrentPeerSchema).catch({}),
});

export const preferencesSchema = z.looseObject({ banned_IPs: z.string() });

export const transferInfoSchema = z.looseObject({ up_info_data: count });

export const addPeersResultSchema = z.record(
  z.string(),
  z.looseObject({ added: z.number().catch(0), failed: z.number().catch(0) }),
);

/** Parses a JSON body against a schema, or throws BACKEND_PROTOCOL_ERROR naming the endpoint. */
export function parseWire<T>(schema: z.ZodType<T>, text: string, endpoint: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BridgeError("qbittorrent", endpoint, "BACKEND_PROTOCOL_ERROR", "the answer is not JSON", {
      cause: error,
    });
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new BridgeError("qbittorrent", endpoint, "BACKEND_PROTOCOL_ERROR", "unexpected answer shape", {
      cause: result.error,
      details: { issues: result.error.issues.slice(0, 3).map((issue) => issue.message) },
    });
  }
  return result.data;
}

/** `banned_IPs` is newline-separated; entries are trimmed and blank lines dropped. */
export function splitBannedIps(value: string): string[] {
  return value
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
