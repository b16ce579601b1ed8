/**
 * The numbers the Lua scripts share with TypeScript, from one source each:
 * the rules' constants come from `model/` (compensation, active cap,
 * autopilot, origin signal), the
 * scripts' own limits are defined here. {@link CONSTANTS_LUA} writes them
 * into the scripts as Lua locals under their TypeScript names, so a number
 * changed here changes the scripts and the TypeScript that shares it.
 */
import {
  DEFAULT_SESSION_MS,
  MAX_PENDING_BUCKETS,
  MAX_REPORT_EVERY_MS,
  REPORTS_PER_SESSION,
} from "../../model/active.ts";
import {
  CUT_GAP_MS,
  DECIDE_EVERY_MS,
  FORGET_BREACH,
  HEALTHY_ERROR_SHARE,
  HEALTHY_P95_SHARE,
  MAX_CUT,
  MIN_CUT,
  MIN_ERROR_CUT,
  MIN_JUDGE_REQUESTS,
  MIN_PROBE_STEP,
  NEAR_BREACH,
  NEAR_STEP,
  OFFER_SPAN_MS,
  OFFER_WINDOW_MS,
  PROBE_BACK,
  PROBE_STEP,
  RECENT_MS,
  RECOVERY_MS,
  RECOVERY_SHARE,
  RESTART_AFTER_MS,
  SETTLE_MS,
  SLOT_MS,
  USED_FLOOR,
  WINDOW_SLOTS,
} from "../../model/autopilot.ts";
import {
  CLAIM_BUCKET,
  MATURE_MS,
  MAX_FOLDS_PER_CALL,
  MAX_OFFERS_PER_CALL,
  MIN_SHOW_RATIO,
  SMOOTHING,
} from "../../model/compensation.ts";
import { LATENCY_BINS, LATENCY_BOUNDS_MS, MAX_SAMPLE_REQUESTS } from "../../model/origin-signal.ts";

/** Most releases one TICK hands back; an instance behind reads the rest with its next ticks. */
export const RELEASES_PER_TICK = 500;
/**
 * How far before an instance's cursor TICK reads releases again: it catches
 * releases written in the same millisecond as the last read (the instance
 * ignores ones it already knows).
 */
export const RELEASES_OVERLAP_MS = 1_000;
/**
 * How long the store keeps the feed of places used (consumed-feed), in ms:
 * an instance that starts (or falls behind) learns the places used within
 * this window. Twice OFFER_SECONDS' default, so a copy of a ticket whose
 * turn came while others wait is known everywhere until its offer lapses.
 */
export const CONSUMED_FEED_MS = 600_000;
/** Most feed entries (one per script call that used places) one TICK hands back; the rest come with the next ticks. */
export const CONSUMED_ENTRIES_PER_TICK = 200;
/** Highest position a place-used bit can be set for (SETBIT's largest offset). */
export const MAX_POSITION = 4_294_967_295;
/**
 * Minutes the operator's recent views cover (the stats' history table, the
 * autopilot's log of rate changes): the last 30 and the current one.
 */
export const HISTORY_MINUTES = 30;
/**
 * Minutes of per-minute history rows kept before the current one (48 hours):
 * what `GET /__anteroom/admin/history` and `anteroom report` can read back.
 * About 0.3 MB per room at most (README, "History and reports").
 */
export const HISTORY_KEPT_MINUTES = 2_880;
/** Highest lottery draw used: an entry's score stays within its event's [seq, seq + 1). */
export const MAX_DRAW = 0.999999;
/** Score step between the pre-queue entries of an event without shuffle: arrival order. */
export const ARRIVAL_STEP = 1e-9;
/**
 * ARGV entries per arrival in a JOIN (visitor, draw, limit, client, stamps):
 * a batch repeats them after ARGV[18], one group per newcomer.
 */
export const ARRIVAL_ARGS = 5;
/**
 * How long an instance counts as live after its last admission script call,
 * in ms: the fleet's size is the number of distinct instance ids heard from
 * within it (the fleet key). Instances tick about once a second while they
 * serve anyone, so a minute is long enough not to miss a quiet one and short
 * enough to forget an evicted one soon.
 */
export const FLEET_WINDOW_MS = 60_000;
/**
 * Most instance ids the fleet key holds: past it a new id is not added (the
 * count reads "at least FLEET_MAX"), so its memory stays bounded (ids are 12
 * hex characters: under 1 MB) whatever sends ids.
 */
export const FLEET_MAX = 10_000;

/** Every constant the scripts use, under the name the Lua gives it (its TypeScript name). */
const SHARED = {
  CLAIM_BUCKET,
  MATURE_MS,
  SMOOTHING,
  MIN_SHOW_RATIO,
  MAX_FOLDS_PER_CALL,
  MAX_OFFERS_PER_CALL,
  MAX_PENDING_BUCKETS,
  DEFAULT_SESSION_MS,
  MAX_REPORT_EVERY_MS,
  REPORTS_PER_SESSION,
  RELEASES_PER_TICK,
  RELEASES_OVERLAP_MS,
  CONSUMED_FEED_MS,
  CONSUMED_ENTRIES_PER_TICK,
  MAX_POSITION,
  HISTORY_MINUTES,
  HISTORY_KEPT_MINUTES,
  MAX_DRAW,
  ARRIVAL_STEP,
  ARRIVAL_ARGS,
  FLEET_WINDOW_MS,
  FLEET_MAX,
  DECIDE_EVERY_MS,
  SLOT_MS,
  WINDOW_SLOTS,
  RECENT_MS,
  SETTLE_MS,
  CUT_GAP_MS,
  RECOVERY_MS,
  RECOVERY_SHARE,
  MIN_PROBE_STEP,
  RESTART_AFTER_MS,
  MIN_ERROR_CUT,
  USED_FLOOR,
  MIN_JUDGE_REQUESTS,
  HEALTHY_P95_SHARE,
  HEALTHY_ERROR_SHARE,
  PROBE_STEP,
  NEAR_STEP,
  NEAR_BREACH,
  FORGET_BREACH,
  PROBE_BACK,
  MIN_CUT,
  MAX_CUT,
  OFFER_WINDOW_MS,
  OFFER_SPAN_MS,
  LATENCY_BINS,
  MAX_SAMPLE_REQUESTS,
  LATENCY_BOUNDS_MS,
} as const;

/**
 * A number as Lua source. JavaScript's shortest round-trip form (`0.2`,
 * `1e-9`, `600000`) reads back in Lua as the same double.
 */
function luaNumber(name: string, value: number): string {
  if (!Number.isFinite(value)) throw new Error(`${name} must be a finite number for the Lua scripts, got ${value}`);
  return String(value);
}

/** A constant as Lua source: a number, or an array of numbers as a Lua table (`{ 5, 10, 15 }`, 1-based). */
function luaValue(name: string, value: number | readonly number[]): string {
  if (typeof value === "number") return luaNumber(name, value);
  return `{ ${value.map((item, i) => luaNumber(`${name}[${i}]`, item)).join(", ")} }`;
}

/**
 * The shared constants as Lua locals, one a line, e.g. `local CLAIM_BUCKET = 10`
 * or `local LATENCY_BOUNDS_MS = { 5, 10, 15 }` (an array: a Lua table, indexed from 1).
 */
export const CONSTANTS_LUA = Object.entries(SHARED)
  .map(([name, value]) => `local ${name} = ${luaValue(name, value)}`)
  .join("\n");
