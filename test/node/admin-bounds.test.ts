// The admin API's input bounds and failed-authentication throttle, as pure
// functions: bounded problem lists, the bounds of every number an operator
// sets, event times within the Date range, and the per-client throttle.
import { describe, expect, it } from "vitest";
import { AuthThrottle, clientName } from "../../worker/admin/auth-throttle.ts";
import { checkNewEvent } from "../../worker/admin/events.ts";
import { boundedProblems, MAX_PROBLEMS, unknownFields } from "../../worker/admin/problems.ts";
import { checkSettingsPatch, invertedBounds } from "../../worker/admin/settings.ts";

const M = 60_000;

describe("problem lists", () => {
  it("list at most 20 problems and count the rest", () => {
    const many = Array.from({ length: 25 }, (_, i) => `problem ${i}`);
    const bounded = boundedProblems(many);
    expect(bounded.problems).toHaveLength(MAX_PROBLEMS);
    expect(bounded.more).toBe(5);
    expect(bounded.message.endsWith("problem 19; and 5 more")).toBe(true);
    expect(boundedProblems(["one"])).toEqual({ problems: ["one"], more: 0, message: "one" });
    expect(boundedProblems(["x".repeat(10_000)]).message.length).toBeLessThanOrEqual(300);
  });

  it("name a few unknown fields, clipped, and count the others", () => {
    const body = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`field${i}`, 1]));
    const problem = unknownFields(body, ["mode"]) ?? "";
    expect(problem).toBe(
      'unknown fields "field0", "field1", "field2", "field3", "field4" and 19995 more (known: mode)',
    );
    expect(unknownFields({ ["y".repeat(5_000)]: 1 }, ["mode"])?.length).toBeLessThan(100);
    expect(unknownFields({ mode: 1 }, ["mode"])).toBeNull();
  });

  it("keep a refused settings change with 20,000 unknown fields to one short problem", () => {
    const body = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`f${i}`, 1]));
    const check = checkSettingsPatch(body);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.problems).toHaveLength(1);
    // A few names, the count of the rest and the known fields: bounded by the known list, not by the body.
    expect(check.problems.join("").length).toBeLessThan(400);
  });
});

describe("bounds of live settings", () => {
  it.each([
    [{ sessionMinutes: 1e-9 }, "sessionMinutes must be a number from 1 to 10080, or null"],
    [{ sessionMinutes: 20_000 }, "sessionMinutes must be a number from 1 to 10080, or null"],
    [{ sessionMinutes: Number.NaN }, "sessionMinutes"],
    [{ ratePerMinute: 0.01 }, "ratePerMinute must be a number from 0.1 to 1000000, or null"],
    [{ ratePerMinute: 2_000_000 }, "ratePerMinute must be a number from 0.1 to 1000000, or null"],
    [{ maxActive: 0.5 }, "maxActive must be a whole number from 0 to 999999999, or null"],
  ])("refuse %j", (body, problem) => {
    expect(checkSettingsPatch(body)).toMatchObject({ ok: false, problems: [expect.stringContaining(problem)] });
  });

  it("accept the edges and null", () => {
    expect(checkSettingsPatch({ sessionMinutes: 1, ratePerMinute: 0.1, maxActive: 0 })).toMatchObject({ ok: true });
    expect(checkSettingsPatch({ sessionMinutes: 10_080, ratePerMinute: 1_000_000, maxActive: null })).toMatchObject({
      ok: true,
    });
  });
});

