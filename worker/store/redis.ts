import { Redis } from "@upstash/redis/cloudflare";
import { DEFAULT_SESSION_MS } from "../model/active.ts";
import { type FrontierState, MODES, type Mode, type Settings } from "../model/admission.ts";
import { type ScheduledEvent, scheduledEvent } from "../model/schedule.ts";
import { checkedOutcome, separateTransport, storeFailure, unreadableReply } from "./failure.ts";
import {
  clientsKey,
  eventSeqKey,
  eventsKey,
  frozenKey,
  historyKey,
  prequeueKey,
  roomKeys,
  settingsKey,
} from "./keys.ts";
import type { SettingsTail, StateTail } from "./lua/advance.ts";
import { CLAIM_LUA, type ClaimReply } from "./lua/claim.ts";
import { EVENTS_READ_LUA, EVENTS_WRITE_LUA, type EventsReadReply, type EventsWriteReply } from "./lua/events.ts";
import { HISTORY_LUA, type HistoryReply } from "./lua/history.ts";
import { JOIN_LUA, type JoinReply } from "./lua/join.ts";
import { SETTINGS_LUA, type SettingsReply } from "./lua/settings.ts";
import { TICK_LUA, type TickReply } from "./lua/tick.ts";
import type {
  AdmissionStore,
  Arrival,
  ClaimOutcome,
  EventRecord,
  EventsOutcome,
  HistoryOutcome,
  JoinOutcome,
  MinuteSnapshot,
  Release,
  Report,
  RoomSpec,
  SettingsOutcome,
  SettingsPatch,
  StoreUnavailable,
  TickOutcome,
  WriteEventsOutcome,
} from "./store.ts";
import { secondsToNextMinute } from "./store.ts";

/** The one Redis capability the store needs: scripts run by EVALSHA with an EVAL fallback. */
export interface ScriptClient {
  createScript<TResult>(script: string): { exec(keys: string[], args: string[]): Promise<TResult> };
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * Clock passed to the scripts, in ms. Leave unset in production: the scripts
   * then read Redis TIME, so every worker instance shares one clock. Tests set
   * it to replay time deterministically.
   */
  readonly now?: () => number;
}

/**
 * Admission counters and live settings in Redis, one atomic Lua script per operation.
 *
 * @example
 * ```ts
 * const store = new RedisStore(connectRedis({ url, token, timeoutMs: 500 }));
 * const spec = { room: "default", defaultPerMinute: 600, defaultMode: "auto", stateTtlMs: 86_400_000 } as const;
 * const outcome = await store.join(spec, { visitorId: crypto.randomUUID(), draw: 0.42 });
 * ```
 */
export class RedisStore implements AdmissionStore {
  readonly #join;
  readonly #tick;
  readonly #settings;
  readonly #history;
  readonly #claim;
  readonly #eventsRead;
  readonly #eventsWrite;
  readonly #now: (() => number) | undefined;

  constructor(scriptClient: ScriptClient, options: RedisStoreOptions = {}) {
    // Transport failures are marked where the call is made, so a reply that cannot be read is told apart (failure.ts).
    const client = separateTransport(scriptClient);
    this.#join = client.createScript<JoinReply>(JOIN_LUA);
    this.#tick = client.createScript<TickReply>(TICK_LUA);
    this.#settings = client.createScript<SettingsReply>(SETTINGS_LUA);
    this.#history = client.createScript<HistoryReply>(HISTORY_LUA);
    this.#claim = client.createScript<ClaimReply>(CLAIM_LUA);
    this.#eventsRead = client.createScript<EventsReadReply>(EVENTS_READ_LUA);
    this.#eventsWrite = client.createScript<EventsWriteReply>(EVENTS_WRITE_LUA);
    this.#now = options.now;
  }

