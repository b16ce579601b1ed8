import { describe, expect, it } from "vitest";
import { checkNewEvent, phaseOf } from "../../worker/admin/events.ts";
import { clock as countdownClock } from "../../worker/http/pages/countdown.ts";
import {
  activeEventAt,
  boundaries,
  type LiveOverrides,
  overlapWith,
  prequeueEventAt,
  type ScheduledEvent,
  settingsAt,
} from "../../worker/model/schedule.ts";

const M = 60_000;
const NONE: LiveOverrides = { perMinute: null, mode: null, perMinuteChangedAt: 0, modeChangedAt: 0 };
const DEFAULTS = { perMinute: 60, mode: "auto" as const };

function event(partial: Partial<ScheduledEvent>): ScheduledEvent {
  return {
    id: "e",
    seq: 1,
    startsAt: 10 * M,
    endsAt: null,
    prequeueFrom: null,
    perMinute: null,
    mode: null,
    shuffleAtStart: false,
    ...partial,
  };
}

describe("schedule", () => {
  const drop = event({ id: "drop", seq: 1, prequeueFrom: 5 * M, startsAt: 10 * M, endsAt: 20 * M, perMinute: 600 });
  const later = event({ id: "later", seq: 2, startsAt: 30 * M, mode: "queue-all" });
  const events = [drop, later];

  it("knows which event is in force, and which pre-queue is open", () => {
    expect(activeEventAt(events, 9 * M)).toBeNull();
    expect(activeEventAt(events, 10 * M)?.id).toBe("drop");
    expect(activeEventAt(events, 20 * M)).toBeNull();
    expect(activeEventAt(events, 99 * M)?.id).toBe("later"); // no end: in force until a next event
    expect(prequeueEventAt(events, 4 * M)).toBeNull();
    expect(prequeueEventAt(events, 5 * M)?.id).toBe("drop");
    expect(prequeueEventAt(events, 10 * M)).toBeNull();
  });

  it("gives the event's settings while it runs, unless an operator changed them after its start", () => {
    expect(settingsAt(DEFAULTS, NONE, events, 15 * M)).toEqual({ perMinute: 600, mode: "auto" });
    const before = { ...NONE, perMinute: 100, perMinuteChangedAt: 1 * M };
    expect(settingsAt(DEFAULTS, before, events, 15 * M).perMinute).toBe(600);
    expect(settingsAt(DEFAULTS, before, events, 25 * M).perMinute).toBe(100);
    const after = { ...NONE, perMinute: 100, perMinuteChangedAt: 12 * M };
    expect(settingsAt(DEFAULTS, after, events, 15 * M).perMinute).toBe(100);
    expect(settingsAt(DEFAULTS, NONE, events, 31 * M)).toEqual({ perMinute: 60, mode: "queue-all" });
  });

  it("lists the boundaries inside a stretch of time, in order", () => {
    expect(boundaries(events, 0, 40 * M).map((b) => [b.at, b.starting?.id ?? null])).toEqual([
      [10 * M, "drop"],
      [20 * M, null],
      [30 * M, "later"],
    ]);
    expect(boundaries(events, 10 * M, 20 * M - 1)).toEqual([]);
  });

  it("finds overlaps, counting the pre-queue and open-ended events", () => {
    expect(overlapWith(events, event({ startsAt: 25 * M, endsAt: 28 * M }))).toBeNull();
    expect(overlapWith(events, event({ startsAt: 25 * M, prequeueFrom: 19 * M }))?.id).toBe("drop");
    expect(overlapWith(events, event({ startsAt: 8 * M, endsAt: 9 * M }))?.id).toBe("drop"); // inside its pre-queue
    expect(overlapWith(events, event({ startsAt: 30 * M }))?.id).toBe("later");
    // After an open-ended event, a later one may open only after it started.
    expect(overlapWith(events, event({ startsAt: 40 * M, prequeueFrom: 29 * M }))?.id).toBe("later");
    expect(overlapWith(events, event({ startsAt: 40 * M, prequeueFrom: 31 * M }))).toBeNull();
  });
});

describe("checkNewEvent", () => {
  it("names every problem", () => {
    const check = checkNewEvent({ startsAt: 5, endsAt: 1, mode: "x", extra: 1 }, [], 10, "id");
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.problems).toEqual([
      'unknown field "extra" (known: startsAt, endsAt, prequeueFrom, ratePerMinute, mode, shuffleAtStart)',
      "startsAt is in the past",
      "endsAt must be after startsAt",
      "mode must be one of auto, queue-all, paused, closed, passthrough",
    ]);
  });

  it("refuses a pre-queue longer than 24 hours", () => {
    const check = checkNewEvent({ startsAt: 30 * 60 * M, prequeueFrom: 5 * M }, [], 0, "id");
    expect(check).toMatchObject({ ok: false, problems: ["prequeueFrom must be at most 24 hours before startsAt"] });
  });

  it("opens a pre-queue that is already due at once, shuffles by default, and drops events that are over", () => {
    const over = event({ id: "over", startsAt: 1 * M, endsAt: 2 * M, perMinute: 5 });
    const check = checkNewEvent({ startsAt: 20 * M, prequeueFrom: 1 * M }, [over], 5 * M, "new");
    expect(check).toMatchObject({ ok: true, event: { prequeueFrom: 5 * M, shuffleAtStart: true, seq: 0 } });
    if (check.ok) expect(check.next.map((e) => e.id)).toEqual(["new"]);
    expect(phaseOf([over], over, 5 * M)).toBe("over");
  });
});

describe("countdown clock", () => {
  it("shows m:ss and h:mm:ss", () => {
    expect(countdownClock(65)).toBe("1:05");
    expect(countdownClock(3725)).toBe("1:02:05");
  });
});
