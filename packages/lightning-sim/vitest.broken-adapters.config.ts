import { defineConfig } from "vitest/config";

// Only for sim-adapter-conformance-negative.test.ts: the suite run against broken adapters.
export default defineConfig({
  test: { include: ["src/testing/*.check.ts"], testTimeout: 20_000 },
});
