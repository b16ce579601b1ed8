// The metrics' text (worker/admin/metrics-text.ts) and families
// (worker/admin/metrics.ts), as pure functions: escaping, formatting, the
// rate's source, a room whose store did not answer, and promtool's verdict on
// a hostile room name (skipped, saying so, without Debian's prometheus package).
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { metricFamilies, type RoomMetricsInput, rateSource } from "../../worker/admin/metrics.ts";
import { escapeLabelValue, exposition, sampleValue } from "../../worker/admin/metrics-text.ts";
import { roomStats } from "../../worker/admin/stats.ts";
import type { Settings } from "../../worker/model/admission.ts";
import type { AutopilotSettings } from "../../worker/model/autopilot.ts";
import { emptySample, figuresOf, withRequest } from "../../worker/model/origin-signal.ts";
import type { EventRecord } from "../../worker/store/store.ts";

const T = Date.UTC(2026, 11, 1);
const settings: Settings = { perMinute: 60, mode: "auto", sessionMinutes: null, maxActive: null, version: 1 };
const instance = { id: "a1b2c3d4", startedAt: T, storeFailures: { outage: 2, scriptError: 0 } };

function event(startsAt: number, endsAt: number | null, perMinute: number | null): EventRecord {
  return {
    id: "ev_1",
    seq: 1,
    startsAt,
    endsAt,
    prequeueFrom: null,
    perMinute,
    mode: null,
    shuffleAtStart: false,
    prequeued: 0,
    placed: false,
  } as EventRecord;
}

describe("exposition", () => {
  it("writes HELP, TYPE and one line per sample, escaping label values and help text", () => {
    const text = exposition([
      {
        name: "anteroom_queue_length",
        help: "Waiting \\ visitors\nnow.",
        type: "gauge",
        samples: [{ labels: { room: 'a"b\\c\nd' }, value: 12 }],
      },
      { name: "anteroom_empty", help: "left out", type: "gauge", samples: [] },
    ]);
    expect(text).toBe(
      [
        "# HELP anteroom_queue_length Waiting \\\\ visitors\\nnow.",
        "# TYPE anteroom_queue_length gauge",
        'anteroom_queue_length{room="a\\"b\\\\c\\nd"} 12',
        "",
      ].join("\n"),
    );
    expect(escapeLabelValue('x"y')).toBe('x\\"y');
  });

  it("writes Go's special floats", () => {
    expect([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.25, 1e21].map(sampleValue)).toEqual([
      "NaN",
      "+Inf",
      "-Inf",
      "0.25",
      "1e+21",
    ]);
  });

  it("refuses bad metric and label names and a family given twice: bugs, not input", () => {
    const family = (name: string, labels: Record<string, string> = {}) => ({
      name,
      help: "h",
      type: "gauge" as const,
      samples: [{ labels, value: 1 }],
    });
    expect(() => exposition([family("anteroom-queue")])).toThrow(/invalid metric name/);
    expect(() => exposition([family("anteroom_q", { "room-name": "x" })])).toThrow(/invalid label name/);
    expect(() => exposition([family("anteroom_q", { __name__: "x" })])).toThrow(/invalid label name/);
    expect(() => exposition([family("anteroom_q"), family("anteroom_q")])).toThrow(/given twice/);
  });
});

describe("rateSource", () => {
  const autopilot: AutopilotSettings = {
    on: true,
    minRate: 10,
    maxRate: 100,
    targetP95Ms: 800,
    maxErrorRate: 0.02,
    timeoutMs: 10_000,
  } as AutopilotSettings;

  it("is the autopilot while it is on, whatever an event says", () => {
    expect(rateSource({ ...settings, autopilot }, [event(T - 1000, null, 30)], T, undefined)).toBe("autopilot");
  });

  it("is an event while one that set a rate is running, else the setting", () => {
    expect(rateSource(settings, [event(T - 1000, T + 1000, 30)], T, undefined)).toBe("event");
    expect(rateSource(settings, [event(T - 1000, T + 1000, null)], T, undefined)).toBe("setting");
    expect(rateSource(settings, [event(T + 1000, null, 30)], T, undefined)).toBe("setting");
    expect(rateSource(settings, [event(T - 2000, T - 1000, 30)], T, undefined)).toBe("setting");
    expect(rateSource({ ...settings, autopilot: { ...autopilot, on: false } }, [], T, autopilot)).toBe("setting");
  });
});

