/** vitest setup: front-end unit tests run in jsdom, without a browser or a kernel. */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/js/**/*.test.ts"],
    environment: "jsdom",
    setupFiles: ["tests/js/setup.ts"],
    // a jsdom render takes ~0.5 s alone but several seconds on a loaded machine: the default 5 s
    // limit failed tests that were not broken (load ~48 on 2 cores)
    testTimeout: 30_000,
  },
});
