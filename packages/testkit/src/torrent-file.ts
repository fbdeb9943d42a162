/**
 * Makes real single-file torrents for tests and the demo: random content on disk and a .torrent
 * (BEP 3, v1) whose infohash is computed over the bencoded info dictionary.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import bencode from "bencode";

export interface TestTorrent {
  /** Lower-case hex v1 infohash. */
  readonly infohash: string;
  readonly name: string;
  /** Path of the content file. */
  readonly contentPath: string;
  /** Directory holding the content file (the client's download dir when seeding). */
  readonly contentDir: string;
  readonly torrentPath: string;
  /** The raw .torrent bytes. */
  readonly torrentFile: Buffer;
  readonly sizeBytes: number;
  /** SHA-256 of the content, to check a download arrived intact. */
  readonly contentSha256: string;
  readonly magnet: string;
}

export interface CreateTestTorrentOptions {
  /** Where to write `<name>` and `<name>.torrent`. */
  readonly directory: string;
  readonly name?: string;
  readonly sizeBytes: number;
  /** Power of two, default 256 KiB. */
  readonly pieceLength?: number;
  /** Announce URL of a tracker, if any. */
  readonly announce?: string;
  /** Written into the torrent's `comment` (e.g. a peerpay endpoint). */
  readonly comment?: string;
  /** Deterministic content from this seed instead of random bytes. */
  readonly seed?: string;
}

export async function createTestTorrent(options: CreateTestTorrentOptions): Promise<TestTorrent> {
  const name = options.name ?? `peerpay-test-${randomBytes(4).toString("hex")}.bin`;
  const pieceLength = options.pieceLength ?? 256 * 1024;
  if (!Number.isSafeInteger(options.sizeBytes) || options.sizeBytes <= 0) {
    throw new Error("createTestTorrent: sizeBytes must be a positive integer");
  }
  const content =
    options.seed === undefined
      ? randomBytes(options.sizeBytes)
      : seededBytes(options.seed, options.sizeBytes);
  const contentPath = join(options.directory, name);
  await mkdir(dirname(contentPath), { recursive: true });
  await writeFile(contentPath, content);

  const pieces: Buffer[] = [];
  for (let offset = 0; offset < content.length; offset += pieceLength) {
    pieces.push(
      createHash("sha1")
        .update(content.subarray(offset, offset + pieceLength))
        .digest(),
    );
  }
  const info = {
    length: content.length,
    name: basename(name),
    "piece length": pieceLength,
    pieces: Buffer.concat(pieces),
  };
  const torrent: Record<string, unknown> = { info, "created by": "peerpay testkit", "creation date": 0 };
  if (options.announce) torrent.announce = options.announce;
  if (options.comment) torrent.comment = options.comment;
  const torrentFile = Buffer.from(bencode.encode(torrent));
  const infohash = createHash("sha1").update(bencode.encode(info)).digest("hex");
  const torrentPath = `${contentPath}.torrent`;
  await writeFile(torrentPath, torrentFile);
  const magnet = `magnet:?xt=urn:btih:${infohash}&dn=${encodeURIComponent(name)}`;
  return {
    infohash,
    name,
    contentPath,
    contentDir: dirname(contentPath),
    torrentPath,
    torrentFile,
    sizeBytes: content.length,
    contentSha256: createHash("sha256").update(content).digest("hex"),
    magnet,
  };
}

/** SHA-256 in counter mode: the same seed always gives the same bytes. */
function seededBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let counter = 0;
  for (let offset = 0; offset < size; offset += 32) {
    createHash("sha256").update(`${seed}:${counter++}`).digest().copy(out, offset);
  }
  return out;
}