describe("the autopilot's live settings", () => {
  it.each([
    [{ autopilot: true }, 'autopilot must be "on" or "off", or null'],
    [{ autopilot: "yes" }, 'autopilot must be "on" or "off", or null'],
    [{ autopilotMinRate: -1 }, "autopilotMinRate must be a number from 0 to 1000000, or null"],
    [{ autopilotMinRate: "10" }, "autopilotMinRate"],
    [{ autopilotMaxRate: 0 }, "autopilotMaxRate must be a number from 0.1 to 1000000, or null"],
    [{ autopilotMaxRate: 2e6 }, "autopilotMaxRate"],
    [{ originTargetP95Ms: 0 }, "originTargetP95Ms must be a whole number from 1 to 600000, or null"],
    [{ originTargetP95Ms: -800 }, "originTargetP95Ms"],
    [{ originTargetP95Ms: 800.5 }, "originTargetP95Ms"],
    [{ originMaxErrorRate: 0 }, "originMaxErrorRate must be a number above 0 and below 1"],
    [{ originMaxErrorRate: 1 }, "originMaxErrorRate"],
    [{ originMaxErrorRate: Number.NaN }, "originMaxErrorRate"],
    [{ originMaxErrorRate: "1%" }, "originMaxErrorRate"],
    [{ originTimeoutMs: 99 }, "originTimeoutMs must be a whole number from 100 to 600000, or null"],
    [{ originTimeoutMs: 700_000 }, "originTimeoutMs"],
    [{ autopilot: "on", autopilotMaxRate: 300, originTarget: 800 }, 'unknown field "originTarget"'],
  ])("refuse %j, naming the field", (body, problem) => {
    expect(checkSettingsPatch(body)).toMatchObject({ ok: false, problems: [expect.stringContaining(problem)] });
  });

  it("list every bad field at once, and apply none", () => {
    const check = checkSettingsPatch({ autopilot: "maybe", originTimeoutMs: 1, ratePerMinute: 100 });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.problems).toHaveLength(2);
    expect(check.problems.join("; ")).toMatch(/autopilot must.*originTimeoutMs must/);
  });

  it("turn on and off with words, and take the edges, with null back to the default", () => {
    expect(checkSettingsPatch({ autopilot: "on" })).toEqual({ ok: true, patch: { autopilot: true } });
    expect(checkSettingsPatch({ autopilot: "off" })).toEqual({ ok: true, patch: { autopilot: false } });
    expect(
      checkSettingsPatch({
        autopilot: null,
        autopilotMinRate: 0,
        autopilotMaxRate: 1_000_000,
        originTargetP95Ms: 1,
        originMaxErrorRate: 0.0001,
        originTimeoutMs: 100,
      }),
    ).toEqual({
      ok: true,
      patch: {
        autopilot: null,
        autopilotMinRate: 0,
        autopilotMaxRate: 1_000_000,
        originTargetP95Ms: 1,
        originMaxErrorRate: 0.0001,
        originTimeoutMs: 100,
      },
    });
    expect(
      checkSettingsPatch({
        autopilotMinRate: null,
        autopilotMaxRate: null,
        originTargetP95Ms: 600_000,
        originMaxErrorRate: 0.9999,
        originTimeoutMs: 600_000,
      }),
    ).toMatchObject({ ok: true, patch: { autopilotMinRate: null, originMaxErrorRate: 0.9999 } });
  });
});

describe("inverted autopilot bounds", () => {
  const inForce = { minRate: 10, maxRate: 300 };
  const defaults = { minRate: 50, maxRate: 1000 };

  it("compare the sides given", () => {
    expect(invertedBounds({ autopilotMinRate: 500, autopilotMaxRate: 100 }, inForce, defaults)).toBe(
      "autopilotMinRate (500) must not be above autopilotMaxRate (100)",
    );
    expect(invertedBounds({ autopilotMinRate: 100, autopilotMaxRate: 100 }, inForce, defaults)).toBeNull();
  });

  it("take the value in force for a side not given, and the default for a side reset", () => {
    expect(invertedBounds({ autopilotMinRate: 500 }, inForce, defaults)).toBe(
      "autopilotMinRate (500) must not be above autopilotMaxRate (300 in force)",
    );
    expect(invertedBounds({ autopilotMaxRate: 5 }, inForce, defaults)).toBe(
      "autopilotMinRate (10 in force) must not be above autopilotMaxRate (5)",
    );
    expect(invertedBounds({ autopilotMaxRate: 20, autopilotMinRate: null }, inForce, defaults)).toBe(
      "autopilotMinRate (50 by default) must not be above autopilotMaxRate (20)",
    );
    expect(invertedBounds({ autopilotMinRate: 500, autopilotMaxRate: null }, inForce, defaults)).toBeNull();
    expect(invertedBounds({ autopilotMinRate: 200 }, inForce, defaults)).toBeNull();
  });

  it("leave other changes alone, and do not compare with a side nobody knows", () => {
    expect(invertedBounds({ perMinute: 5, originTargetP95Ms: 1 }, { minRate: 500, maxRate: 1 }, defaults)).toBeNull();
    expect(invertedBounds({ autopilotMinRate: 500 }, undefined, undefined)).toBeNull();
    expect(invertedBounds({ autopilotMinRate: null }, inForce, undefined)).toBeNull();
  });
});

