import { MODES, type Mode } from "../model/admission.ts";
import type { SettingsPatch } from "../store/store.ts";

/** Result of checking an operator's settings change: the patch, or every problem found. */
export type PatchCheck =
  | { readonly ok: true; readonly patch: SettingsPatch }
  | { readonly ok: false; readonly problems: string[] };

/** Highest rate an operator may set, per minute. */
export const RATE_LIMIT = 1_000_000;
const LIMITS = { ratePerMinute: RATE_LIMIT, sessionMinutes: 7 * 24 * 60, maxActive: 999_999_999 } as const;

/**
 * Validates the JSON body of `PATCH /__anteroom/admin/settings`: the fields
 * `ratePerMinute`, `mode`, `sessionMinutes`, `maxActive` (0 turns the cap
 * off), each a value or null (back to the wrangler.toml default). Unknown
 * fields and out-of-range values are problems that name the field; nothing is
 * applied unless all are valid.
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
  const patch: {
    perMinute?: number | null;
    mode?: Mode | null;
    sessionMinutes?: number | null;
    maxActive?: number | null;
  } = {};
  for (const [field, value] of Object.entries(body)) {
    switch (field) {
      case "ratePerMinute":
        if (value === null || isInRange(value, LIMITS.ratePerMinute)) patch.perMinute = value as number | null;
        else problems.push(`ratePerMinute must be a number above 0 and at most ${LIMITS.ratePerMinute}, or null`);
        break;
      case "sessionMinutes":
        if (value === null || isInRange(value, LIMITS.sessionMinutes)) patch.sessionMinutes = value as number | null;
        else problems.push(`sessionMinutes must be a number above 0 and at most ${LIMITS.sessionMinutes}, or null`);
        break;
      case "maxActive":
        if (
          value === null ||
          (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= LIMITS.maxActive)
        ) {
          patch.maxActive = value as number | null;
        } else {
          problems.push(`maxActive must be a whole number of visitors from 0 (no cap) to ${LIMITS.maxActive}, or null`);
        }
        break;
      case "mode":
        if (value === null || (MODES as readonly unknown[]).includes(value)) patch.mode = value as Mode | null;
        else problems.push(`mode must be one of ${MODES.join(", ")}, or null`);
        break;
      default:
        problems.push(`unknown field ${JSON.stringify(field)} (known: ratePerMinute, mode, sessionMinutes, maxActive)`);
    }
  }
  if (problems.length === 0 && Object.keys(patch).length === 0) problems.push("nothing to change");
  return problems.length > 0 ? { ok: false, problems } : { ok: true, patch };
}

function isInRange(value: unknown, max: number): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 && value <= max;
}
