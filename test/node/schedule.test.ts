import { describe, expect, it } from "vitest";
import { checkNewEvent, phaseOf } from "../../worker/admin/events.ts";
import { formatClock } from "../../worker/http/pages/format.ts";
import { overlapWith, type ScheduledEvent } from "../../worker/model/schedule.ts";

const M = 60_000;

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
      'unknown field "extra" (known: startsAt, endsAt, prequeueFrom, ratePerMinute, mode, autopilot, shuffleAtStart)',
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
  it("shows mm:ss and h:mm:ss, in the language's digits", () => {
    expect(formatClock(65, "en")).toBe("01:05");
    expect(formatClock(3725, "en")).toBe("1:02:05");
    expect(formatClock(65, "ar-EG")).toBe("٠١:٠٥");
  });
});
