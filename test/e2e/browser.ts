import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { type Stack, startStack } from "../../tools/stack.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";

/**
 * The Chromium the end-to-end tests drive: Debian's package by default
 * (`apt-get install chromium`); CHROMIUM_PATH points elsewhere. Playwright's
 * own browser download is not used.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Whether the browser is installed; the e2e suite is skipped (with a message) when it is not. */
export const hasChromium = existsSync(CHROMIUM_PATH);

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Starts headless Chromium (Playwright gives it a fresh temporary profile).
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * const page = await (await browser.newContext()).newPage();
 * ```
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/**
 * One room behind real parts for a browser suite: its own redis-server, the
 * whole `npm start` stack (worker in workerd, bridge, demo origin) and
 * headless Chromium, started before the suite's tests and stopped after them;
 * every browser context a test opens is closed after that test. Call
 * {@link BrowserRoom.use} inside the suite's `describe`.
 *
 * @example
 * ```ts
 * const session = new BrowserRoom();
 * describe("...", () => {
 *   session.use(() => ({ ROOM: `e2e-${Date.now()}`, ADMIT_PER_MINUTE: "15" }));
 *   it("...", async () => { const page = await (await session.newContext()).newPage(); });
 * });
 * ```
 */
export class BrowserRoom {
  #redis: RedisServer | undefined;
  #stack: Stack | undefined;
  #browser: Browser | undefined;
  readonly #contexts: BrowserContext[] = [];

  /** Registers the suite's hooks; `env` adds to (or overrides) the stack's settings. */
  use(env: () => Record<string, string>): void {
    beforeAll(async () => {
      this.#redis = await startRedisServer();
      this.#stack = await startStack({
        env: {
          PORT: "0",
          REDIS_URL: this.#redis.url,
          // Tests share 2 cores with other suites: a slow Redis answer must not read as an outage.
          REDIS_TIMEOUT_MS: "5000",
          ...env(),
        },
      });
      expect(this.#stack.store, "the stack must use the real Redis, not the embedded store").toEqual({
        kind: "redis",
        redisUrl: this.#redis.url,
      });
      expect(this.#stack.demoOrigin, "the stack must front its demo origin").not.toBeNull();
      this.#browser = await launchChromium();
    }, 120_000);
    afterAll(async () => {
      await this.#browser?.close();
      await this.#stack?.stop();
      await this.#redis?.stop();
    }, 30_000);
    afterEach(async () => {
      for (const context of this.#contexts.splice(0)) await context.close().catch(() => {});
    });
  }

  /** The running stack (the room's URL, the demo origin). */
  room(): Stack {
    if (!this.#stack) throw new Error("the stack did not start");
    return this.#stack;
  }

  /** A fresh browser context (its own cookie jar), closed after the test. */
  async newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
    if (!this.#browser) throw new Error("Chromium did not start");
    const context = await this.#browser.newContext(options);
    this.#contexts.push(context);
    return context;
  }
}