describe("metricFamilies", () => {
  it("shows a room whose store did not answer as anteroom_store_up 0, with the instance's counters and nothing else of it", () => {
    const rooms: RoomMetricsInput[] = [
      { room: "shop", reading: null, fallback: { admitted: 7, refused: 1 }, rejected: 3 },
    ];
    const text = exposition(metricFamilies({ rooms, instance }));
    expect(text).toContain('anteroom_store_up{room="shop"} 0\n');
    expect(text).toContain('anteroom_fallback_admissions_total{room="shop",isolate="a1b2c3d4"} 7\n');
    expect(text).toContain('anteroom_rejected_total{room="shop",isolate="a1b2c3d4"} 3\n');
    expect(text).toContain('anteroom_store_failures_total{kind="outage",isolate="a1b2c3d4"} 2\n');
    expect(text).toContain(`anteroom_isolate_start_time_seconds{isolate="a1b2c3d4"} ${T / 1000}\n`);
    expect(text).not.toMatch(/anteroom_(queue_length|last_ticket|mode)\b/);
  });

  it("turns the fleet's latency bins into cumulative le buckets in seconds, +Inf and _count all the requests", () => {
    let sample = emptySample();
    for (const ms of [3, 7, 7, 180, 90_000]) sample = withRequest(sample, ms, ms > 60_000);
    const state = { frontier: 3.5, lastTicket: 10, updatedAt: T, showRatio: 0.8 };
    const autopilot = { state: null, hold: null, changes: [], origin: figuresOf(sample), originSample: sample };
    const stats = roomStats({
      room: "shop",
      state,
      settings,
      history: [],
      autopilot,
      defaultSessionMinutes: 10,
      maxActive: 0,
      storeFailures: instance.storeFailures,
      now: T,
    });
    const reading = { kind: "reading" as const, stats, state, settings, events: [], autopilot, now: T };
    const text = exposition(
      metricFamilies({ rooms: [{ room: "shop", reading, fallback: { admitted: 0, refused: 0 } }], instance }),
    );
    const bucket = (le: string) =>
      Number(new RegExp(`_bucket\\{room="shop",le="${le.replace("+", "\\+")}"\\} (\\d+)`).exec(text)?.[1]);
    expect([bucket("0.005"), bucket("0.01"), bucket("0.15"), bucket("0.25"), bucket("60"), bucket("+Inf")]).toEqual([
      1, 3, 3, 4, 4, 5,
    ]);
    expect(text).toContain('anteroom_origin_latency_last_minute_seconds_count{room="shop"} 5\n');
    expect(text).toContain('anteroom_origin_errors_last_minute{room="shop"} 1\n');
    expect(text).toContain('anteroom_show_ratio{room="shop"} 0.8\n');
    expect(text).toContain('anteroom_admissions_total{room="shop"} 3\n');
    expect(text).toContain('anteroom_queue_length{room="shop"} 7\n');
  });

  it("keeps every family's samples together when there are several rooms", () => {
    const rooms: RoomMetricsInput[] = ["a", "b"].map((room) => ({
      room,
      reading: null,
      fallback: { admitted: 0, refused: 0 },
    }));
    const names = exposition(metricFamilies({ rooms, instance }))
      .split("\n")
      .filter((line) => line && !line.startsWith("#"))
      .map((line) => line.slice(0, line.indexOf("{")));
    // A name never comes back once another has started.
    const runs = names.filter((name, i) => name !== names[i - 1]);
    expect(new Set(runs).size).toBe(runs.length);
  });
});

function hasPromtool(): boolean {
  try {
    execFileSync("which", ["promtool"], { stdio: "ignore" });
    return true;
  } catch {
    console.warn("SKIPPED: promtool not on PATH (apt-get install prometheus)");
    return false;
  }
}

describe.skipIf(!hasPromtool())("promtool check metrics", () => {
  it("passes the text for a room named with quotes, backslashes and a newline", () => {
    const rooms: RoomMetricsInput[] = [{ room: 'sh"o\\p\nx', reading: null, fallback: { admitted: 1, refused: 0 } }];
    const text = exposition(metricFamilies({ rooms, instance }));
    expect(execFileSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", stdio: "pipe" })).toBe("");
  });

  it("fails a text with a lint problem (the check can fail)", () => {
    const bad = '# HELP anteroom_x_bucket b\n# TYPE anteroom_x_bucket gauge\nanteroom_x_bucket{le="1"} 2\n';
    expect(() => execFileSync("promtool", ["check", "metrics"], { input: bad, stdio: "pipe" })).toThrow();
  });
});
