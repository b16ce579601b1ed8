import type { Agent } from "undici";
import { CookieJar, type Fetched, get, header, jwtPayload, NAVIGATE_HEADERS, POLL_HEADERS } from "./http.ts";
import { RELEASE_HEADER, RELEASE_PATH } from "./release.ts";
import { prng, sleep } from "./stats.ts";

/** One virtual visitor, decided before the run so both runs replay the same crowd. */
export interface VisitorPlan {
  readonly id: number;
  /** ms after the start of the run. */
  readonly arrivalMs: number;
  /** Page views once in: 1-5. */
  readonly views: number;
  /** Pause before each view after the first, ms. */
  readonly thinkMs: readonly number[];
  /** Gives up while waiting (chosen with probability --abandon). */
  readonly abandons: boolean;
  /** An abandoner leaves after this share of the first wait estimate they see. */
  readonly patience: number;
  readonly seed: number;
}

/** A request of one visitor that reached the origin; times in ms after the start of the run. */
export interface OriginView {
  /** When the request was sent. */
  readonly at: number;
  /** When its answer came back. */
  readonly done: number;
  /** A served RELEASE_PATH page: the origin asked the room to end the visitor's session (`--release`). */
  readonly released: boolean;
}

/** How the room answered a visitor's released page view (`--release`, with the room). */
export interface ReleaseOutcome {
  /** When the answer came back, ms after the start of the run. */
  readonly at: number;
  /** The answer removed the pass cookie, as it should. */
  readonly passCleared: boolean;
  /** The early-release header reached the visitor (the room should strip it). */
  readonly headerSeen: boolean;
}

/** What happened to one visitor; times in ms after the start of the run. */
export interface VisitorRecord {
  readonly id: number;
  arrival: number | null;
  /** Ticket position, read from the ticket cookie (the bench's own view; the worker never trusts it). */
  position: number | null;
  /**
   * The ticket's claims other than the visitor's id and times (room, pos, f0,
   * and whatever else it carries, e.g. an epoch), to tell two tickets with
   * the same position apart; null without a ticket.
   */
  ticket: Record<string, unknown> | null;
  queued: boolean;
  admittedAt: number | null;
  via: "join" | "ticket" | "origin" | null;
  abandonedAt: number | null;
  /** Gave up after errors. */
  failed: boolean;
  /** Still waiting when the run ended. */
  cut: boolean;
  /** Refusals: holding page or queued status (with the room), error page (without). */
  refusals: number;
  lastRefusal: number | null;
  viewsOk: number;
  viewErrors: number;
  /** When the holding page was first seen (with the room), ms after the start of the run. */
  firstSeenAt: number | null;
  /**
   * The wait the room predicted then, in real seconds: `etaSeconds` of the
   * status JSON fetched once right after that holding page (the built-in page
   * shows the figure only in words). 0 when that answer already said
   * "admitted"; null when there was no figure (no answer, or the room said it
   * was delayed or paused).
   */
  predictedSeconds: number | null;
  /** Kept for the Redis cost phase: a jar holding a pass. */
  jar: CookieJar | null;
  /**
   * Every request that reached the origin (answered by it, whatever the
   * status). With the room these are the admitted page views: carrying a
   * pass, or the newcomer's page that was let straight in and got one.
   */
  originViews: OriginView[];
  /** The released page view's outcome (`--release`, with the room), or null. */
  release: ReleaseOutcome | null;
}

/** Request counters of a run, by what the request carried. */
export interface RequestCounts {
  /** No valid cookie: costs a JOIN. */
  newcomer: number;
  /** Carrying a ticket: polls of the status endpoint and page loads while waiting. */
  ticketed: number;
  polls: number;
  /** The one status request after the first holding page that reads the room's predicted wait (not a poll of the page). */
  etaProbes: number;
  /** Carrying a pass: admitted page views. */
  pass: number;
  /** Responses by status (0: network error or timeout). */
  byStatus: Record<string, number>;
  /** Store unavailable (503 from the worker itself, not the origin). */
  storeUnavailable: number;
  /** Client-side latency of every answered request, by kind, ms. */
  latencyMs: { newcomer: number[]; ticketed: number[]; pass: number[]; direct: number[] };
}

