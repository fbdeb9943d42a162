export { type CreateTestTorrentOptions, createTestTorrent, type TestTorrent } from "./torrent-file.js";
