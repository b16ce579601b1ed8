import type { Context } from "hono";
import { RELEASE_HEADER } from "../../origin-adapter/contract.ts";
import { readPass } from "../tokens/pass.ts";
import type { AppEnv } from "./app-env.ts";
import { flushInBackground } from "./background.ts";
import { clearPassCookie, readCredentials } from "./cookies.ts";

/**
 * Acts on the origin's early release, if it asked for one: the visitor's
 * pass cookie is cleared, the pass stops admitting on this instance at once
 * and on every other within about a second (through their ticks), and its
 * place among the active visitors opens with this instance's next store call.
 * On a path the gate did not check (none of the rooms queues it, or a room
 * lets it through) no pass was checked on the way in, so every room's pass is
 * checked here, and each valid one is released. The header is always
 * removed, but honoured only on the answer to a request the visitor made from
 * within the site ({@link fromWithinSite}).
 *
 * @param subject the pass subject the gate let through, or null when the gate was not asked (bypassed path)
 * @returns whether a pass was released (its cookie cleared on this response)
 * @example
 * ```ts
 * const response = await fetch(upstream);
 * await releaseIfAsked(c, response.headers, verdict.subject);
 * ```
 */
export async function releaseIfAsked(c: Context<AppEnv>, headers: Headers, subject: string | null): Promise<boolean> {
  if (!headers.has(RELEASE_HEADER)) return false;
  headers.delete(RELEASE_HEADER);
  if (!fromWithinSite(c.req.raw)) return false;
  if (subject !== null) {
    c.var.runtime.gate.link.recordRelease(subject);
    clearPassCookie(c);
    return true;
  }
  return releaseEveryRoom(c);
}

/**
 * The release asked for on a request the gate did not check (a path no room
 * queues or one a room lets through, e.g. `/logout`): the visitor may hold a
 * pass of any room, so each room's pass cookie is read and checked against
 * that room, and each valid one is released on its room's link and cleared.
 * The cookie helpers name a cookie after the room on the context, so each room
 * is put there in turn, and the request's own room (or the first) put back
 * afterwards. A room other than the request's has its release sent in the
 * background here; the request's own is sent by the caller's flush.
 */
async function releaseEveryRoom(c: Context<AppEnv>): Promise<boolean> {
  const own = c.get("runtime");
  let released = false;
  try {
    for (const room of own.deployment.rooms) {
      c.set("runtime", room);
      const pass = readCredentials(c).pass;
      if (!pass) continue;
      const read = await readPass(pass, room.gate.pass, room.gate.now());
      if (!read.ok) continue;
      room.gate.link.recordRelease(read.claims.sub);
      clearPassCookie(c);
      if (room !== own) flushInBackground(c, false);
      released = true;
    }
  } finally {
    c.set("runtime", own);
  }
  return released;
}

/** The `Sec-Fetch-Site` values a release is honoured on: the site's own pages, and the visitor's own address bar or bookmark. */
const RELEASING_SITES: ReadonlySet<string> = new Set(["same-origin", "same-site", "none"]);

/**
 * Whether a request came from within the site, by the browser's own word
 * (`Sec-Fetch-Site`, which pages cannot set): any other site can make a
 * visitor's browser GET a URL whose answer releases (a link, a redirect),
 * which would send that visitor to the back of the line. A
 * cross-site request is never honoured, whatever its method: the only
 * cross-site requests that carry the pass cookie (SameSite=Lax) are top-level
 * GET navigations, exactly those to refuse. An unknown value counts as
 * cross-site. A request without the header is honoured: it comes from a
 * client that is not a browser (an app, a test, the origin's own tooling), a
 * browser too old to send Fetch Metadata, or over plain http to a host other
 * than localhost, where browsers do not send it.
 *
 * @example
 * ```ts
 * fromWithinSite(new Request(url, { headers: { "sec-fetch-site": "cross-site" } })); // false
 * ```
 */
export function fromWithinSite(request: Request): boolean {
  const site = request.headers.get("sec-fetch-site");
  return site === null || RELEASING_SITES.has(site.trim().toLowerCase());
}
