import { MODES, type Mode } from "../model/admission.ts";
import type { AutopilotLimits } from "../model/autopilot.ts";
import type { SettingsPatch } from "../store/store.ts";
import { unknownFields } from "./problems.ts";

/** Result of checking an operator's settings change: the patch, or every problem found. */
export type PatchCheck =
  | { readonly ok: true; readonly patch: SettingsPatch }
  | { readonly ok: false; readonly problems: string[] };

/** A number an operator may set lies in [min, max]. */
export interface Bounds {
  readonly min: number;
  readonly max: number;
}

/**
 * The rate an operator may set, per minute (settings and events): slower than
 * one visitor every ten minutes is a room that is paused, and `paused` says so.
 */
export const RATE_BOUNDS: Bounds = Object.freeze({ min: 0.1, max: 1_000_000 });

/** Live session length, minutes: a pass shorter than a minute renews on nearly every request. */
export const SESSION_BOUNDS: Bounds = Object.freeze({ min: 1, max: 7 * 24 * 60 });

/** Active-users cap (0: none). */
export const MAX_ACTIVE_BOUNDS: Bounds = Object.freeze({ min: 0, max: 999_999_999 });

/** The autopilot's lowest rate, per minute: 0 lets it stop admission when the origin fails. */
export const AUTOPILOT_MIN_RATE_BOUNDS: Bounds = Object.freeze({ min: 0, max: RATE_BOUNDS.max });

/** The origin's p95 target, whole ms: above 10 minutes no visitor waits for the page anyway. */
export const TARGET_P95_BOUNDS: Bounds = Object.freeze({ min: 1, max: 600_000 });

/** How long the worker waits for the origin's response headers before counting an error, whole ms. */
export const ORIGIN_TIMEOUT_BOUNDS: Bounds = Object.freeze({ min: 100, max: 600_000 });

const FIELDS = [
  "ratePerMinute",
  "mode",
  "sessionMinutes",
  "maxActive",
  "autopilot",
  "autopilotMinRate",
  "autopilotMaxRate",
  "originTargetP95Ms",
  "originMaxErrorRate",
  "originTimeoutMs",
] as const;

/** The values `autopilot` takes in the API (and the CLI): words, so a client writes back what it read. */
export const AUTOPILOT_SWITCH = ["on", "off"] as const;

/**
 * The problem with a bounded number field, or null: a finite number within
 * `bounds` (a whole one when `whole`). The problem names the field and its range.
 *
 * @example
 * ```ts
 * boundsProblem("sessionMinutes", 1e-9, SESSION_BOUNDS, false); // "sessionMinutes must be a number from 1 to 10080"
 * ```
 */
export function boundsProblem(field: string, value: unknown, bounds: Bounds, whole: boolean): string | null {
  const fits =
    typeof value === "number" &&
    Number.isFinite(value) &&
    value >= bounds.min &&
    value <= bounds.max &&
    (!whole || Number.isInteger(value));
  return fits ? null : `${field} must be a ${whole ? "whole number" : "number"} from ${bounds.min} to ${bounds.max}`;
}

/**
 * Validates the JSON body of `PATCH /__anteroom/admin/settings`: the fields
 * `ratePerMinute`, `mode`, `sessionMinutes`, `maxActive` (0 turns the cap
 * off), and the autopilot's `autopilot` ("on" or "off"),
 * `autopilotMinRate` (may be 0), `autopilotMaxRate`, `originTargetP95Ms`,
 * `originMaxErrorRate` (above 0, below 1) and `originTimeoutMs`; each a
 * value or null (back to the wrangler.toml default), numbers within
 * {@link RATE_BOUNDS}, {@link SESSION_BOUNDS}, {@link MAX_ACTIVE_BOUNDS},
 * {@link AUTOPILOT_MIN_RATE_BOUNDS}, {@link TARGET_P95_BOUNDS} and
 * {@link ORIGIN_TIMEOUT_BOUNDS}. Unknown fields and out-of-range values are
 * problems that name the field and its range; nothing is applied unless all
 * are valid. Whether the autopilot's bounds are the right way round depends
 * on the values in force: {@link invertedBounds}.
 *
 * @example
 * ```ts
 * checkSettingsPatch({ ratePerMinute: 300, mode: "queue-all" }); // { ok: true, patch: {...} }
 * checkSettingsPatch({ autopilot: "on", autopilotMaxRate: 600 }); // { ok: true, patch: { autopilot: true, ... } }
 * ```
 */
