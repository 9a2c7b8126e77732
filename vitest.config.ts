import { defineConfig } from "vitest/config";

/** Under CI the results are also written as JSON, for the closing summary line. */
export const VITEST_RESULTS = "node_modules/.cache/hangar/vitest-results.json";

export default defineConfig({
  test: {
    include: [
      "plugins/*/test/**/*.test.ts",
      "shared/*/test/**/*.test.ts",
      "images/test/**/*.test.ts",
      "scripts/test/**/*.test.ts",
    ],
    reporters: process.env.CI ? ["default", ["json", { outputFile: VITEST_RESULTS }]] : ["default"],
    // Integration tests start real servers and processes; two cores do not like many at once.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
