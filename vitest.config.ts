import { defineConfig } from "vitest/config"

// One vitest project per package (and the examples), each with its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ["packages/*", "examples"],
    reporters: ["default", "./scripts/closing-line-reporter.ts"]
  }
})
