import { activeCap, activeCeiling, activeSince, pendingClaims, sessionLengthMs } from "../model/active.ts";
import { type FrontierState, initialState, join, rateOf, type Settings } from "../model/admission.ts";
import {
  bucketOf,
  type ClaimLedger,
  foldMatured,
  newLedger,
  recordClaims,
  recordOffers,
  resetWhenCaughtUp,
} from "../model/compensation.ts";
import {
  advanceThrough,
  type Defaults,
  type LiveOverrides,
  prequeueEventAt,
  type ScheduledEvent,
  scheduledEvent,
  settingsAt,
} from "../model/schedule.ts";
import { ARRIVAL_STEP, HISTORY_MINUTES, MAX_DRAW, RELEASES_OVERLAP_MS, RELEASES_PER_TICK } from "./lua/constants.ts";
import type {
  AdmissionStore,
  Arrival,
  ClaimOutcome,
  EventsOutcome,
  HistoryOutcome,
  JoinOutcome,
  MinuteSnapshot,
  Release,
  Report,
  RoomSpec,
  SettingsOutcome,
  SettingsPatch,
  TickOutcome,
  WriteEventsOutcome,
} from "./store.ts";
import { newArrival, secondsToNextMinute } from "./store.ts";

interface Overrides extends LiveOverrides {
  sessionMinutes: number | null;
  maxActive: number | null;
  version: number;
}

interface RoomEntry {
  state: FrontierState;
  expiresAt: number;
  history: Map<number, MinuteSnapshot>;
  ledger: ClaimLedger;
}

/** Who is active (subject -> last use reported, store clock) and the sessions the origin ended. */
interface Occupancy {
  active: Map<string, number>;
  /** In the order the store heard of them, with the store time it did. */
  released: { release: Release; heardAt: number }[];
}

interface Schedule {
  events: ScheduledEvent[];
  version: number;
  lastSeq: number;
  /** Pre-queue entries per event: visitor id -> score (as the Redis zset). */
  entries: Map<number, Map<string, number>>;
  /** Event seq -> last ticket before its pre-queue was placed. */
  frozen: Map<number, number>;
}

const NO_OVERRIDES: Overrides = {
  perMinute: null,
  mode: null,
  sessionMinutes: null,
  maxActive: null,
  perMinuteChangedAt: 0,
  modeChangedAt: 0,
  version: 0,
};

/**
 * In-memory store: the embedded default for `npm start` without Redis and for
 * fast unit tests. Per process (per worker isolate), so never for production.
 * Mirrors the Lua scripts; the contract suite keeps the two in step.
 *
 * @example
 * ```ts
 * const store = new MemoryStore(() => Date.now());
 * await store.join({ room: "default", defaultPerMinute: 60, defaultMode: "auto", stateTtlMs: 86_400_000 }, { visitorId, draw: Math.random() });
 * ```
 */
export class MemoryStore implements AdmissionStore {
  readonly #rooms = new Map<string, RoomEntry>();
  readonly #overrides = new Map<string, Overrides>();
  readonly #schedules = new Map<string, Schedule>();
  /** "room minute client" -> new tickets taken in that minute. */
  readonly #clients = new Map<string, number>();
  readonly #occupancy = new Map<string, Occupancy>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async join(room: RoomSpec, arrival: Arrival = newArrival(), report?: Report): Promise<JoinOutcome> {
    const now = this.#now();
    const before = this.#advance(room, now, report);
    const settings = this.#settings(room, now);
    const schedule = this.#schedule(room);
    const open = prequeueEventAt(schedule.events, now);
    // A clock that stepped back across the start must not add to a pre-queue already placed.
    const pre = open && !schedule.frozen.has(open.seq) ? open : null;
    if (this.#overLimit(room, arrival, now)) {
      this.#save(room, before, before, now);
      return { kind: "limited", retryAfterSeconds: secondsToNextMinute(now) };
    }
    if (pre) {
      const entries = schedule.entries.get(pre.seq) ?? new Map<string, number>();
      const fraction = pre.shuffleAtStart ? Math.min(arrival.draw, MAX_DRAW) : entries.size * ARRIVAL_STEP;
      entries.set(arrival.visitorId, pre.seq + fraction);
      schedule.entries.set(pre.seq, entries);
      this.#save(room, before, before, now);
      return { kind: "prequeued", event: pre.seq, startsAt: pre.startsAt, state: before, settings };
    }
    let decision = join(before, rateOf(settings.perMinute), now, settings.mode);
    if (decision.kind === "admitted" && decision.position > 0) {
      recordClaims(this.#ledger(room, before, now), new Map([[bucketOf(decision.position), 1]]));
      const active = this.#occupancyOf(room).active.set(arrival.visitorId, now).size;
      decision = { ...decision, state: { ...decision.state, active } };
    }
    this.#save(room, decision.state, before, now);
    return { ...decision, settings };
  }

