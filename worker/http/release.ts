import type { Context } from "hono";
import { RELEASE_HEADER } from "../../origin-adapter/contract.ts";
import { readPass } from "../tokens/pass.ts";
import type { AppEnv } from "./app-env.ts";
import { clearPassCookie, readCredentials } from "./cookies.ts";

/**
 * Acts on the origin's early release, if it asked for one: the visitor's
 * pass cookie is cleared, the pass stops admitting on this instance at once
 * and on every other within about a second (through their ticks), and its
 * place among the active visitors opens with this instance's next store call.
 * On a bypassed path the pass was not checked on the way in, so it is checked
 * here, and only a valid one is released.
 *
 * @param subject the pass subject the gate let through, or null when the gate was not asked (bypassed path)
 * @example
 * ```ts
 * const response = await fetch(upstream);
 * await releaseIfAsked(c, response.headers, verdict.subject);
 * ```
 */
export async function releaseIfAsked(c: Context<AppEnv>, headers: Headers, subject: string | null): Promise<void> {
  if (!headers.has(RELEASE_HEADER)) return;
  headers.delete(RELEASE_HEADER);
  const gate = c.var.runtime.gate;
  let released = subject;
  if (released === null) {
    const pass = readCredentials(c).pass;
    const read = pass ? await readPass(pass, gate.pass, gate.now()) : null;
    released = read?.ok ? read.claims.sub : null;
  }
  if (released === null) return;
  gate.link.recordRelease(released);
  clearPassCookie(c);
}

/**
 * Lets work go on after the response (the instance's background tick), where
 * the platform allows it; without an execution context (some tests) the
 * promise simply runs on its own.
 */
export function inBackground(c: Context<AppEnv>, work: Promise<void> | null): void {
  if (!work) return;
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    void work;
  }
}
