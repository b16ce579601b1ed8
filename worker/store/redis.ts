import { Redis } from "@upstash/redis/cloudflare";
import type { FrontierState } from "../admission.ts";
import { JOIN_LUA, type JoinReply } from "../scripts/join.ts";
import { TICK_LUA, type TickReply } from "../scripts/tick.ts";
import { stateKey } from "./keys.ts";
import type { AdmissionStore, JoinOutcome, RoomSpec, TickOutcome } from "./store.ts";

/** The one Redis capability the store needs: scripts run by EVALSHA with an EVAL fallback. */
export interface ScriptClient {
  createScript<TResult>(script: string): { exec(keys: string[], args: string[]): Promise<TResult> };
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * Clock passed to the scripts, in ms. Leave unset in production: the scripts
   * then read Redis TIME, so every worker instance shares one clock. Tests set
   * it to replay time deterministically.
   */
  readonly now?: () => number;
}

/**
 * Admission counters in Redis, one atomic Lua script per operation.
 *
 * @example
 * ```ts
 * const store = new RedisStore(connectRedis({ url, token, timeoutMs: 500 }));
 * const outcome = await store.join({ room: "default", rate: rateOf(600), stateTtlMs: 86_400_000 });
 * ```
 */
export class RedisStore implements AdmissionStore {
  readonly #join;
  readonly #tick;
  readonly #now: (() => number) | undefined;

  constructor(client: ScriptClient, options: RedisStoreOptions = {}) {
    this.#join = client.createScript<JoinReply>(JOIN_LUA);
    this.#tick = client.createScript<TickReply>(TICK_LUA);
    this.#now = options.now;
  }

  async join(room: RoomSpec): Promise<JoinOutcome> {
    try {
      return joinOutcome(await this.#join.exec([stateKey(room.room)], this.#args(room)));
    } catch (error) {
      return unavailable(error);
    }
  }

  async tick(room: RoomSpec): Promise<TickOutcome> {
    try {
      const [frontier, lastTicket, now] = await this.#tick.exec([stateKey(room.room)], this.#args(room));
      return { kind: "state", state: frontierState(frontier, lastTicket, now) };
    } catch (error) {
      return unavailable(error);
    }
  }

  #args(room: RoomSpec): string[] {
    return [
      String(room.rate.perMinute),
      String(room.rate.burst),
      this.#now ? String(this.#now()) : "",
      String(room.stateTtlMs),
    ];
  }
}

/** The one mapping of JOIN's reply. */
function joinOutcome([admitted, position, frontier, lastTicket, now]: JoinReply): JoinOutcome {
  const state = frontierState(frontier, lastTicket, now);
  switch (admitted) {
    case 1:
      return { kind: "admitted", position: Number(position), state };
    case 0:
      return { kind: "queued", position: Number(position), state };
    default:
      return { kind: "unavailable", reason: `JOIN returned an unknown admitted flag ${JSON.stringify(admitted)}` };
  }
}

function frontierState(frontier: string | number, lastTicket: number, now: number): FrontierState {
  return { frontier: Number(frontier), lastTicket: Number(lastTicket), updatedAt: Number(now) };
}

function unavailable(error: unknown): { kind: "unavailable"; reason: string } {
  return { kind: "unavailable", reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

/** Connection settings of {@link connectRedis}. */
export interface RedisConnection {
  readonly url: string;
  readonly token: string;
  /** Whole-call budget; past it the call fails and the caller falls back. */
  readonly timeoutMs: number;
}

/**
 * An Upstash REST client tuned for the request path: one quick retry for a
 * dropped connection and a hard timeout, so a dead store is noticed within
 * about `timeoutMs` instead of the client's default seconds of backoff.
 */
export function connectRedis({ url, token, timeoutMs }: RedisConnection): Redis {
  return new Redis({
    url,
    token,
    retry: { retries: 1, backoff: () => 20 },
    signal: () => AbortSignal.timeout(timeoutMs),
    enableTelemetry: false,
  });
}
