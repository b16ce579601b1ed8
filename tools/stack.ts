import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SETTING_NAMES } from "../worker/config.ts";
import { generateSigningKey } from "../worker/tokens/keyring.ts";
import { type Bridge, startBridge } from "./bridge.ts";
import { type DemoOrigin, startDemoOrigin } from "./demo-origin.ts";
import { startWranglerDev } from "./wrangler.ts";

export { freePort } from "./wrangler.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** What {@link startStack} started. */
export interface Stack {
  /** The room, where visitors go. */
  readonly url: string;
  /** The site behind it. */
  readonly originUrl: string;
  /** The demo origin, when one was started (no ORIGIN_URL given). */
  readonly demoOrigin: DemoOrigin | null;
  /**
   * The Upstash REST bridge the worker talks to: in front of REDIS_URL, or
   * of an embedded engine without it; null when UPSTASH_REDIS_REST_URL was
   * given (the worker talks to that endpoint).
   */
  readonly bridge: Bridge | null;
  /** The store behind the worker's REST endpoint, for people: "Redis redis://…", "embedded", or the REST URL given. */
  readonly store: StackStore;
  stop(): Promise<void>;
}

/**
 * Where the room's state lives: a redis-server behind the bridge (REDIS_URL),
 * the embedded engine behind the bridge (the same Lua scripts, in this
 * process; nothing set), or an Upstash REST endpoint given as is.
 */
export type StackStore =
  | { readonly kind: "redis"; readonly redisUrl: string }
  | { readonly kind: "embedded" }
  | { readonly kind: "rest"; readonly url: string };

/** Options of {@link startStack}; environment-style names, as `npm start` reads them. */
export interface StackOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Show wrangler's own output. */
  readonly verbose?: boolean;
}

/**
 * Starts the room locally: a demo origin (unless ORIGIN_URL is set), the
 * Upstash REST bridge in front of REDIS_URL, or in front of an embedded
 * engine running the same Lua scripts when neither REDIS_URL nor
 * UPSTASH_REDIS_REST_URL is set, and the worker in workerd through
 * `wrangler dev`, with every Anteroom setting from `env` passed as a `--var`
 * override of wrangler.toml.
 *
 * @example
 * ```ts
 * const stack = await startStack({ env: { ...process.env, ADMIT_PER_MINUTE: "120" } });
 * console.log(stack.url);
 * await stack.stop();
 * ```
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const env = options.env;
  const port = env.PORT ? Number(env.PORT) : 8787;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got ${env.PORT}`);
  const vars = await workerVars(env);

  const started: { close(): Promise<void> }[] = [];
  try {
    let demoOrigin: DemoOrigin | null = null;
    if (!vars.ORIGIN_URL) {
      demoOrigin = await startDemoOrigin({ port: env.ORIGIN_PORT ? Number(env.ORIGIN_PORT) : 0 });
      started.push(demoOrigin);
      vars.ORIGIN_URL = demoOrigin.url;
    }
    let bridge: Bridge | null = null;
    let store: StackStore;
    const token = randomBytes(16).toString("hex");
    if (env.REDIS_URL) {
      bridge = await startBridge({ redisUrl: env.REDIS_URL, token });
      store = { kind: "redis", redisUrl: env.REDIS_URL };
    } else if (vars.UPSTASH_REDIS_REST_URL) {
      store = { kind: "rest", url: vars.UPSTASH_REDIS_REST_URL };
    } else {
      // Loaded only here: the engine's module loads a WebAssembly Lua VM at import.
      const { EmbeddedRedis } = await import("./embedded-redis/embedded-redis.ts");
      const engine = new EmbeddedRedis();
      started.push({ close: async () => engine.close() });
      bridge = await startBridge({ embedded: engine, token });
      store = { kind: "embedded" };
    }
    if (bridge) {
      started.push(bridge);
      vars.UPSTASH_REDIS_REST_URL = bridge.url;
      vars.UPSTASH_REDIS_REST_TOKEN = bridge.token;
    }
    const wrangler = await startWranglerDev({
      cwd: ROOT,
      port,
      vars,
      readyPath: "/__anteroom/jwks.json",
      failOnErrorAnswer: true,
      verbose: options.verbose ?? false,
    });
    started.push({ close: wrangler.stop });
    return {
      url: wrangler.url,
      originUrl: vars.ORIGIN_URL,
      demoOrigin,
      bridge,
      store,
      stop: () => closeAll(started),
    };
  } catch (error) {
    await closeAll(started);
    throw error;
  }
}

/**
 * The worker's settings from environment-style `env`: every Anteroom setting
 * config.ts reads (`SETTING_NAMES`: one list, so a new setting is forwarded
 * without a change here), the holding page from HOLDING_PAGE_FILE, and keys
 * made here when none are given (they live as long as this process, so a
 * restarted or rebuilt worker keeps accepting the tickets and passes it
 * issued). The lab's fleet gives every instance the same.
 *
 * @example
 * ```ts
 * const vars = await workerVars({ ROOM: "lab", ADMIT_PER_MINUTE: "120" });
 * ```
 */
export async function workerVars(env: Readonly<Record<string, string | undefined>>): Promise<Record<string, string>> {
  const vars: Record<string, string> = { ANTEROOM_ENV: "development" };
  for (const name of SETTING_NAMES) {
    const value = env[name];
    if (value !== undefined && value !== "") vars[name] = value;
  }
  if (env.HOLDING_PAGE_FILE) vars.HOLDING_PAGE_TEMPLATE = readFileSync(env.HOLDING_PAGE_FILE, "utf8");
  if (!vars.PASS_SIGNING_KEYS) vars.PASS_SIGNING_KEYS = JSON.stringify([(await generateSigningKey()).privateJwk]);
  if (!vars.TICKET_SECRET) vars.TICKET_SECRET = randomBytes(32).toString("base64url");
  return vars;
}

async function closeAll(started: { close(): Promise<void> }[]): Promise<void> {
  for (const item of started.reverse()) await item.close().catch(() => {});
}
