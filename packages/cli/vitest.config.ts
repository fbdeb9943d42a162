import { defineConfig } from "vitest/config";

// The daemon tests drive real torrent daemons at set upload rates: one file at a time keeps the
// two shared cores from skewing them.
export default defineConfig({
  test: { include: ["src/**/*.test.ts"], testTimeout: 20_000, fileParallelism: false },
});
