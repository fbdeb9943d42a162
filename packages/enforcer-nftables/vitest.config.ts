import { defineConfig } from "vitest/config";

export default defineConfig({
  // The namespace files start real daemons and move real bytes: one file at a time on 2 cores.
  test: { include: ["src/**/*.test.ts"], testTimeout: 20_000, fileParallelism: false },
});
