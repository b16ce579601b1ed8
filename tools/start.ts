// `npm start`: the room on http://127.0.0.1:8787 (PORT overrides) in front of
// a demo origin (or ORIGIN_URL), with environment variables overriding the
// wrangler.toml defaults, e.g. `ADMIT_PER_MINUTE=120 npm start`.
import { startStack } from "./stack.ts";

try {
  const stack = await startStack({ env: process.env, verbose: process.env.VERBOSE === "1" });
  const bridged = stack.bridge ? ` (through the REST bridge at ${stack.bridge.url})` : "";
  const store =
    stack.store.kind === "redis"
      ? `Redis ${stack.store.redisUrl}${bridged}`
      : stack.store.kind === "embedded"
        ? `embedded: the Lua scripts in this process${bridged}; set REDIS_URL to use Redis`
        : `Upstash REST ${stack.store.url}`;
  console.log(
    [
      "",
      `  Anteroom waiting room  ${stack.url}/`,
      `  origin                 ${stack.originUrl}${stack.demoOrigin ? " (bundled demo origin)" : ""}`,
      `  queue status (JSON)    ${stack.url}/__anteroom/status`,
      `  pass public keys       ${stack.url}/__anteroom/jwks.json`,
      `  store                  ${store}`,
      `  admission rate         ${process.env.ADMIT_PER_MINUTE ?? "60 (wrangler.toml)"} per minute`,
      "",
      "  Ctrl+C stops everything.",
      "",
    ].join("\n"),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  console.error(`anteroom: could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
