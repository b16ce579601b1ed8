import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  test: {
    root,
    // Starts one redis-server on a free port plus the Upstash REST bridge in
    // front of it, and provides their addresses to both projects.
    globalSetup: ["test/support/global-setup.ts", "test/support/origin-setup.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ANTEROOM_ENV: "development",
                ORIGIN_URL: inject("originUrl"),
                UPSTASH_REDIS_REST_URL: inject("bridgeUrl"),
                UPSTASH_REDIS_REST_TOKEN: inject("bridgeToken"),
                // The same Redis behind slow bridges, for test/workerd/faults.test.ts (not read by the worker).
                TEST_SLOW_REDIS_URL: inject("slowBridgeUrl"),
                TEST_STALL_REDIS_URL: inject("stallBridgeUrl"),
                // Turnstile stays off unless a test sets its keys; then it asks this local stand-in.
                TURNSTILE_VERIFY_URL: inject("turnstileUrl"),
                ROOM: `selftest-${Date.now()}`,
              },
            },
          })),
        ],
        test: {
          name: "workerd",
          include: ["test/workerd/**/*.test.ts"],
        },
      },
    ],
  },
});
