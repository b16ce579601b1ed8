// What RedisStore receives from a real Redis: the project talks to Redis
// through @upstash/redis over REST (in development, tools/bridge.ts in front
// of redis-server). On that path a reply becomes JSON (integers as numbers,
// bulk and status strings as strings, nil as null, an error inside an array
// as its message), and the client then applies its automatic deserialization,
// which connectRedis leaves on: every string that parses as JSON is replaced
// by the parsed value ("600" -> 600, "[]" -> [], "true" -> true), except a
// number whose text would not round-trip ("0.10000000000000001", "1e3", "-0"
// stay strings). This file reproduces both steps for the embedded engine.

import type { Reply } from "./reply.ts";

/** The reply as the REST JSON carries it. */
function wire(reply: Reply): unknown {
  if (reply === null || typeof reply === "number" || typeof reply === "string") return reply;
  if (Array.isArray(reply)) return reply.map(wire);
  return "status" in reply ? reply.status : reply.error;
}

/** parseRecursive of @upstash/redis 1.39 (pkg/util.ts), the default `deserialize`. */
function parseRecursive(value: unknown): unknown {
  const parsed = Array.isArray(value)
    ? value.map((item) => {
        try {
          return parseRecursive(item);
        } catch {
          return item;
        }
      })
    : JSON.parse(value as string);
  if (typeof parsed === "number" && parsed.toString() !== value) return value;
  return parsed;
}

/** The value @upstash/redis resolves EVAL/EVALSHA with for this reply. */
export function upstashShape(reply: Reply): unknown {
  const value = wire(reply);
  try {
    return parseRecursive(value);
  } catch {
    return value;
  }
}
