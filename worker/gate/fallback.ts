import { log as consoleLog, type Logger } from "../log.ts";
import { type Rate, rateOf, type Settings } from "../model/admission.ts";
import type { RoomSpec } from "../store/store.ts";

/** What newcomers get while the store is down (`STORE_FAILURE_MODE`). */
export const STORE_FAILURE_MODES = ["soft", "open", "closed"] as const;
export type StoreFailureMode = (typeof STORE_FAILURE_MODES)[number];

/** How an instance treats newcomers it cannot give a place to. */
export interface FallbackPolicy {
  readonly mode: StoreFailureMode;
  /** In `soft`, the share of the room's rate the fleet may let in without the store, in (0, 1]. */
  readonly rateShare: number;
  /**
   * Live instances of the fleet as the store last counted them (see `RoomLink.fleetSize`), at
   * least 1: each instance takes rate × share / instances. 1 (absent) before any count is heard.
   */
  readonly instances?: number;
}

/** A token bucket as of `at` (ms): `tokens` newcomers may go in now. */
export interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

/** The bucket's answer; `bucket` is the state to keep either way. */
export type BucketDecision =
  | { readonly kind: "take"; readonly bucket: Bucket }
  /** No token: the next one comes in `waitMs`. */
  | { readonly kind: "empty"; readonly bucket: Bucket; readonly waitMs: number };

/**
 * Takes one token from a bucket that refills at `rate.perMinute` and holds at
 * most `rate.burst` (about one second's worth, at least 1). A bucket never used
 * (`null`) starts with `first` tokens (full by default, so the first newcomer
 * of an outage is not refused). A clock that moves backwards refills nothing.
 *
 * @example
 * ```ts
 * const first = takeToken(null, rateOf(60), 0);          // { kind: "take", bucket: { tokens: 0, at: 0 } }
 * const again = takeToken(first.bucket, rateOf(60), 500); // { kind: "empty", waitMs: 500, ... }
 * ```
 */
export function takeToken(bucket: Bucket | null, rate: Rate, now: number, first = rate.burst): BucketDecision {
  const last = bucket ?? { tokens: first, at: now };
  const at = Math.max(last.at, now);
  const tokens = Math.min(rate.burst, last.tokens + ((at - last.at) * rate.perMinute) / 60_000);
  if (tokens >= 1) return { kind: "take", bucket: { tokens: tokens - 1, at } };
  return { kind: "empty", bucket: { tokens, at }, waitMs: Math.ceil(((1 - tokens) * 60_000) / rate.perMinute) };
}

/** What a newcomer gets while the store is down. */
export type FallbackDecision =
  /** In with a pass and no position; `settings` are the ones it was decided on (for the session length). */
  | {
      readonly kind: "admit";
      readonly reason: "open" | "passthrough" | "fallback_rate";
      readonly settings: Settings;
      readonly bucket: Bucket | null;
    }
  /** The room was last seen closed: it stays closed. */
  | { readonly kind: "closed" }
  /** Ask again later (503 with Retry-After). */
  | {
      readonly kind: "refuse";
      readonly reason: "failure_mode_closed" | "held" | "fallback_rate";
      readonly bucket: Bucket | null;
    };

/**
 * Decides a newcomer's fate while the store is down, from the failure mode,
 * the room's last known settings and this instance's bucket. A room last seen
 * closed stays closed in every mode (sold out needs no store to stay sold
 * out); `open` lets everyone else in; `soft` lets a `paused` or `queue-all`
 * room hold everyone (those modes promise the holding page), a `passthrough`
 * room admit everyone, and an `auto` room admit at its rate × `rateShare`
 * shared among the fleet's `instances`.
 *
 * @example
 * ```ts
 * const settings = { perMinute: 120, mode: "auto", sessionMinutes: null, maxActive: null, version: 0 } as const;
 * fallbackDecision({ mode: "soft", rateShare: 0.25 }, settings, null, Date.now()).kind; // "admit" (a full bucket)
 * ```
 */
export function fallbackDecision(
  policy: FallbackPolicy,
  settings: Settings,
  bucket: Bucket | null,
  now: number,
): FallbackDecision {
  if (settings.mode === "closed") return { kind: "closed" };
  if (policy.mode === "closed") return { kind: "refuse", reason: "failure_mode_closed", bucket };
  if (policy.mode === "open") return { kind: "admit", reason: "open", settings, bucket };
  switch (settings.mode) {
    case "passthrough":
      return { kind: "admit", reason: "passthrough", settings, bucket };
    case "paused":
    case "queue-all":
      return { kind: "refuse", reason: "held", bucket };
    case "auto": {
      const taken = takeToken(bucket, fallbackRate(policy, settings), now, firstTokens(policy, settings));
      return taken.kind === "take"
        ? { kind: "admit", reason: "fallback_rate", settings, bucket: taken.bucket }
        : { kind: "refuse", reason: "fallback_rate", bucket: taken.bucket };
    }
  }
}

