/** zod schemas for the RPC answers the bridge reads (the daemon is a trust boundary). */
import { z } from "zod";

export const sessionSchema = z.object({
  version: z.string(),
  "rpc-version": z.number(),
  /** "5.4.0" on 4.1.0-beta.2, "6.0.0" with JSON-RPC 2.0; absent on 3.00. */
  "rpc-version-semver": z.string().optional(),
  "blocklist-url": z.string().default(""),
  "blocklist-enabled": z.boolean(),
  "blocklist-size": z.number().optional(),
});

export const blocklistUpdateSchema = z.object({ "blocklist-size": z.number().int().nonnegative() });

export const empty = z.object({}).passthrough();

const peerSchema = z.object({
  address: z.string(),
  port: z.number().int(),
  clientName: z.string().optional(),
  rateToPeer: z.number(),
  rateToClient: z.number(),
  progress: z.number(),
  /** 4.1.0-beta.4+ (snake_case even in the legacy protocol): bytes sent in the last 60 s. */
  bytes_to_peer: z.number().optional(),
});

export const pollSchema = z.object({
  torrents: z.array(
    z.object({
      id: z.number().int(),
      hashString: z.string(),
      status: z.number().int(),
      uploadedEver: z.number(),
      downloadedEver: z.number(),
      peers: z.array(peerSchema),
    }),
  ),
  removed: z.array(z.number().int()).optional(),
});
export const pollFields = ["id", "hashString", "status", "uploadedEver", "downloadedEver", "peers"];

export const listSchema = z.object({
  torrents: z.array(
    z.object({
      hashString: z.string(),
      name: z.string(),
      labels: z.array(z.string()).optional(),
      totalSize: z.number(),
      uploadedEver: z.number(),
      downloadedEver: z.number(),
      percentDone: z.number(),
      status: z.number().int(),
      error: z.number().int().optional(),
    }),
  ),
});
export const listFields = [
  "hashString",
  "name",
  "labels",
  "totalSize",
  "uploadedEver",
  "downloadedEver",
  "percentDone",
  "status",
  "error",
];

export const statusSchema = z.object({
  torrents: z.array(
    z.object({
      hashString: z.string(),
      status: z.number().int(),
      peers: z.array(z.object({ address: z.string() })).optional(),
    }),
  ),
});

/** Transmission's tr_torrent_activity values. */
export const TorrentStatus = {
  stopped: 0,
  checkWait: 1,
  check: 2,
  downloadWait: 3,
  download: 4,
  seedWait: 5,
  seed: 6,
} as const;