  async claim(room: RoomSpec, event: number, visitorId: string): Promise<ClaimOutcome> {
    const now = this.#now();
    let state = this.#advance(room, now);
    const settings = this.#settings(room, now);
    const schedule = this.#schedule(room);
    if (!schedule.frozen.has(event)) {
      const scheduled = schedule.events.find((e) => e.seq === event);
      if (scheduled && now < scheduled.startsAt) {
        this.#save(room, state, state, now);
        return { kind: "not_started", state, settings };
      }
      // An event removed before its start: its pre-queue is placed at the first claim.
      if (!scheduled)
        state = { ...state, lastTicket: state.lastTicket + this.#freeze(schedule, event, state.lastTicket) };
    }
    this.#save(room, state, state, now);
    const base = schedule.frozen.get(event);
    const rank = rankOf(schedule.entries.get(event), visitorId);
    if (base === undefined || rank === null) return { kind: "unknown", state, settings };
    return { kind: "placed", position: base + rank + 1, base, state, settings };
  }

  async tick(room: RoomSpec, report?: Report): Promise<TickOutcome> {
    const now = this.#now();
    const state = this.#advance(room, now, report);
    this.#save(room, state, state, now);
    const since = report?.releasesSince ?? 0;
    // From just before the cursor, as TICK_LUA does (releases heard in the same millisecond as the last read).
    const fresh = this.#occupancyOf(room)
      .released.filter((r) => r.heardAt >= since - RELEASES_OVERLAP_MS)
      .slice(0, RELEASES_PER_TICK);
    const cursor = Math.max(since, fresh.at(-1)?.heardAt ?? since);
    return {
      kind: "state",
      state,
      settings: this.#settings(room, now),
      releases: { releases: fresh.map((r) => r.release), cursor },
    };
  }

  async updateSettings(room: RoomSpec, patch: SettingsPatch): Promise<SettingsOutcome> {
    const now = this.#now();
    const current = { ...(this.#overrides.get(room.room) ?? NO_OVERRIDES) };
    if (patch.perMinute !== undefined) {
      current.perMinute = patch.perMinute;
      current.perMinuteChangedAt = now;
    }
    if (patch.mode !== undefined) {
      current.mode = patch.mode;
      current.modeChangedAt = now;
    }
    if (patch.sessionMinutes !== undefined) current.sessionMinutes = patch.sessionMinutes;
    if (patch.maxActive !== undefined) current.maxActive = patch.maxActive;
    current.version += 1;
    this.#overrides.set(room.room, current);
    return { kind: "settings", settings: this.#settings(room, now) };
  }

  async history(room: RoomSpec): Promise<HistoryOutcome> {
    const minutes = [...(this.#rooms.get(room.room)?.history.values() ?? [])];
    return { kind: "history", minutes: minutes.sort((a, b) => a.minute - b.minute) };
  }

  async events(room: RoomSpec): Promise<EventsOutcome> {
    const schedule = this.#schedule(room);
    const events = schedule.events.map((e) => ({
      ...e,
      prequeued: schedule.entries.get(e.seq)?.size ?? 0,
      placed: schedule.frozen.has(e.seq),
    }));
    return { kind: "events", events, version: String(schedule.version) };
  }

  async writeEvents(room: RoomSpec, version: string, next: readonly ScheduledEvent[]): Promise<WriteEventsOutcome> {
    const schedule = this.#schedule(room);
    if (String(schedule.version) !== version) return { kind: "conflict" };
    const adding = next.some((e) => e.seq === 0);
    const seq = adding ? schedule.lastSeq + 1 : 0;
    if (adding) schedule.lastSeq = seq;
    schedule.events = next.map((e) => scheduledEvent(e.seq === 0 ? { ...e, seq } : e));
    schedule.version += 1;
    return { kind: "written", seq };
  }

  #overLimit(room: RoomSpec, arrival: Arrival, now: number): boolean {
    const limit = room.newTicketsPerClientPerMinute ?? 0;
    if (limit <= 0 || !arrival.client) return false;
    const minute = Math.floor(now / 60_000);
    for (const key of this.#clients.keys()) if (Number(key.split(" ")[1]) < minute - 1) this.#clients.delete(key);
    const key = `${room.room} ${minute} ${arrival.client}`;
    const count = (this.#clients.get(key) ?? 0) + 1;
    this.#clients.set(key, count);
    return count > limit;
  }

  #defaults(room: RoomSpec): Defaults {
    return { perMinute: room.defaultPerMinute, mode: room.defaultMode };
  }

  #settings(room: RoomSpec, now: number): Settings {
    const o = this.#overrides.get(room.room) ?? NO_OVERRIDES;
    const { perMinute, mode } = settingsAt(this.#defaults(room), o, this.#schedule(room).events, now);
    return { perMinute, mode, sessionMinutes: o.sessionMinutes, maxActive: o.maxActive, version: o.version };
  }

  #schedule(room: RoomSpec): Schedule {
    let schedule = this.#schedules.get(room.room);
    if (!schedule) {
      schedule = { events: [], version: 0, lastSeq: 0, entries: new Map(), frozen: new Map() };
      this.#schedules.set(room.room, schedule);
    }
    return schedule;
  }

  /** The room's claims ledger (a new one with a new or expired room's state). */
  #ledger(room: RoomSpec, state: FrontierState, now: number): ClaimLedger {
    const entry = this.#rooms.get(room.room);
    if (entry && entry.expiresAt > now) return entry.ledger;
    const ledger = newLedger(admittedSoFar(state));
    this.#rooms.set(room.room, { state, expiresAt: now + room.stateTtlMs, history: new Map(), ledger });
    return ledger;
  }

  #occupancyOf(room: RoomSpec): Occupancy {
    let occupancy = this.#occupancy.get(room.room);
    if (!occupancy) {
      occupancy = { active: new Map(), released: [] };
      this.#occupancy.set(room.room, occupancy);
    }
    return occupancy;
  }

  /** Takes in an instance's report of subjects in use and sessions ended; returns the active count, as `count_active` in the Lua does. */
  #countActive(room: RoomSpec, now: number, report: Report | undefined): number {
    const occupancy = this.#occupancyOf(room);
    for (const subject of report?.seen ?? []) occupancy.active.set(subject, now);
    for (const release of report?.released ?? []) {
      occupancy.active.delete(release.subject);
      occupancy.released.push({ release, heardAt: now });
    }
    const sessionMs = this.#sessionMs(room, now);
    const since = activeSince(now, sessionMs);
    for (const [subject, lastSeen] of occupancy.active) if (lastSeen < since) occupancy.active.delete(subject);
    occupancy.released = occupancy.released.filter((r) => r.heardAt >= since);
    return occupancy.active.size;
  }

  /** The session length in force: the operator's, else the deployed one. */
  #sessionMs(room: RoomSpec, now: number): number {
    return sessionLengthMs(this.#settings(room, now).sessionMinutes, room.sessionMs);
  }

  /** The counters advanced to `now` through any event boundaries, with the no-show compensation, as `open_room` in the Lua does. */
  #advance(room: RoomSpec, now: number, report?: Report): FrontierState {
    const schedule = this.#schedule(room);
    const overrides = this.#overrides.get(room.room) ?? NO_OVERRIDES;
    const entry = this.#rooms.get(room.room);
    let state: FrontierState;
    if (entry && entry.expiresAt > now) {
      state = entry.state;
    } else {
      state = initialState(rateOf(this.#settings(room, now).perMinute), now);
      // A new (or expired) room: any pre-queue whose event already started gets its places now.
      for (const event of schedule.events) {
        if (event.prequeueFrom !== null && event.startsAt <= now) {
          state = { ...state, lastTicket: state.lastTicket + this.#freeze(schedule, event.seq, state.lastTicket) };
        }
      }
    }
    const ledger = this.#ledger(room, state, now);
    const { maxActive } = this.#settings(room, now);
    if (report?.claims) recordClaims(ledger, report.claims);
    foldMatured(ledger, now);
    const active = this.#countActive(room, now, report);
    const admitted = admittedSoFar(state);
    const ceiling = activeCeiling({
      maxActive: activeCap(maxActive, room.maxActive),
      active,
      pending: pendingClaims(ledger, admitted, ledger.showRatio),
      showRatio: ledger.showRatio,
      admitted,
    });
    const start = { ...state, showRatio: ledger.showRatio };
    const advanced = advanceThrough(
      start,
      this.#defaults(room),
      overrides,
      schedule.events,
      now,
      (event, lastTicket) => this.#freeze(schedule, event.seq, lastTicket),
      ceiling,
    );
    const after = admittedSoFar(advanced);
    recordOffers(ledger, after, now);
    resetWhenCaughtUp(ledger, after, advanced.lastTicket, now);
    return { ...advanced, showRatio: ledger.showRatio, active, ceiling };
  }

  /** Places an event's pre-queue after `lastTicket`, once; returns how many places it took. */
  #freeze(schedule: Schedule, seq: number, lastTicket: number): number {
    if (schedule.frozen.has(seq)) return 0;
    schedule.frozen.set(seq, lastTicket);
    return schedule.entries.get(seq)?.size ?? 0;
  }

  /** `before`: the counters just before this call's own change, for the minute's snapshot. */
  #save(room: RoomSpec, state: FrontierState, before: FrontierState, now: number): void {
    const entry = this.#rooms.get(room.room);
    const history = entry && entry.expiresAt > now ? entry.history : new Map<number, MinuteSnapshot>();
    const minute = Math.floor(state.updatedAt / 60_000);
    if (!history.has(minute)) {
      history.set(minute, { minute, lastTicket: before.lastTicket, admitted: admittedSoFar(before) });
      for (const old of history.keys()) if (old < minute - HISTORY_MINUTES) history.delete(old);
    }
    const ledger = entry && entry.expiresAt > now ? entry.ledger : newLedger(admittedSoFar(state));
    this.#rooms.set(room.room, { state, expiresAt: now + room.stateTtlMs, history, ledger });
  }
}

/** An entry's rank among its event's entries, ordered by score then name (as a Redis zset). */
function rankOf(entries: Map<string, number> | undefined, visitorId: string): number | null {
  const score = entries?.get(visitorId);
  if (!entries || score === undefined) return null;
  let rank = 0;
  for (const [other, s] of entries) if (s < score || (s === score && other < visitorId)) rank += 1;
  return rank;
}

function admittedSoFar(state: FrontierState): number {
  return Math.min(Math.floor(state.frontier), state.lastTicket);
}
