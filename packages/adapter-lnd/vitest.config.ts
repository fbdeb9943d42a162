import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 20_000,
    // The regtest files each start btcd and three lnd nodes: one file at a time on 2 cores.
    fileParallelism: false,
  },
});
