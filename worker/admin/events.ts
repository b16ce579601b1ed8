import { MODES, type Mode } from "../model/admission.ts";
import { endOf, isEventTime, isOver, overlapWith, type ScheduledEvent } from "../model/schedule.ts";
import type { EventRecord } from "../store/store.ts";
import { unknownFields } from "./problems.ts";
import { boundsProblem, RATE_BOUNDS } from "./settings.ts";

/** Longest pre-queue window. */
export const MAX_PREQUEUE_MS = 24 * 60 * 60 * 1000;

/** Most events a room keeps scheduled at once. */
export const MAX_EVENTS = 50;

/** Result of checking a new event against the schedule: the new list, or every problem found. */
export type EventCheck =
  | { readonly ok: true; readonly event: ScheduledEvent; readonly next: readonly ScheduledEvent[] }
  | { readonly ok: false; readonly problems: string[] };

const FIELDS = ["startsAt", "endsAt", "prequeueFrom", "ratePerMinute", "mode", "autopilot", "shuffleAtStart"] as const;

/**
 * Validates the JSON body of `POST /__anteroom/admin/events` against the
 * schedule as it stands at `now`: times as ISO 8601 strings (or ms since the
 * epoch), the start in the future, the end after the start, the pre-queue
 * before the start (one already due opens at once), a rate or mode as in
 * the settings, `autopilot` true (on while the event is in force), false
 * (off) or null (left as it is), no overlap with another event. An event
 * must change something: a pre-queue, the rate, the mode or the autopilot.
 * Events that are over are dropped from the list. `shuffleAtStart` defaults
 * to true with a pre-queue.
 *
 * @example
 * ```ts
 * checkNewEvent({ startsAt: "2026-12-01T18:00:00Z", prequeueFrom: "2026-12-01T17:30:00Z", ratePerMinute: 300 }, events, Date.now(), "e1");
 * ```
 */
export function checkNewEvent(body: unknown, existing: readonly ScheduledEvent[], now: number, id: string): EventCheck {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, problems: ["the body must be a JSON object"] };
  }
  const fields = body as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = unknownFields(fields, FIELDS);
  if (unknown) problems.push(unknown);
  const time = (field: "startsAt" | "endsAt" | "prequeueFrom"): number | null => {
    const value = fields[field];
    if (value === undefined || value === null) return null;
    const ms = typeof value === "number" ? value : typeof value === "string" ? Date.parse(value) : Number.NaN;
    if (!isEventTime(ms)) {
      problems.push(
        `${field} must be a date and time (ISO 8601, e.g. "2026-12-01T18:00:00Z") or ms since the epoch, within the Date range`,
      );
      return null;
    }
    return Math.round(ms);
  };
  const startsAt = time("startsAt");
  const endsAt = time("endsAt");
  let prequeueFrom = time("prequeueFrom");
  if (fields.startsAt === undefined || fields.startsAt === null) problems.push("startsAt is required");
  if (startsAt !== null && startsAt <= now) problems.push("startsAt is in the past");
  if (startsAt !== null && endsAt !== null && endsAt <= startsAt) problems.push("endsAt must be after startsAt");
  if (startsAt !== null && prequeueFrom !== null) {
    if (prequeueFrom >= startsAt) problems.push("prequeueFrom must be before startsAt");
    // Entries live as long as the room's state after the last sign-up (ticket lifetime + 1 day).
    if (startsAt - prequeueFrom > MAX_PREQUEUE_MS)
      problems.push("prequeueFrom must be at most 24 hours before startsAt");
    prequeueFrom = Math.max(prequeueFrom, now);
  }
  const rate = fields.ratePerMinute;
  const rateProblem =
    rate === undefined || rate === null ? null : boundsProblem("ratePerMinute", rate, RATE_BOUNDS, false);
  if (rateProblem) problems.push(rateProblem);
  const mode = fields.mode;
  if (mode !== undefined && mode !== null && !(MODES as readonly unknown[]).includes(mode)) {
    problems.push(`mode must be one of ${MODES.join(", ")}`);
  }
  const autopilot = fields.autopilot;
  if (autopilot !== undefined && autopilot !== null && typeof autopilot !== "boolean") {
    problems.push("autopilot must be true (on while the event is in force), false (off) or null");
  }
  const shuffle = fields.shuffleAtStart;
  if (shuffle !== undefined && typeof shuffle !== "boolean") problems.push("shuffleAtStart must be true or false");
  if (shuffle === true && prequeueFrom === null)
    problems.push("shuffleAtStart needs a prequeueFrom (a pre-queue to shuffle)");
  const perMinute = typeof rate === "number" ? rate : null;
  const eventMode = typeof mode === "string" ? (mode as Mode) : null;
  const eventAutopilot = typeof autopilot === "boolean" ? autopilot : null;
  if (
    problems.length === 0 &&
    prequeueFrom === null &&
    perMinute === null &&
    eventMode === null &&
    eventAutopilot === null
  ) {
    problems.push("an event must set prequeueFrom, ratePerMinute, mode or autopilot");
  }
  if (problems.length > 0 || startsAt === null) return { ok: false, problems };

  const event: ScheduledEvent = {
    id,
    seq: 0,
    startsAt,
    endsAt,
    prequeueFrom,
    perMinute,
    mode: eventMode,
    shuffleAtStart: prequeueFrom !== null && shuffle !== false,
    autopilot: eventAutopilot,
  };
  const current = existing.filter((e) => !isOver(existing, e, now));
  const clash = overlapWith(current, event);
  if (clash) return { ok: false, problems: [`overlaps event ${clash.id} (${describe(clash)})`] };
  if (current.length >= MAX_EVENTS) return { ok: false, problems: [`at most ${MAX_EVENTS} events can be scheduled`] };
  const next = [...current, event].sort((a, b) => a.startsAt - b.startsAt);
  return { ok: true, event, next };
}

function describe(event: ScheduledEvent): string {
  const from = new Date(event.prequeueFrom ?? event.startsAt).toISOString();
  const to = event.endsAt === null ? "until the next event" : new Date(event.endsAt).toISOString();
  return `${from} to ${to}`;
}

/** Where an event stands at `now`. */
export type EventPhase = "scheduled" | "prequeue" | "active" | "over";

export function phaseOf(events: readonly ScheduledEvent[], event: ScheduledEvent, now: number): EventPhase {
  if (now >= endOf(events, event)) return "over";
  if (now >= event.startsAt) return "active";
  if (event.prequeueFrom !== null && now >= event.prequeueFrom) return "prequeue";
  return "scheduled";
}

/** An event as the API shows it. */
export function eventJson(events: readonly ScheduledEvent[], event: EventRecord | ScheduledEvent, now: number) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: event.id,
    startsAt: iso(event.startsAt),
    endsAt: iso(event.endsAt),
    prequeueFrom: iso(event.prequeueFrom),
    ratePerMinute: event.perMinute,
    mode: event.mode,
    /** On (true) or off (false) while the event is in force; null: left as it is. */
    autopilot: event.autopilot ?? null,
    shuffleAtStart: event.shuffleAtStart,
    phase: phaseOf(events, event, now),
    prequeued: "prequeued" in event ? event.prequeued : 0,
    placed: "placed" in event ? event.placed : false,
  };
}
