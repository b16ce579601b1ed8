import { MODES, type Mode } from "../model/admission.ts";
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

const FIELDS = ["ratePerMinute", "mode", "sessionMinutes", "maxActive"] as const;

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
 * off), each a value or null (back to the wrangler.toml default), numbers
 * within {@link RATE_BOUNDS}, {@link SESSION_BOUNDS} and
 * {@link MAX_ACTIVE_BOUNDS}. Unknown fields and out-of-range values are
 * problems that name the field and its range; nothing is applied unless all
 * are valid.
 *
 * @example
 * ```ts
 * checkSettingsPatch({ ratePerMinute: 300, mode: "queue-all" }); // { ok: true, patch: {...} }
 * ```
 */
export function checkSettingsPatch(body: unknown): PatchCheck {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, problems: ["the body must be a JSON object"] };
  }
  const problems: string[] = [];
  const unknown = unknownFields(body, FIELDS);
  if (unknown) problems.push(unknown);
  const patch: {
    perMinute?: number | null;
    mode?: Mode | null;
    sessionMinutes?: number | null;
    maxActive?: number | null;
  } = {};
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
  if (problems.length === 0 && Object.keys(patch).length === 0) problems.push("nothing to change");
  return problems.length > 0 ? { ok: false, problems } : { ok: true, patch };
}