describe("event times", () => {
  it("are refused outside the Date range, even where they are safe integers", () => {
    for (const body of [
      { startsAt: 8.64e15 + 1, mode: "paused" },
      { startsAt: 10 * M, endsAt: 9e15, mode: "paused" },
      { startsAt: 10 * M, prequeueFrom: -8.7e15 },
      { startsAt: Number.POSITIVE_INFINITY, mode: "paused" },
    ]) {
      const check = checkNewEvent(body, [], 0, "e");
      expect(check.ok, JSON.stringify(body)).toBe(false);
      if (!check.ok) expect(check.problems.join("; ")).toContain("within the Date range");
    }
    expect(checkNewEvent({ startsAt: 8.64e15, mode: "paused" }, [], 0, "e").ok).toBe(true);
  });

  it("share the settings' rate bounds", () => {
    expect(checkNewEvent({ startsAt: 10 * M, ratePerMinute: 1e-9 }, [], 0, "e")).toMatchObject({
      ok: false,
      problems: ["ratePerMinute must be a number from 0.1 to 1000000"],
    });
  });
});

describe("events and the autopilot", () => {
  it("turn it on or off while in force, alone or with other changes", () => {
    const on = checkNewEvent({ startsAt: 10 * M, autopilot: true }, [], 0, "e");
    expect(on).toMatchObject({ ok: true, event: { autopilot: true, perMinute: null, mode: null } });
    const off = checkNewEvent({ startsAt: 10 * M, ratePerMinute: 100, autopilot: false }, [], 0, "e");
    expect(off).toMatchObject({ ok: true, event: { autopilot: false, perMinute: 100 } });
    expect(checkNewEvent({ startsAt: 10 * M, mode: "paused" }, [], 0, "e")).toMatchObject({
      ok: true,
      event: { autopilot: null },
    });
  });

  it("refuse anything but true, false or null, and an event that changes nothing", () => {
    expect(checkNewEvent({ startsAt: 10 * M, autopilot: "on" }, [], 0, "e")).toMatchObject({
      ok: false,
      problems: [expect.stringContaining("autopilot must be true")],
    });
    expect(checkNewEvent({ startsAt: 10 * M, autopilot: null }, [], 0, "e")).toMatchObject({
      ok: false,
      problems: ["an event must set prequeueFrom, ratePerMinute, mode or autopilot"],
    });
  });
});

describe("AuthThrottle", () => {
  it("allows 10 failures a minute per client, then refuses until the oldest leaves the window", () => {
    const throttle = new AuthThrottle();
    for (let i = 0; i < 10; i++) {
      expect(throttle.allowance("a", i * 1000).kind).toBe("allowed");
      throttle.fail("a", i * 1000);
    }
    expect(throttle.allowance("a", 9_500)).toEqual({ kind: "throttled", retryAfterSeconds: 51 });
    expect(throttle.allowance("b", 9_500)).toEqual({ kind: "allowed" });
    expect(throttle.allowance("a", 59_999).kind).toBe("throttled");
    expect(throttle.allowance("a", 60_000)).toEqual({ kind: "allowed" });
    // Failing while throttled keeps it throttled (the newest 10 count).
    throttle.fail("a", 60_000);
    expect(throttle.allowance("a", 60_500).kind).toBe("throttled");
  });

  it("stays bounded in memory, forgetting the longest-known clients first", () => {
    const throttle = new AuthThrottle({ limit: 2, maxClients: 100 });
    for (let i = 0; i < 1_000; i++) throttle.fail(`client-${i}`, 0);
    throttle.fail("last", 0);
    throttle.fail("last", 0);
    expect(throttle.allowance("last", 1).kind).toBe("throttled");
    expect(throttle.allowance("client-0", 1).kind).toBe("allowed");
  });
});

describe("clientName", () => {
  const of = (ip?: string) =>
    clientName(new Request("https://room.test/", { headers: ip === undefined ? {} : { "cf-connecting-ip": ip } }));

  it("is the IPv4 address, the IPv6 /64, or one name for requests without an address", () => {
    expect(of("203.0.113.7")).toBe("203.0.113.7");
    expect(of("2001:db8:aa:bb::1")).toBe("2001:db8:aa:bb::/64");
    expect(of("2001:0db8:00aa:00bb:1:2:3:4")).toBe("2001:db8:aa:bb::/64");
    expect(of("2001:DB8:AA:BB:ffff::9")).toBe("2001:db8:aa:bb::/64");
    expect(of("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(of("::1")).toBe("0:0:0:0::/64");
    expect(of()).toBe("");
  });
});
