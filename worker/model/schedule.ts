/**
 * Scheduled events, as pure functions of (events, live settings, time).
 *
 * An event changes the room's rate and/or mode from `startsAt` until `endsAt`
 * (or, without an end, until the next event starts), and may open a
 * pre-queue from `prequeueFrom`: newcomers in that window get no position yet,
 * only a lottery entry; at `startsAt` the whole pre-queue is placed ahead of
 * everyone arriving later, in a uniformly random order (or in arrival order
 * when `shuffleAtStart` is false).
 *
 * Operators keep the last word: a setting an operator changes after an
 * event's start wins over the event for the rest of it; a setting changed
 * before the start is overridden by the event while it runs and comes back
 * when it ends. The Lua scripts (`store/lua/advance.ts`) implement the same
 * rules; the store contract suite keeps them in step.
 */
import { advance, type FrontierState, type Mode, rateOf } from "./admission.ts";

/** An operator's scheduled event, as stored (times in ms since the epoch, store clock). */
export interface ScheduledEvent {
  /** Stable id for the API (`DELETE /events/:id`). */
  readonly id: string;
  /** Per-room sequence number, unique for the room's lifetime; keys the pre-queue entries. */
  readonly seq: number;
  readonly startsAt: number;
  readonly endsAt: number | null;
  readonly prequeueFrom: number | null;
  readonly perMinute: number | null;
  readonly mode: Mode | null;
  readonly shuffleAtStart: boolean;
}

/** An operator's live overrides, with when each was last changed (store clock; 0 = never). */
export interface LiveOverrides {
  readonly perMinute: number | null;
  readonly mode: Mode | null;
  readonly perMinuteChangedAt: number;
  readonly modeChangedAt: number;
}

/** The deploy-time defaults (wrangler.toml). */
export interface Defaults {
  readonly perMinute: number;
  readonly mode: Mode;
}

/** When an event stops being in force: its end, else the next event's start, else never. */
export function endOf(events: readonly ScheduledEvent[], event: ScheduledEvent): number {
  if (event.endsAt !== null) return event.endsAt;
  const next = events.find((e) => e.startsAt > event.startsAt);
  return next ? next.startsAt : Number.POSITIVE_INFINITY;
}

/** When an event's window opens: its pre-queue, else its start. */
export function opensAt(event: ScheduledEvent): number {
  return event.prequeueFrom ?? event.startsAt;
}

/**
 * The event in force at `t`: the last one started by `t`, unless it has ended.
 * `events` must be sorted by start (the store keeps them so).
 */
export function activeEventAt(events: readonly ScheduledEvent[], t: number): ScheduledEvent | null {
  let found: ScheduledEvent | null = null;
  for (const event of events) {
    if (event.startsAt <= t) found = event;
    else break;
  }
  return found && (found.endsAt === null || t < found.endsAt) ? found : null;
}

/** The event whose pre-queue is open at `t`, if any. */
export function prequeueEventAt(events: readonly ScheduledEvent[], t: number): ScheduledEvent | null {
  return events.find((e) => e.prequeueFrom !== null && e.prequeueFrom <= t && t < e.startsAt) ?? null;
}

/**
 * The rate and mode in force at `t`.
 *
 * @example
 * ```ts
 * settingsAt({ perMinute: 600, mode: "auto" }, noOverrides, [drop], drop.startsAt); // the drop's rate
 * ```
 */
export function settingsAt(
  defaults: Defaults,
  live: LiveOverrides,
  events: readonly ScheduledEvent[],
  t: number,
): { readonly perMinute: number; readonly mode: Mode } {
  let perMinute = live.perMinute ?? defaults.perMinute;
  let mode = live.mode ?? defaults.mode;
  const event = activeEventAt(events, t);
  if (event) {
    if (event.perMinute !== null && live.perMinuteChangedAt < event.startsAt) perMinute = event.perMinute;
    if (event.mode !== null && live.modeChangedAt < event.startsAt) mode = event.mode;
  }
  return { perMinute, mode };
}

/** A point where the settings in force may change, and the event starting there, if any. */
export interface Boundary {
  readonly at: number;
  readonly starting: ScheduledEvent | null;
}

/** The starts and ends of events in (from, to], in time order. */
export function boundaries(events: readonly ScheduledEvent[], from: number, to: number): Boundary[] {
  const points: Boundary[] = [];
  for (const event of events) {
    if (event.startsAt > from && event.startsAt <= to) points.push({ at: event.startsAt, starting: event });
    if (event.endsAt !== null && event.endsAt > from && event.endsAt <= to)
      points.push({ at: event.endsAt, starting: null });
  }
  return points.sort((a, b) => a.at - b.at);
}

/**
 * Advances the frontier from `state.updatedAt` to `now`, piece by piece, with
 * the settings in force in each piece; at the start of an event with a
 * pre-queue, calls `freeze` (which returns how many places the pre-queue
 * takes) so the pre-queue gets its places before anyone arriving later. The
 * frontier stays at or below `ceiling` (the active-users cap).
 */
export function advanceThrough(
  state: FrontierState,
  defaults: Defaults,
  live: LiveOverrides,
  events: readonly ScheduledEvent[],
  now: number,
  freeze: (event: ScheduledEvent, lastTicket: number) => number,
  ceiling = Number.POSITIVE_INFINITY,
): FrontierState {
  let current = state;
  const step = (to: number) => {
    const { perMinute, mode } = settingsAt(defaults, live, events, current.updatedAt);
    current = advance(current, rateOf(perMinute), to, mode, ceiling);
  };
  for (const boundary of boundaries(events, state.updatedAt, now)) {
    step(boundary.at);
    if (boundary.starting?.prequeueFrom != null) {
      current = { ...current, lastTicket: current.lastTicket + freeze(boundary.starting, current.lastTicket) };
    }
  }
  step(now);
  return current;
}

/** Events that can no longer matter: ended (or superseded by a later start) before `now`. */
export function isOver(events: readonly ScheduledEvent[], event: ScheduledEvent, now: number): boolean {
  return endOf(events, event) <= now;
}

/**
 * Why a new event cannot go with the existing ones, or null. Windows run from
 * the pre-queue (or start) to the end; an event without an end runs until the
 * next one, so a later event may not open before an open-ended one starts.
 */
export function overlapWith(existing: readonly ScheduledEvent[], candidate: ScheduledEvent): ScheduledEvent | null {
  for (const other of existing) {
    const [first, second] = other.startsAt <= candidate.startsAt ? [other, candidate] : [candidate, other];
    if (first.startsAt === second.startsAt) return other;
    if (opensAt(second) < (first.endsAt ?? first.startsAt)) return other;
  }
  return null;
}

/** Just the fields of a {@link ScheduledEvent}, from anything that extends one (the stored form). */
export function scheduledEvent(e: ScheduledEvent): ScheduledEvent {
  return {
    id: e.id,
    seq: e.seq,
    startsAt: e.startsAt,
    endsAt: e.endsAt,
    prequeueFrom: e.prequeueFrom,
    perMinute: e.perMinute,
    mode: e.mode,
    shuffleAtStart: e.shuffleAtStart,
  };
}