/** Shared by every visitor of one run. */
export interface RunContext {
  readonly mode: "room" | "direct";
  readonly baseUrl: string;
  readonly agent: Agent;
  readonly epoch: number;
  readonly signal: AbortSignal;
  readonly counts: RequestCounts;
  /** Time spent outside the origin by admitted page views (client time minus the origin's own), ms. */
  readonly overheadMs: number[];
  /** Jars with a pass kept for later phases (bounded). */
  readonly keptJars: CookieJar[];
  /** Live counts, for the progress line and the waiting series. */
  readonly gauges: Gauges;
  /** `--release`: each admitted visitor's last page view goes to RELEASE_PATH. */
  readonly release: boolean;
}

export interface Gauges {
  arrived: number;
  waiting: number;
  admitted: number;
  abandoned: number;
}

export function newGauges(): Gauges {
  return { arrived: 0, waiting: 0, admitted: 0, abandoned: 0 };
}

export function newCounts(): RequestCounts {
  return {
    newcomer: 0,
    ticketed: 0,
    polls: 0,
    etaProbes: 0,
    pass: 0,
    byStatus: {},
    storeUnavailable: 0,
    latencyMs: { newcomer: [], ticketed: [], pass: [], direct: [] },
  };
}

const FIRST_PAGE_RETRIES = 3;
const VIEW_RETRIES = 2;
/** Jars kept for the Redis cost phase: the latest ones, so short sessions (SESSION_MINUTES) are still valid then. */
const KEEP_JARS = 64;

/** A visitor's record before anything happened: what the lab fills in as the visitor goes. */
export function emptyRecord(id: number): VisitorRecord {
  return {
    id,
    arrival: null,
    position: null,
    ticket: null,
    queued: false,
    admittedAt: null,
    via: null,
    abandonedAt: null,
    failed: false,
    cut: false,
    refusals: 0,
    lastRefusal: null,
    viewsOk: 0,
    viewErrors: 0,
    firstSeenAt: null,
    predictedSeconds: null,
    jar: null,
    originViews: [],
    release: null,
  };
}

/**
 * A browser-like visitor: the first page, then (when queued) the holding page's
 * polling protocol at the interval the server suggests with the page's own
 * jitter (0.8-1.2x), then 1-5 page views once admitted. On its first holding
 * page it also asks the status endpoint once, at once, to read the wait the
 * page announces as a number (the bench's measurement, not the page's script;
 * counted as `etaProbes`, not as polls). Without the room it
 * goes straight to the origin and, like a person, retries an error page a few
 * times. Every wait is cut short when the run ends.
 *
 * With `ctx.release`, the last page view goes to RELEASE_PATH (the checkout
 * completed), whose answer ends the visitor's session in the room; a visitor
 * let straight in who planned a single view makes one more, to that path.
 */
