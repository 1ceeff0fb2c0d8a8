import { defineConfig } from "vitest/config";

// Integration tests: the real local stack (its endpoints in BABELCAST_ENDPOINTS_FILE, written by
// tests/integration/test_web_client.py, which starts the stack). One file at a time: they share it.
export default defineConfig({
  test: {
    include: ["test/integration/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
