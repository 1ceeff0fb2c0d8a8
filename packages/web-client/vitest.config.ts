import { defineConfig } from "vitest/config";

// Unit tests: mocked fetch, a scripted local WebSocket server; no network beyond 127.0.0.1.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    environment: "node",
    testTimeout: 10_000,
    pool: "threads",
  },
});
