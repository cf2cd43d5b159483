import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each test file builds its own app on its own database file.
    pool: "forks",
    globalSetup: ["test/helpers/global-setup.ts"],
  },
});
