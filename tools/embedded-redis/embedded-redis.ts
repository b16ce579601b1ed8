// An in-process Redis for the dev server and tests: the keyspace of
// keyspace.ts, the commands of *-commands.ts, and EVAL/EVALSHA/SCRIPT running
// the project's real Lua scripts through lua.ts. Node only: it loads a
// WebAssembly Lua VM and must never be imported by worker code.

import type { ScriptClient } from "../../worker/store/redis.ts";
import { arityOk, execute } from "./commands.ts";
import { Keyspace } from "./keyspace.ts";
import { LuaScripts, sha1hex } from "./lua.ts";
import { parseInteger } from "./numbers.ts";
import { decodeReply, EmbeddedReplyError, ERRORS, fromBytes, type Reply, toBytes } from "./reply.ts";
import { upstashShape } from "./upstash.ts";

export { EmbeddedReplyError, type Reply } from "./reply.ts";

export interface EmbeddedRedisOptions {
  /** Clock for key expiry and TIME, in Unix ms; default Date.now. */
  readonly now?: () => number;
}

/**
 * Redis 7.0 semantics in memory for the commands this project's scripts use
 * (and EVAL/EVALSHA/SCRIPT), synchronous and so atomic per call.
 *
 * @example
 * ```ts
 * const redis = new EmbeddedRedis({ now: () => 1_800_000_000_000 });
 * redis.call(["HSET", "h", "a", "1"]); // 1
 * redis.call(["EVAL", "return redis.call('HGET', KEYS[1], 'a')", "1", "h"]); // "1"
 * const store = new RedisStore(redis.scriptClient());
 * ```
 */
export class EmbeddedRedis {
  readonly #keyspace: Keyspace;
  readonly #lua = new LuaScripts();

  constructor(options: EmbeddedRedisOptions = {}) {
    this.#keyspace = new Keyspace(options.now ?? Date.now);
  }

  /**
   * Runs one command (name and arguments as strings, UTF-8 on the wire as
   * with a real client) and returns its reply; an error reply is thrown as
   * {@link EmbeddedReplyError} with Redis's message.
   */
  call(args: readonly string[]): Reply {
    try {
      return decodeReply(this.#dispatch(args.map(toBytes)));
    } catch (error) {
      // Messages can quote arguments or script text: bytes inside, text outside.
      throw error instanceof EmbeddedReplyError ? new EmbeddedReplyError(fromBytes(error.message)) : error;
    }
  }

  /**
   * The project's ScriptClient on this engine: `exec` resolves with what
   * RedisStore receives from a real Redis through Upstash's REST client
   * (see upstash.ts), and rejects with the Redis error otherwise.
   */
  scriptClient(): ScriptClient {
    return {
      createScript: <T>(script: string) => {
        const sha = sha1hex(toBytes(script));
        return {
          exec: (keys: string[], args: string[]): Promise<T> =>
            new Promise<T>((resolve) => {
              // EVALSHA first, EVAL when the cache lost it: what @upstash/redis's Script.exec does.
              const numkeysKeysArgs = [String(keys.length), ...keys, ...args];
              const reply = this.#lua.has(sha)
                ? this.call(["EVALSHA", sha, ...numkeysKeysArgs])
                : this.call(["EVAL", script, ...numkeysKeysArgs]);
              resolve(upstashShape(reply) as T);
            }),
        };
      },
    };
  }

  /** Frees the Lua state. */
  close(): void {
    this.#lua.close();
  }

  #dispatch(args: readonly string[]): Reply {
    const name = (args[0] ?? "").toLowerCase();
    if (name === "eval" || name === "evalsha") return this.#eval(args, name === "evalsha");
    if (name === "script") return this.#script(args);
    return execute(this.#keyspace, args, false);
  }

  /** EVAL script numkeys key... arg... / EVALSHA sha1 numkeys key... arg... */
  #eval(args: readonly string[], bySha: boolean): Reply {
    if (args.length < 3) throw new EmbeddedReplyError(ERRORS.arity(bySha ? "evalsha" : "eval"));
    const numkeys = parseInteger(args[2] ?? "");
    if (numkeys === null) throw new EmbeddedReplyError(ERRORS.notInteger);
    if (numkeys > args.length - 3) {
      throw new EmbeddedReplyError("ERR Number of keys can't be greater than number of args");
    }
    if (numkeys < 0) throw new EmbeddedReplyError("ERR Number of keys can't be negative");
    const source = args[1] ?? "";
    if (bySha && !this.#lua.has(source)) throw new EmbeddedReplyError("NOSCRIPT No matching script. Please use EVAL.");
    const sha = bySha ? source : this.#lua.load(source);
    const split = 3 + Number(numkeys);
    const ks = this.#keyspace;
    // Redis freezes the clock for a script's duration: no key expires halfway through.
    ks.frozenAt = ks.now();
    try {
      return this.#lua.run(sha, args.slice(3, split), args.slice(split), (command) => execute(ks, command, true));
    } finally {
      ks.frozenAt = undefined;
    }
  }

  /** SCRIPT LOAD | EXISTS | FLUSH */
  #script(args: readonly string[]): Reply {
    const sub = (args[1] ?? "").toLowerCase();
    const arity = { load: 3, exists: -3, flush: -2 }[sub];
    if (args.length < 2) throw new EmbeddedReplyError(ERRORS.arity("script"));
    if (arity === undefined) {
      throw new EmbeddedReplyError(`ERR unknown subcommand '${(args[1] ?? "").slice(0, 128)}'. Try SCRIPT HELP.`);
    }
    if (!arityOk(arity, args.length)) throw new EmbeddedReplyError(ERRORS.arity(`script|${sub}`));
    if (sub === "load") return this.#lua.load(args[2] ?? "");
    if (sub === "exists") return args.slice(2).map((sha) => (this.#lua.has(sha) ? 1 : 0));
    if (args.length === 3 && !["sync", "async"].includes((args[2] ?? "").toLowerCase())) {
      throw new EmbeddedReplyError("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    }
    this.#lua.flush();
    return { status: "OK" };
  }
}
