import { hasStamp, type StampKey, signStamp } from "./stamp.ts";

/** When newcomers must first show they keep cookies (COOKIE_CHECK). */
export const COOKIE_CHECKS = ["off", "busy", "always"] as const;
export type CookieCheck = (typeof COOKIE_CHECKS)[number];

/** Settings of the cookie check. */
export interface ProbeOptions extends StampKey {
  readonly mode: CookieCheck;
}

/** A probe is good for this long: enough for a browser to come straight back. */
export const PROBE_SECONDS = 600;

/**
 * Signs the cookie a newcomer must send back before a place is given: a
 * client that never returns cookies (a script, a bot) then never takes a
 * place, and costs no store call.
 *
 * @example
 * ```ts
 * const token = await signProbe(options, Date.now());
 * ```
 */
export function signProbe(options: ProbeOptions, nowMs: number): Promise<string> {
  return signStamp("probe", options, nowMs, PROBE_SECONDS);
}

/** Whether a probe cookie is genuine, for this room and fresh. Never throws. */
export function hasProbe(token: string | undefined, options: ProbeOptions, nowMs: number): Promise<boolean> {
  return hasStamp("probe", token, options, nowMs);
}
