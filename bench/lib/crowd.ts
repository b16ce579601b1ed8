// The visitors of `npm run bench`: each one a cookie jar that went through the
// real room (a JOIN in Redis, then a pass or a ticket of its own), and the
// streams of requests they send while the bench measures: page views of many
// admitted visitors in random order, holding pages and status polls of many
// waiting ones, first requests of newcomers.
import type { Agent } from "undici";
import { CookieJar, get, jwtPayload, NAVIGATE_HEADERS, POLL_HEADERS } from "./http.ts";
import type { BenchRequest } from "./load.ts";
import { prng } from "./stats.ts";

/** The room's cookie names on plain http (the bench talks to workerd on loopback). */
export const PASS_COOKIE = "anteroom_pass";
export const TICKET_COOKIE = "anteroom_ticket";

/** How a crowd got in (or in line). */
export interface Arrivals {
  readonly jars: CookieJar[];
  /** Answers that let the visitor in at once / gave a ticket first. */
  readonly straightIn: number;
  readonly queuedFirst: number;
  /** Status polls made while waiting to be let in. */
  readonly polls: number;
  readonly ms: number;
}

/** Runs `count` tasks, `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next;
        next += 1;
        await task(i);
      }
    }),
  );
}

/**
 * `count` visitors come to the room, each with a jar of its own, as a browser
 * would (first page view, the cookie check's redirect followed, then status
 * polls while queued) until each holds a pass. Bounded by `deadlineMs`.
 */
export async function admitVisitors(
  agent: Agent,
  roomUrl: string,
  count: number,
  options: { concurrency: number; deadlineMs: number },
): Promise<Arrivals> {
  const start = performance.now();
  const deadline = Date.now() + options.deadlineMs;
  const jars = Array.from({ length: count }, () => new CookieJar());
  let straightIn = 0;
  let queuedFirst = 0;
  let polls = 0;
  await inParallel(count, options.concurrency, async (i) => {
    const jar = jars[i] as CookieJar;
    const first = await get(agent, `${roomUrl}/`, NAVIGATE_HEADERS, jar);
    if (jar.get(PASS_COOKIE)) {
      straightIn += 1;
      return;
    }
    if (!jar.get(TICKET_COOKIE))
      throw new Error(`visitor ${i} got neither pass nor ticket: ${first.status} ${first.body.slice(0, 200)}`);
    queuedFirst += 1;
    while (!jar.get(PASS_COOKIE)) {
      if (Date.now() > deadline) throw new Error(`visitor ${i} was not let in within ${options.deadlineMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
      polls += 1;
      await get(agent, `${roomUrl}/__anteroom/status`, POLL_HEADERS, jar);
    }
  });
  return { jars, straightIn, queuedFirst, polls, ms: Math.round(performance.now() - start) };
}

/**
 * `count` newcomers take a place in line (each its own jar and ticket). With
 * `mustWait`, every one must be told to wait; otherwise some may go straight in.
 */
export async function queueVisitors(
  agent: Agent,
  roomUrl: string,
  count: number,
  options: { concurrency: number; mustWait: boolean },
): Promise<Arrivals> {
  const start = performance.now();
  const jars = Array.from({ length: count }, () => new CookieJar());
  let straightIn = 0;
  await inParallel(count, options.concurrency, async (i) => {
    const jar = jars[i] as CookieJar;
    const first = await get(agent, `${roomUrl}/`, NAVIGATE_HEADERS, jar);
    if (jar.get(PASS_COOKIE) && !options.mustWait) straightIn += 1;
    else if (!jar.get(TICKET_COOKIE) || jar.get(PASS_COOKIE)) {
      throw new Error(`newcomer ${i} was not queued: ${first.status} ${first.body.slice(0, 200)}`);
    }
  });
  return {
    jars,
    straightIn,
    queuedFirst: count - straightIn,
    polls: 0,
    ms: Math.round(performance.now() - start),
  };
}

/** The latest position among tickets (decoded, not verified: the bench reads its own tickets). */
export function positions(jars: readonly CookieJar[]): number[] {
  return jars.map((jar) => Number(jwtPayload(jar.get(TICKET_COOKIE))?.pos ?? Number.NaN)).filter(Number.isFinite);
}

/** Pages of a small shop, so page views are not all one URL. */
const SITE = ["/", "/products", "/products/1", "/products/2", "/products/3", "/cart", "/account", "/search?q=shoes"];

/** One visit of the schedule: who, and where. */
interface View {
  readonly visitor: number;
  readonly path: string;
}

/**
 * Every visitor's page views (between `minViews` and `maxViews` each, to pages
 * of the shop) in one random order, seeded: a stream of requests that
 * interleaves many visitors, each sending its own cookies as they are now
 * (a renewed pass is kept). The stream cycles; two calls with the same seed
 * give the same sequence, so the room and the bare worker get the very same requests.
 */
export function pageViews(
  jars: readonly CookieJar[],
  options: { seed: number; minViews: number; maxViews: number; paths?: readonly string[] },
): () => BenchRequest {
  const random = prng(options.seed);
  const paths = options.paths ?? SITE;
  const views: View[] = [];
  for (let visitor = 0; visitor < jars.length; visitor += 1) {
    const n = options.minViews + Math.floor(random() * (options.maxViews - options.minViews + 1));
    for (let k = 0; k < n; k += 1) views.push({ visitor, path: paths[Math.floor(random() * paths.length)] ?? "/" });
  }
  shuffle(views, random);
  return fromViews(jars, views, NAVIGATE_HEADERS);
}

/** Each waiting visitor asks `path` `times` times, in one random order (holding pages or status polls). */
export function waitingRequests(
  jars: readonly CookieJar[],
  options: { seed: number; times: number; path: string; headers: Record<string, string> },
): () => BenchRequest {
  const random = prng(options.seed);
  const views: View[] = [];
  for (let visitor = 0; visitor < jars.length; visitor += 1) {
    for (let k = 0; k < options.times; k += 1) views.push({ visitor, path: options.path });
  }
  shuffle(views, random);
  return fromViews(jars, views, options.headers);
}

/** Newcomers: every request a visitor the room has never seen (no cookie), so each one takes a place. */
export function newcomers(path: string): () => BenchRequest {
  const request: BenchRequest = { path, headers: { ...NAVIGATE_HEADERS } };
  return () => request;
}

/** The same request over and over (the bare worker's static page). */
export function constant(path: string, headers: Record<string, string>): () => BenchRequest {
  const request: BenchRequest = { path, headers };
  return () => request;
}

function fromViews(jars: readonly CookieJar[], views: readonly View[], base: Record<string, string>) {
  if (views.length === 0) throw new Error("no requests to send");
  let at = 0;
  return (): BenchRequest => {
    const view = views[at % views.length] as View;
    at += 1;
    const jar = jars[view.visitor] as CookieJar;
    const cookie = jar.header();
    return {
      path: view.path,
      headers: cookie ? { ...base, cookie } : { ...base },
      onCookies: (setCookie) => jar.store(setCookie),
    };
  };
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
