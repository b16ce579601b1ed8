import type { Agent } from "undici";
import { CookieJar, get, header } from "./http.ts";
import { prng, sleep } from "./stats.ts";

/**
 * A cookie-less client of the flood (`--bots X`): a script that never keeps
 * cookies. Each of its requests is a fresh one (no cookie jar, so every request
 * is a newcomer to the room), asks for JSON, and the next one follows the
 * answer's Retry-After (or 1-3 s when there is none). It never polls with a
 * ticket and never claims the place it was given.
 */
export interface BotPlan {
  readonly id: number;
  /** ms after the start of the run. */
  readonly arrivalMs: number;
  /** Requests this client sends in all (the first one and the retries). */
  readonly requests: number;
  readonly seed: number;
}

/** What a script sends: JSON, no browser fetch metadata, no cookies. */
export const BOT_HEADERS = {
  accept: "application/json",
  "user-agent": "anteroom-surge-bot/1",
} as const;

/** Counters of the flood in one run. */
export interface BotCounts {
  /** Clients planned / that arrived before the end of the run. */
  clients: number;
  arrived: number;
  /** Requests sent / answered (status other than 0 and not cut by the end of the run). */
  requests: number;
  answered: number;
  /** Answers that set a ticket cookie (a place in line, then thrown away). */
  tickets: number;
  /** Answers served by the origin: the request went straight in. */
  straightIn: number;
  /** When each of those answers came back, ms after the start of the run (the fleet's outage figures). */
  straightInAt: number[];
  /** Clients with at least one ticket / at least one request straight in. */
  clientsWithTicket: number;
  clientsStraightIn: number;
  /** Answers by status (0: network error or timeout). */
  byStatus: Record<string, number>;
  /** Client-side latency of answered requests, ms. */
  latencyMs: number[];
}

export function newBotCounts(clients: number): BotCounts {
  return {
    clients,
    arrived: 0,
    requests: 0,
    answered: 0,
    tickets: 0,
    straightIn: 0,
    straightInAt: [],
    clientsWithTicket: 0,
    clientsStraightIn: 0,
    byStatus: {},
    latencyMs: [],
  };
}

export interface BotContext {
  readonly baseUrl: string;
  readonly agent: Agent;
  readonly epoch: number;
  readonly signal: AbortSignal;
  readonly counts: BotCounts;
}

/** Most a client waits between two requests, whatever Retry-After says, s. */
const MAX_PAUSE_SECONDS = 30;

/** One cookie-less client: `plan.requests` fresh requests to the room, each after the previous one's Retry-After. */
export async function bot(plan: BotPlan, ctx: BotContext): Promise<void> {
  const random = prng(plan.seed);
  await sleep(ctx.epoch + plan.arrivalMs - Date.now(), ctx.signal);
  if (ctx.signal.aborted) return;
  ctx.counts.arrived += 1;
  let ticket = false;
  let straightIn = false;
  for (let i = 0; i < plan.requests; i += 1) {
    ctx.counts.requests += 1;
    // A new, empty jar per request: the cookies the room sets are never sent back.
    const jar = new CookieJar();
    const res = await get(ctx.agent, `${ctx.baseUrl}/`, BOT_HEADERS, jar, ctx.signal);
    if (ctx.signal.aborted) break;
    const key = String(res.status);
    ctx.counts.byStatus[key] = (ctx.counts.byStatus[key] ?? 0) + 1;
    if (res.status !== 0) {
      ctx.counts.answered += 1;
      ctx.counts.latencyMs.push(res.ms);
    }
    if (jar.get("anteroom_ticket")) {
      ctx.counts.tickets += 1;
      ticket = true;
    }
    if (res.status >= 200 && res.status < 400 && header(res, "x-bench-origin")) {
      ctx.counts.straightIn += 1;
      ctx.counts.straightInAt.push(Date.now() - ctx.epoch);
      straightIn = true;
    }
    if (i + 1 >= plan.requests) break;
    const retryAfter = Number(header(res, "retry-after") ?? 0);
    const pause = retryAfter > 0 ? Math.min(retryAfter, MAX_PAUSE_SECONDS) : 1 + random() * 2;
    await sleep(pause * 1000, ctx.signal);
    if (ctx.signal.aborted) break;
  }
  if (ticket) ctx.counts.clientsWithTicket += 1;
  if (straightIn) ctx.counts.clientsStraightIn += 1;
}
