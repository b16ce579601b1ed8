/**
 * Scheduled events: their shape and the checks made before they are written.
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
 * when it ends. The Lua scripts (`store/lua/advance.ts`) are the one
 * implementation of these rules (the contract suites check them); here are
 * the event's shape and what the admin API decides before writing events.
 */
import type { Mode } from "./admission.ts";

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
  /** Turns the autopilot on (true) or off (false) while the event is in force; absent or null: leaves it. */
  readonly autopilot?: boolean | null;
}

/** Latest (and, negated, earliest) time a Date can hold, ms since the epoch. */
export const MAX_EVENT_TIME_MS = 8.64e15;

/**
 * Whether `value` can be a time of an event: a number within the Date range,
 * so that every stored time can be shown again (`toISOString` throws outside it).
 */
export function isEventTime(value: unknown): value is number {
  return typeof value === "number" && Math.abs(value) <= MAX_EVENT_TIME_MS;
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
    autopilot: e.autopilot ?? null,
  };
}
