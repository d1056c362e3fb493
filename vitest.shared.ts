import { defineConfig } from "vitest/config"

// Shared by every package's vitest.config.ts (merged with mergeConfig).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
