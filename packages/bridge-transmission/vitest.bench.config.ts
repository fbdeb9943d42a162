import { defineConfig } from "vitest/config";

// Latency measurements against real daemons: they print figures and take minutes, so they are
// not part of `vitest run`'s default include.
export default defineConfig({
  test: { include: ["src/**/*.bench.ts"], testTimeout: 600_000, fileParallelism: false },
});
