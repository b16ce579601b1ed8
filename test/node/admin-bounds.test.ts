// The admin API's input bounds and failed-authentication throttle, as pure
// functions: bounded problem lists, the bounds of every number an operator
// sets, event times within the Date range, and the per-client throttle.
import { describe, expect, it } from "vitest";
import { AuthThrottle, clientName } from "../../worker/admin/auth-throttle.ts";
import { checkNewEvent } from "../../worker/admin/events.ts";
import { boundedProblems, MAX_PROBLEMS, unknownFields } from "../../worker/admin/problems.ts";
import { checkSettingsPatch } from "../../worker/admin/settings.ts";

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
    expect(check.problems.join("").length).toBeLessThan(200);
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
