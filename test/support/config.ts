import { parseConfig } from "../../worker/config.ts";
import { ConfigError } from "../../worker/errors.ts";

/** Development with the store `npm start` provides (its REST bridge). */
export const dev = {
  ANTEROOM_ENV: "development",
  UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079/",
  UPSTASH_REDIS_REST_TOKEN: "local-dev-token",
};

/** The problems parseConfig reports for an environment (none when it is valid). */
export function problemsOf(env: Record<string, unknown>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}
