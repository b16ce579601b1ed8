import { readStamp, type StampKey, type StampRead, signStamp } from "./stamp.ts";

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
 * place, and costs no store call. The cookie buys one place: the store
 * records its id as spent with the place, so copies of it buy nothing.
 *
 * @example
 * ```ts
 * const token = await signProbe(options, Date.now());
 * ```
 */
export function signProbe(options: ProbeOptions, nowMs: number): Promise<string> {
  return signStamp("probe", options, nowMs, PROBE_SECONDS);
}

/** Reads a probe cookie: genuine, for this room and fresh, with its id. Never throws. */
export function readProbe(token: string | undefined, options: ProbeOptions, nowMs: number): Promise<StampRead> {
  return readStamp("probe", token, options, nowMs);
}