export function checkSettingsPatch(body: unknown): PatchCheck {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, problems: ["the body must be a JSON object"] };
  }
  const problems: string[] = [];
  const unknown = unknownFields(body, FIELDS);
  if (unknown) problems.push(unknown);
  const patch: { -readonly [K in keyof SettingsPatch]: SettingsPatch[K] } = {};
  const fields = body as Record<string, unknown>;
  const bounded = (field: (typeof FIELDS)[number], bounds: Bounds, whole: boolean): number | null | undefined => {
    const value = fields[field];
    if (value === undefined || value === null) return value;
    const problem = boundsProblem(field, value, bounds, whole);
    if (problem) problems.push(`${problem}, or null`);
    return problem ? undefined : (value as number);
  };
  const perMinute = bounded("ratePerMinute", RATE_BOUNDS, false);
  if (perMinute !== undefined) patch.perMinute = perMinute;
  const sessionMinutes = bounded("sessionMinutes", SESSION_BOUNDS, false);
  if (sessionMinutes !== undefined) patch.sessionMinutes = sessionMinutes;
  const maxActive = bounded("maxActive", MAX_ACTIVE_BOUNDS, true);
  if (maxActive !== undefined) patch.maxActive = maxActive;
  if (Object.hasOwn(fields, "mode")) {
    const mode = fields.mode;
    if (mode === null || (MODES as readonly unknown[]).includes(mode)) patch.mode = mode as Mode | null;
    else problems.push(`mode must be one of ${MODES.join(", ")}, or null`);
  }
  if (Object.hasOwn(fields, "autopilot")) {
    const value = fields.autopilot;
    if (value === null) patch.autopilot = null;
    else if ((AUTOPILOT_SWITCH as readonly unknown[]).includes(value)) patch.autopilot = value === "on";
    else problems.push(`autopilot must be "on" or "off", or null`);
  }
  const minRate = bounded("autopilotMinRate", AUTOPILOT_MIN_RATE_BOUNDS, false);
  if (minRate !== undefined) patch.autopilotMinRate = minRate;
  const maxRate = bounded("autopilotMaxRate", RATE_BOUNDS, false);
  if (maxRate !== undefined) patch.autopilotMaxRate = maxRate;
  const target = bounded("originTargetP95Ms", TARGET_P95_BOUNDS, true);
  if (target !== undefined) patch.originTargetP95Ms = target;
  const timeout = bounded("originTimeoutMs", ORIGIN_TIMEOUT_BOUNDS, true);
  if (timeout !== undefined) patch.originTimeoutMs = timeout;
  if (Object.hasOwn(fields, "originMaxErrorRate")) {
    // A share, both ends open: 0 would cut at any error at all, 1 would never cut.
    const value = fields.originMaxErrorRate;
    if (value === null) patch.originMaxErrorRate = null;
    else if (typeof value === "number" && Number.isFinite(value) && value > 0 && value < 1) {
      patch.originMaxErrorRate = value;
    } else problems.push("originMaxErrorRate must be a number above 0 and below 1 (0.01 is 1%), or null");
  }
  if (problems.length === 0 && Object.keys(patch).length === 0) problems.push("nothing to change");
  return problems.length > 0 ? { ok: false, problems } : { ok: true, patch };
}

/**
 * Whether a valid patch would leave the autopilot's lowest rate above its
 * highest: the problem naming both fields, or null. A side the patch does
 * not give keeps the value in force (`inForce`); a side it resets (null)
 * takes the deployed default (`defaults`). A side whose value is not known
 * (a store or config without autopilot settings) is not compared.
 *
 * @example
 * ```ts
 * invertedBounds({ autopilotMinRate: 500 }, { minRate: 10, maxRate: 300, ... }, defaults);
 * // "autopilotMinRate (500) must not be above autopilotMaxRate (300 in force)"
 * ```
 */
export function invertedBounds(
  patch: SettingsPatch,
  inForce: Pick<AutopilotLimits, "minRate" | "maxRate"> | undefined,
  defaults: Pick<AutopilotLimits, "minRate" | "maxRate"> | undefined,
): string | null {
  if (patch.autopilotMinRate === undefined && patch.autopilotMaxRate === undefined) return null;
  const side = (value: number | null | undefined, key: "minRate" | "maxRate") =>
    value === undefined
      ? inForce && { value: inForce[key], how: " in force" }
      : value === null
        ? defaults && { value: defaults[key], how: " by default" }
        : { value, how: "" };
  const min = side(patch.autopilotMinRate, "minRate");
  const max = side(patch.autopilotMaxRate, "maxRate");
  if (!min || !max || min.value <= max.value) return null;
  return `autopilotMinRate (${min.value}${min.how}) must not be above autopilotMaxRate (${max.value}${max.how})`;
}