/**
 * One instance's fallback rate: the room's rate × the share over the live
 * instances (at least 1), with a burst of about one second's worth (at least
 * one newcomer: with more instances than the share's rate per second, each
 * may let in one at once, a burst the fleet's rate then pays back).
 *
 * @example
 * ```ts
 * fallbackRate({ mode: "soft", rateShare: 0.5, instances: 4 }, settings).perMinute; // settings.perMinute / 8
 * ```
 */
export function fallbackRate(policy: FallbackPolicy, settings: Settings): Rate {
  const instances = Math.max(1, Math.floor(policy.instances ?? 1));
  return rateOf((settings.perMinute * policy.rateShare) / instances);
}

/**
 * What an instance's bucket holds when an outage starts: its part of one burst
 * of the fleet's (rate × share, about a second's worth, at least one), so the
 * fleet starts an outage with one burst between its instances, not one each
 * (a lone instance starts full, as before instances were counted).
 */
function firstTokens(policy: FallbackPolicy, settings: Settings): number {
  const instances = Math.max(1, Math.floor(policy.instances ?? 1));
  return rateOf(settings.perMinute * policy.rateShare).burst / instances;
}

const LOG_EVERY_MS = 10_000;

/** What one instance's fallback decided since it started. */
export interface FallbackCounts {
  readonly admitted: number;
  readonly refused: number;
}

/**
 * One worker instance's fallback: its bucket and its log throttle. The gate
 * asks it only after the store failed a newcomer's join. The bucket is per
 * instance because it must work without the store; it refills at rate ×
 * share over the live instances the store last counted, so the fleet lets in
 * about rate × share between them whatever its size (an instance that never
 * heard a count, e.g. one started during the outage, counts 1: it takes a
 * whole share, as before instances were counted).
 *
 * @example
 * ```ts
 * const fallback = new StoreFallback({ mode: "soft", rateShare: 0.25 }, room);
 * const decision = fallback.newcomer(frontier.lastSettings(), Date.now());
 * ```
 */
export class StoreFallback {
  readonly #policy: FallbackPolicy;
  readonly #room: RoomSpec;
  readonly #log: Logger;
  #bucket: Bucket | null = null;
  #lastLogAt: number | null = null;
  #admittedSinceLog = 0;
  #refusedSinceLog = 0;
  #admittedTotal = 0;
  #refusedTotal = 0;

  /** @param log where the `fallback_admissions` events go (log.ts); default `console`. */
  constructor(policy: FallbackPolicy, room: RoomSpec, log: Logger = consoleLog) {
    this.#policy = policy;
    this.#room = room;
    this.#log = log;
  }

  /** Newcomers this instance let in without a place, and refused, since it started (the metrics). */
  counts(): FallbackCounts {
    return { admitted: this.#admittedTotal, refused: this.#refusedTotal };
  }

  /**
   * Decides for one newcomer; `known` are the settings the instance last saw (null: the room's
   * defaults), `instances` the fleet's live instances as last counted (1 when unknown).
   */
  newcomer(known: Settings | null, now: number, instances = 1): FallbackDecision {
    const settings = known ?? {
      perMinute: this.#room.defaultPerMinute,
      mode: this.#room.defaultMode,
      sessionMinutes: null,
      maxActive: null,
      version: 0,
    };
    const policy = instances === (this.#policy.instances ?? 1) ? this.#policy : { ...this.#policy, instances };
    const decision = fallbackDecision(policy, settings, this.#bucket, now);
    if (decision.kind === "closed") return decision;
    this.#bucket = decision.bucket;
    if (decision.kind === "refuse") {
      this.#refusedSinceLog += 1;
      this.#refusedTotal += 1;
    } else this.#admitted(decision, policy, now);
    return decision;
  }

  // An outage lets many newcomers in; one line per interval says so without flooding the log.
  #admitted(decision: FallbackDecision & { kind: "admit" }, policy: FallbackPolicy, now: number): void {
    this.#admittedSinceLog += 1;
    this.#admittedTotal += 1;
    if (this.#lastLogAt !== null && now - this.#lastLogAt < LOG_EVERY_MS) return;
    this.#log({
      event: "fallback_admissions",
      room: this.#room.room,
      mode: this.#policy.mode,
      reason: decision.reason,
      admitted: this.#admittedSinceLog,
      refused: this.#refusedSinceLog,
      // This instance's part: the fleet's share divided by the live instances last counted.
      fallbackPerMinute:
        decision.reason === "fallback_rate" ? round(fallbackRate(policy, decision.settings).perMinute) : null,
      instances: policy.instances ?? 1,
      sinceSeconds: this.#lastLogAt === null ? null : Math.round((now - this.#lastLogAt) / 1000),
    });
    this.#lastLogAt = now;
    this.#admittedSinceLog = 0;
    this.#refusedSinceLog = 0;
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