export async function visit(plan: VisitorPlan, ctx: RunContext): Promise<VisitorRecord> {
  const record = emptyRecord(plan.id);
  const random = prng(plan.seed);
  const jar = new CookieJar();
  const now = () => Date.now() - ctx.epoch;
  await sleep(ctx.epoch + plan.arrivalMs - Date.now(), ctx.signal);
  if (ctx.signal.aborted) return record;
  record.arrival = now();
  ctx.gauges.arrived += 1;

  const fetchPage = async (path: string, headers: Record<string, string>) => {
    const kind =
      ctx.mode === "direct"
        ? "direct"
        : jar.get("anteroom_pass")
          ? "pass"
          : jar.get("anteroom_ticket")
            ? "ticketed"
            : "newcomer";
    if (kind !== "direct") ctx.counts[kind] += 1;
    const sentAt = now();
    const res = await get(ctx.agent, `${ctx.baseUrl}${path}`, headers, jar, ctx.signal);
    // A request cut by the end of the run is not a response.
    if (ctx.signal.aborted) return res;
    if (res.status !== 0) ctx.counts.latencyMs[kind].push(res.ms);
    const key = String(res.status);
    ctx.counts.byStatus[key] = (ctx.counts.byStatus[key] ?? 0) + 1;
    if (res.status === 503 && !header(res, "x-bench-origin")) ctx.counts.storeUnavailable += 1;
    if (header(res, "x-bench-origin")) {
      const done = now();
      // The lab origin asks for the release on every served RELEASE_PATH page.
      const released = path === RELEASE_PATH && res.status >= 200 && res.status < 400;
      record.originViews.push({ at: sentAt, done, released });
      if (released && ctx.mode === "room" && record.release === null)
        record.release = {
          at: done,
          passCleared: !jar.get("anteroom_pass"),
          headerSeen: header(res, RELEASE_HEADER) !== undefined,
        };
    }
    return res;
  };
  // An admitted visitor's end (all views done, or cut by the end of the run): the jar is kept if it holds a pass.
  const keep = () => {
    if (jar.get("anteroom_pass")) {
      record.jar = jar;
      ctx.keptJars.push(jar);
      if (ctx.keptJars.length > KEEP_JARS) ctx.keptJars.shift();
    }
    return record;
  };
  const refuse = () => {
    record.refusals += 1;
    record.lastRefusal = now();
  };
  const admit = (via: VisitorRecord["via"]) => {
    record.admittedAt = now();
    record.via = via;
    ctx.gauges.admitted += 1;
    if (record.queued) ctx.gauges.waiting -= 1;
  };
  const isOriginPage = (res: Fetched) => res.status >= 200 && res.status < 400 && header(res, "x-bench-origin");

  // 1. The first page.
  let refresh = 5;
  let viewsDone = 0;
  for (let attempt = 0; ; attempt += 1) {
    const res = await fetchPage("/", NAVIGATE_HEADERS);
    if (ctx.signal.aborted) return cut(record);
    if (isOriginPage(res)) {
      admit(ctx.mode === "room" ? "join" : "origin");
      viewsDone = 1;
      record.viewsOk += 1;
      noteOverhead(ctx, res);
      break;
    }
    if (ctx.mode === "room" && res.status === 200 && res.body.includes("data-refresh")) {
      record.queued = true;
      ctx.gauges.waiting += 1;
      const claims = jwtPayload(jar.get("anteroom_ticket"));
      const position = claims?.pos;
      record.position = typeof position === "number" ? position : null;
      if (claims) {
        const { sub: _sub, iat: _iat, exp: _exp, nbf: _nbf, ...rest } = claims;
        record.ticket = rest;
      }
      refresh = Number(/data-refresh="(\d+(?:\.\d+)?)"/.exec(res.body)?.[1] ?? 5);
      refuse();
      record.firstSeenAt = record.lastRefusal;
      // The figure the page shows, as a number: the status JSON of the same moment.
      const probe = await fetchPage("/__anteroom/status", POLL_HEADERS);
      ctx.counts.etaProbes += 1;
      if (ctx.signal.aborted) return cut(record);
      record.predictedSeconds = predictedWait(probe);
      break;
    }
    // An error: from the origin (no room, or a newcomer let straight in), or the store is down.
    if (jar.get("anteroom_pass") && record.admittedAt === null) admit("join");
    // With the room, a refusal means "wait"; an admitted visitor's error page is a view error.
    if (ctx.mode === "direct" || record.admittedAt === null) refuse();
    else record.viewErrors += 1;
    if (attempt >= FIRST_PAGE_RETRIES) {
      record.failed = true;
      return record;
    }
    const retryAfter = Number(header(res, "retry-after") ?? 0);
    await sleep((retryAfter > 0 ? retryAfter : 2) * 1000 + random() * 3000, ctx.signal);
    if (ctx.signal.aborted) return cut(record);
    if (record.admittedAt !== null) break;
  }

  // 2. Waiting: the holding page's polling protocol.
  let giveUpAt: number | null = null;
  while (record.queued && record.admittedAt === null) {
    await sleep(refresh * 1000 * (0.8 + random() * 0.4), ctx.signal);
    if (ctx.signal.aborted) return cut(record);
    if (giveUpAt !== null && now() >= giveUpAt) {
      record.abandonedAt = now();
      ctx.gauges.waiting -= 1;
      ctx.gauges.abandoned += 1;
      return record;
    }
    const res = await fetchPage("/__anteroom/status", POLL_HEADERS);
    ctx.counts.polls += 1;
    if (ctx.signal.aborted) return cut(record);
    let state: { state?: string; refreshSeconds?: number; etaSeconds?: number } | null = null;
    try {
      state = res.status === 200 ? JSON.parse(res.body) : null;
    } catch {}
    if (state?.state === "admitted") {
      admit("ticket");
    } else if (state?.state === "queued") {
      refuse();
      refresh = state.refreshSeconds || refresh;
      if (plan.abandons && giveUpAt === null) giveUpAt = now() + plan.patience * (state.etaSeconds ?? 0) * 1000;
    } else {
      // The page's script backs off after a failed poll.
      refresh = Math.min(refresh * 2, 30);
    }
  }

  // 3. Admitted: the reload of the page asked for, then more page views.
  // With --release the last one completes the checkout; one let straight in on a single planned view needs one more.
  const views = ctx.release && viewsDone === 1 && plan.views === 1 ? 2 : plan.views;
  for (let view = viewsDone; view < views; view += 1) {
    if (view > 0) await sleep(plan.thinkMs[view - 1] ?? 1000 + random() * 2000, ctx.signal);
    viewsDone += 1;
    if (ctx.signal.aborted) return keep();
    const path = ctx.release && view === views - 1 ? RELEASE_PATH : view === 0 ? "/" : `/page/${view}`;
    let served = false;
    for (let attempt = 0; attempt <= VIEW_RETRIES && !served; attempt += 1) {
      if (attempt > 0) await sleep(2000 + random() * 2000, ctx.signal);
      if (ctx.signal.aborted) return keep();
      const res = await fetchPage(path, NAVIGATE_HEADERS);
      // Cut during the checkout: the room may have ended the session without the cookie being cleared here.
      if (ctx.signal.aborted) return path === RELEASE_PATH ? record : keep();
      if (isOriginPage(res)) {
        served = true;
        record.viewsOk += 1;
        noteOverhead(ctx, res);
      } else {
        record.viewErrors += 1;
      }
    }
    if (!served) {
      record.failed = true;
      break;
    }
  }
  return keep();
}

/** `etaSeconds` of a status answer: the wait the room predicts, or null when it gave no figure. */
function predictedWait(res: Fetched): number | null {
  if (res.status !== 200) return null;
  try {
    const state = JSON.parse(res.body) as { state?: string; etaSeconds?: number; delayed?: boolean; paused?: boolean };
    if (state.state === "admitted") return 0;
    if (state.state !== "queued" || state.delayed || state.paused) return null;
    return typeof state.etaSeconds === "number" && Number.isFinite(state.etaSeconds) ? state.etaSeconds : null;
  } catch {
    return null;
  }
}

function cut(record: VisitorRecord): VisitorRecord {
  if (record.admittedAt === null && record.abandonedAt === null) record.cut = true;
  return record;
}

function noteOverhead(ctx: RunContext, res: Fetched): void {
  const origin = Number(header(res, "x-origin-ms"));
  if (Number.isFinite(origin)) ctx.overheadMs.push(res.ms - origin);
}
