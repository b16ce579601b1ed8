import type { ScriptClient } from "./redis.ts";
import type { StoreUnavailable } from "./store.ts";

/**
 * Why a store call failed, decided here and nowhere else. Two kinds, because
 * they need different people: an outage is the operator's (the store is down
 * or slow; the gate's fallback covers it), a script error is a developer's
 * (a Lua error or a reply the mapping cannot read: every call fails the same
 * way until the code is fixed, and the fallback only hides it).
 *
 * RedisStore keeps transport and reply reading apart: {@link separateTransport}
 * marks whatever the script call itself throws as a {@link TransportFailure};
 * anything else that goes wrong happened while reading a reply that did come
 * back.
 */

/**
 * A Redis error reply that comes from a script. Redis 7 names the script
 * (`ERR user_script:3: ...`, `... script: <sha1>, on @user_script:3.`, also
 * for an error raised by `redis.call` inside it), Redis 6 says "Error running
 * script" or "Error compiling script"; NOSCRIPT means the EVAL fallback failed
 * as well. Checked on the reply's own text, before Upstash's ", command was:"
 * suffix (which holds the script source). `BUSY ... running a script` is a
 * store that cannot answer now: an outage, and none of these match it.
 */
const SCRIPT_ERROR = /^NOSCRIPT\b|user_script|Error (?:running|compiling) script|\bscript: [0-9a-f]{40}\b/;

/** Longest reason kept: a reason is a log line's key, not a dump. */
const MAX_REASON = 300;

/** What a script call threw, before any reply existed: the store's transport or the store itself refused. */
export class TransportFailure extends Error {
  constructor(cause: unknown) {
    super("the store call failed", { cause });
    this.name = "TransportFailure";
  }
}

/**
 * The same client, but a failed script call rejects with a
 * {@link TransportFailure} holding the client's error, so whoever reads the
 * reply can tell its own failures from the transport's.
 *
 * @example
 * ```ts
 * const join = separateTransport(client).createScript<JoinReply>(JOIN_LUA);
 * ```
 */
export function separateTransport(client: ScriptClient): ScriptClient {
  return {
    createScript<TResult>(script: string) {
      const inner = client.createScript<TResult>(script);
      return {
        exec: (keys: string[], args: string[]) =>
          inner.exec(keys, args).catch((error: unknown) => {
            throw new TransportFailure(error);
          }),
      };
    },
  };
}

/**
 * The one classifier: what a store call threw, as a failure value. A
 * {@link TransportFailure} is a script error when Redis's reply says a script
 * failed (see {@link SCRIPT_ERROR}), an outage otherwise (timeout, refused
 * connection, network error, a 5xx or an unreadable body from the REST
 * endpoint, a refused token). Anything else was thrown while reading a reply
 * that did arrive: a script error.
 *
 * @param script the script's name, for the reason (`"JOIN"`)
 * @example
 * ```ts
 * try { ... } catch (error) { return storeFailure("TICK", error); }
 * ```
 */
export function storeFailure(script: string, error: unknown): StoreUnavailable {
  if (!(error instanceof TransportFailure)) return unreadableReply(script, describe(error));
  const reason = describe(error.cause);
  // An outage is the same whichever script met it; a script error names its script.
  return SCRIPT_ERROR.test(replyText(error.cause))
    ? { kind: "unavailable", failure: "script_error", reason: clip(`${script}: ${reason}`) }
    : { kind: "unavailable", failure: "outage", reason: clip(reason) };
}

/**
 * A reply the mapping cannot read: a script error.
 *
 * @example
 * ```ts
 * return unreadableReply("JOIN", `unknown outcome ${JSON.stringify(outcome)}`);
 * ```
 */
export function unreadableReply(script: string, detail: string): StoreUnavailable {
  return { kind: "unavailable", failure: "script_error", reason: clip(`${script} reply unreadable: ${detail}`) };
}

/**
 * The mapped outcome, or a script error when the mapping produced a number it
 * could not read (NaN anywhere in it): a reply shorter than the mapping
 * expects, or a field of the wrong type, maps to NaN rather than throwing.
 */
export function checkedOutcome<T>(script: string, outcome: T): T | StoreUnavailable {
  return holdsNaN(outcome, 0) ? unreadableReply(script, "a field is missing or not a number") : outcome;
}

function holdsNaN(value: unknown, depth: number): boolean {
  if (typeof value === "number") return Number.isNaN(value);
  if (typeof value !== "object" || value === null || depth > 8) return false;
  return Object.values(value).some((field) => holdsNaN(field, depth + 1));
}

/**
 * Redis's own words: the message without what @upstash/redis wraps around
 * them: "Command failed: " (auto-pipelining, its default), "Command 1 [ EVALSHA ]
 * failed: " (a pipeline), ", command was: [...]" (an HTTP error: the script
 * source, keys and arguments).
 */
function replyText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const reply = message.split(", command was: ", 1)[0] ?? message;
  return reply.replace(/^Command (?:\d+ \[ \w+ \] )?failed: /, "");
}

/** One line: the error's name and text, and its cause (Node's fetch says "fetch failed" and puts ECONNREFUSED there). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  const detail =
    cause instanceof Error ? cause.message || String((cause as { code?: unknown }).code ?? cause.name) : "";
  return `${error.name}: ${replyText(error)}${detail ? ` (${detail})` : ""}`;
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 3)}...` : line;
}