  join(room: RoomSpec, arrival: Arrival, report?: Report): Promise<JoinOutcome> {
    const now = this.#now?.() ?? Date.now();
    const keys = [...roomKeys(room.room), clientsKey(room.room, Math.floor(now / 60_000))];
    const limit = String(room.newTicketsPerClientPerMinute ?? 0);
    const args = [...this.#args(room, report), arrival.visitorId, String(arrival.draw), limit, arrival.client ?? ""];
    return attempt("JOIN", async () => joinOutcome(await this.#join.exec(keys, args), now));
  }

  claim(room: RoomSpec, event: number, visitorId: string): Promise<ClaimOutcome> {
    const args = [...this.#args(room), String(event), visitorId];
    return attempt("CLAIM", async () => claimOutcome(await this.#claim.exec(roomKeys(room.room), args)));
  }

  events(room: RoomSpec): Promise<EventsOutcome> {
    return attempt("EVENTS_READ", async () => {
      const [version, list, ...counts] = await this.#eventsRead.exec(
        [eventsKey(room.room), prequeueKey(room.room), frozenKey(room.room)],
        [],
      );
      const events = decodeEvents(list);
      const records: EventRecord[] = events.map((event, i) => ({
        ...event,
        prequeued: Number(counts[i * 3 + 1] ?? 0),
        placed: Number(counts[i * 3 + 2] ?? 0) === 1,
      }));
      return { kind: "events", events: records, version: String(version) };
    });
  }

  writeEvents(room: RoomSpec, version: string, next: readonly ScheduledEvent[]): Promise<WriteEventsOutcome> {
    const adding = next.some((e) => e.seq === 0);
    return attempt("EVENTS_WRITE", async () => {
      const [written, seq] = await this.#eventsWrite.exec(
        [eventsKey(room.room), eventSeqKey(room.room)],
        [version, encodeEvents(next), adding ? "1" : ""],
      );
      return Number(written) === 1 ? { kind: "written", seq: Number(seq) } : { kind: "conflict" };
    });
  }

  tick(room: RoomSpec, report?: Report): Promise<TickOutcome> {
    const args = [...this.#args(room, report), String(report?.releasesSince ?? 0)];
    return attempt("TICK", async () => {
      const [frontier, lastTicket, now, show, active, ceiling, rate, mode, session, max, version, cursor, ...released] =
        await this.#tick.exec(roomKeys(room.room), args);
      return {
        kind: "state",
        state: frontierState(frontier, lastTicket, now, show, active, ceiling),
        settings: settingsOf([rate, mode, session, max, version]),
        releases: { releases: released.map(releaseOf).filter((r) => r !== null), cursor: Number(cursor) },
      };
    });
  }

  updateSettings(room: RoomSpec, patch: SettingsPatch): Promise<SettingsOutcome> {
    const arg = (value: number | string | null | undefined) =>
      value === null ? "-" : value === undefined ? "" : String(value);
    return attempt("SETTINGS", async () => {
      const [rate, mode, session, max, version] = await this.#settings.exec(
        [settingsKey(room.room)],
        [
          arg(patch.perMinute),
          arg(patch.mode),
          arg(patch.sessionMinutes),
          arg(patch.maxActive),
          this.#now ? String(this.#now()) : "",
        ],
      );
      const live: SettingsTail = [
        rate === "" ? room.defaultPerMinute : rate,
        mode === "" ? room.defaultMode : mode,
        session,
        max,
        version,
      ];
      return { kind: "settings", settings: settingsOf(live) };
    });
  }

  history(room: RoomSpec): Promise<HistoryOutcome> {
    return attempt("HISTORY", async () => {
      const flat = await this.#history.exec([historyKey(room.room)], []);
      const minutes: MinuteSnapshot[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const [lastTicket, admitted] = String(flat[i + 1])
          .split(":")
          .map(Number);
        minutes.push({ minute: Number(flat[i]), lastTicket: lastTicket ?? 0, admitted: admitted ?? 0 });
      }
      return { kind: "history", minutes: minutes.sort((a, b) => a.minute - b.minute) };
    });
  }

  /** ARGV 1-9 of every admission script, with the instance's report (see advance.ts). */
  #args(room: RoomSpec, report?: Report): string[] {
    const claims = report?.claims;
    return [
      String(room.defaultPerMinute),
      room.defaultMode,
      this.#now ? String(this.#now()) : "",
      String(room.stateTtlMs),
      claims ? [...claims].map(([bucket, count]) => `${bucket}:${count}`).join(",") : "",
      (report?.seen ?? []).filter(isSubject).join(","),
      (report?.released ?? [])
        .filter((r) => isSubject(r.subject))
        .map((r) => `${r.subject}@${Math.floor(r.at)}`)
        .join(","),
      String(room.maxActive ?? 0),
      String(room.sessionMs ?? DEFAULT_SESSION_MS),
    ];
  }
}

/**
 * Runs one script call and the mapping of its reply; any failure becomes a
 * value the caller must handle, classified by failure.ts: an outage when the
 * call failed in transport, a script error when Redis says a script failed or
 * the mapping could not read the reply (it threw, or produced NaN).
 */
async function attempt<T>(script: string, operation: () => Promise<T>): Promise<T | StoreUnavailable> {
  try {
    return checkedOutcome(script, await operation());
  } catch (error) {
    return storeFailure(script, error);
  }
}

/**
 * Subjects travel in comma-separated script arguments: anything but the ids
 * the worker makes (UUIDs) is left out rather than allowed to split a list.
 */
function isSubject(subject: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(subject);
}

/** "<subject>@<ms>" as TICK returns it. */
function releaseOf(entry: string): Release | null {
  const at = String(entry).lastIndexOf("@");
  if (at <= 0) return null;
  const ms = Number(String(entry).slice(at + 1));
  return Number.isFinite(ms) ? { subject: String(entry).slice(0, at), at: ms } : null;
}

/** The one mapping of JOIN's reply. */
function joinOutcome(
  [outcome, position, frontier, lastTicket, now, show, active, ceiling, eventSeq, eventStarts, ...live]: JoinReply,
  localNow: number,
): JoinOutcome {
  const state = frontierState(frontier, lastTicket, now, show, active, ceiling);
  const settings = settingsOf(live);
  switch (outcome) {
    case 0:
      return { kind: "queued", position: Number(position), state, settings };
    case 1:
      return { kind: "admitted", position: Number(position), state, settings };
    case 2:
      return { kind: "closed", state, settings };
    case 3:
      return { kind: "admitted", position: 0, state, settings };
    case 4:
      return { kind: "prequeued", event: Number(eventSeq), startsAt: Number(eventStarts), state, settings };
    case 5:
      return { kind: "limited", retryAfterSeconds: secondsToNextMinute(localNow) };
    default:
      return unreadableReply("JOIN", `unknown outcome ${JSON.stringify(outcome)}`);
  }
}

/** The one mapping of CLAIM's reply. */
function claimOutcome([
  outcome,
  position,
  base,
  frontier,
  lastTicket,
  now,
  show,
  active,
  ceiling,
  ...live
]: ClaimReply): ClaimOutcome {
  const state = frontierState(frontier, lastTicket, now, show, active, ceiling);
  const settings = settingsOf(live);
  switch (outcome) {
    case 1:
      return { kind: "placed", position: Number(position), base: Number(base), state, settings };
    case 2:
      return { kind: "not_started", state, settings };
    case 3:
      return { kind: "unknown", state, settings };
    default:
      return unreadableReply("CLAIM", `unknown outcome ${JSON.stringify(outcome)}`);
  }
}

/**
 * Events as the scripts read them: JSON with null fields left out (Lua's
 * cjson turns null into a truthy value) and the number of an event being
 * added as a placeholder the write script fills in.
 */
function encodeEvents(events: readonly ScheduledEvent[]): string {
  return JSON.stringify(
    events.map((e) =>
      Object.fromEntries(
        Object.entries({ ...scheduledEvent(e), seq: e.seq === 0 ? "__SEQ__" : e.seq }).filter(([, v]) => v !== null),
      ),
    ),
  );
}

/** The REST client may hand the JSON back already parsed (automatic deserialization). */
function decodeEvents(json: unknown): ScheduledEvent[] {
  const parsed: unknown = typeof json === "string" ? JSON.parse(json) : json;
  const list = (Array.isArray(parsed) ? parsed : []) as Record<string, unknown>[];
  return list.map((e) => ({
    id: String(e.id),
    seq: Number(e.seq),
    startsAt: Number(e.startsAt),
    endsAt: typeof e.endsAt === "number" ? e.endsAt : null,
    prequeueFrom: typeof e.prequeueFrom === "number" ? e.prequeueFrom : null,
    perMinute: typeof e.perMinute === "number" ? e.perMinute : null,
    mode: typeof e.mode === "string" && (MODES as readonly string[]).includes(e.mode) ? (e.mode as Mode) : null,
    shuffleAtStart: e.shuffleAtStart === true,
  }));
}

function frontierState(...[frontier, lastTicket, now, show, active, ceiling]: StateTail): FrontierState {
  const cap = Number(ceiling);
  return {
    frontier: Number(frontier),
    lastTicket: Number(lastTicket),
    updatedAt: Number(now),
    showRatio: Number(show),
    active: Number(active),
    ceiling: cap < 0 ? Number.POSITIVE_INFINITY : cap,
  };
}

function settingsOf([rate, mode, session, max, version]: SettingsTail): Settings {
  return {
    perMinute: Number(rate),
    mode: (MODES as readonly string[]).includes(mode) ? (mode as Mode) : "auto",
    sessionMinutes: session === "" || session === null ? null : Number(session),
    maxActive: max === "" || max === null ? null : Number(max),
    version: Number(version),
  };
}

/** Connection settings of {@link connectRedis}. */
export interface RedisConnection {
  readonly url: string;
  readonly token: string;
  /** Whole-call budget; past it the call fails and the caller falls back. */
  readonly timeoutMs: number;
}

/**
 * An Upstash REST client tuned for the request path: one quick retry for a
 * dropped connection and a hard timeout, so a dead store is noticed within
 * about `timeoutMs` instead of the client's default seconds of backoff.
 */
export function connectRedis({ url, token, timeoutMs }: RedisConnection): Redis {
  return new Redis({
    url,
    token,
    retry: { retries: 1, backoff: () => 20 },
    signal: () => AbortSignal.timeout(timeoutMs),
    enableTelemetry: false,
  });
}
