import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["plugins/*/test/**/*.test.ts", "shared/*/test/**/*.test.ts", "images/test/**/*.test.ts"],
    // Integration tests start real servers and processes; two cores do not like many at once.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
