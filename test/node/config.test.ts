import { describe, expect, it } from "vitest";
import { parseConfig } from "../../worker/config.ts";
import { dev, problemsOf } from "../support/config.ts";

describe("parseConfig", () => {
  it("takes a METRICS_TOKEN of 16+ characters that is not the admin token, naming it otherwise", () => {
    expect(parseConfig({ ...dev, METRICS_TOKEN: "scraper-token-0123456789" }).metricsToken).toBe(
      "scraper-token-0123456789",
    );
    expect(parseConfig(dev).metricsToken).toBeNull();
    expect(problemsOf({ ...dev, METRICS_TOKEN: "short" })).toEqual([
      "METRICS_TOKEN must be at least 16 characters (generate one with `openssl rand -base64 24`)",
    ]);
    const same = "the-same-token-0123456789";
    expect(problemsOf({ ...dev, ADMIN_TOKEN: same, METRICS_TOKEN: same })).toEqual([
      "METRICS_TOKEN must differ from ADMIN_TOKEN: the scraper's token must not open the admin API",
    ]);
  });

  it("applies the documented defaults and freezes the result", () => {
    const config = parseConfig(dev);
    expect(config).toMatchObject({
      environment: "development",
      room: "default",
      admitPerMinute: 60,
      sessionSeconds: 600,
      ticketTtlSeconds: 86_400,
      originUrl: null,
      queuePaths: ["/*"],
      issuer: "anteroom",
      audience: "anteroom-origin",
      redis: { url: "http://127.0.0.1:8079", token: "local-dev-token" },
      redisTimeoutMs: 500,
    });
    expect(config.bypassPaths).toContain("/favicon.ico");
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { admitPerMinute: number }).admitPerMinute = 1;
    }).toThrow();
  });

  it("reads overrides", () => {
    const config = parseConfig({
      ...dev,
      ADMIT_PER_MINUTE: "120",
      SESSION_MINUTES: "2.5",
      ORIGIN_URL: "https://origin.example/base/",
      QUEUE_PATHS: "/shop/*, /register",
      UPSTASH_REDIS_REST_URL: "https://eu1.upstash.example/",
      UPSTASH_REDIS_REST_TOKEN: "token",
    });
    expect(config.admitPerMinute).toBe(120);
    expect(config.sessionSeconds).toBe(150);
    expect(config.originUrl?.href).toBe("https://origin.example/base/");
    expect(config.queuePaths).toEqual(["/shop/*", "/register"]);
    expect(config.redis).toEqual({ url: "https://eu1.upstash.example", token: "token" });
  });

  it.each([
    ["ADMIT_PER_MINUTE", "abc"],
    ["ADMIT_PER_MINUTE", "-5"],
    ["ADMIT_PER_MINUTE", "0"],
    ["ADMIT_PER_MINUTE", "Infinity"],
    ["SESSION_MINUTES", "ten"],
    ["TICKET_TTL_MINUTES", "-1"],
    ["REDIS_TIMEOUT_MS", "1e9"],
    ["ANTEROOM_ENV", "staging"],
    ["ORIGIN_URL", "not a url"],
    ["ORIGIN_URL", "ftp://origin.example"],
    ["ORIGIN_URL", "https://origin.example/?q=1"],
    ["QUEUE_PATHS", "shop/*"],
    ["BYPASS_PATHS", "/ok,/(unclosed"],
    ["ROOM", "has spaces"],
    ["TICKET_SECRET", "short"],
    ["NEW_TICKETS_PER_IP_PER_MINUTE", "-1"],
    ["NEW_TICKETS_PER_IP_PER_MINUTE", "lots"],
    ["SESSION_MAX_MINUTES", "0"],
    ["SESSION_MAX_MINUTES", "forever"],
    ["PASS_BINDING", "cookie"],
  ])("rejects %s=%j with a message naming it", (name, value) => {
    const problems = problemsOf({ ...dev, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
  });

  it("bounds a session absolutely: SESSION_MAX_MINUTES, 60 by default, at least SESSION_MINUTES", () => {
    expect(parseConfig(dev).sessionMaxSeconds).toBe(3600);
    expect(parseConfig({ ...dev, SESSION_MINUTES: "30", SESSION_MAX_MINUTES: "30" }).sessionMaxSeconds).toBe(1800);
    expect(problemsOf({ ...dev, SESSION_MINUTES: "20", SESSION_MAX_MINUTES: "15" })).toEqual([
      'SESSION_MAX_MINUTES must be at least SESSION_MINUTES (20): a session cannot end before its first pass does, got "15"',
    ]);
    // The default maximum counts too: a longer session must raise it.
    expect(problemsOf({ ...dev, SESSION_MINUTES: "90" })).toEqual([
      'SESSION_MAX_MINUTES must be at least SESSION_MINUTES (90): a session cannot end before its first pass does, got "60" (the default: set SESSION_MAX_MINUTES as well)',
    ]);
    // One problem per bad value: an invalid SESSION_MINUTES is not compared as well.
    expect(problemsOf({ ...dev, SESSION_MINUTES: "ten", SESSION_MAX_MINUTES: "0" })).toHaveLength(2);
  });

  it("binds passes as PASS_BINDING says, tickets as TICKET_BINDING says", () => {
    expect(parseConfig(dev).requester).toEqual({ perIpLimit: 0, binding: "none", passBinding: "none" });
    const bound = parseConfig({ ...dev, PASS_BINDING: "ip-prefix", TICKET_BINDING: "user-agent" });
    expect(bound.requester).toMatchObject({ binding: "user-agent", passBinding: "ip-prefix" });
  });

  it("reports every problem at once", () => {
    const problems = problemsOf({ ...dev, ADMIT_PER_MINUTE: "abc", SESSION_MINUTES: "-1" });
    expect(problems).toHaveLength(2);
  });

  it("catches a misspelt setting instead of silently using the default", () => {
    expect(problemsOf({ ...dev, ADMIT_PER_MINUT: "600" })).toEqual([
      "unknown setting ADMIT_PER_MINUT (did you mean ADMIT_PER_MINUTE?)",
    ]);
    expect(problemsOf({ ...dev, ANTEROOM_MODE: "x" })).toEqual(["unknown setting ANTEROOM_MODE"]);
    // Unrelated variables and non-string bindings are not Anteroom's business.
    expect(problemsOf({ ...dev, SOME_OTHER_APP_SETTING: "1", MY_KV: {} })).toEqual([]);
  });

  it("requires one Redis setting with the other", () => {
    const noStore = { ANTEROOM_ENV: "development" };
    expect(problemsOf({ ...noStore, UPSTASH_REDIS_REST_URL: "https://x.example" })).toEqual([
      "UPSTASH_REDIS_REST_TOKEN must be set when UPSTASH_REDIS_REST_URL is set",
    ]);
    expect(problemsOf({ ...noStore, UPSTASH_REDIS_REST_TOKEN: "t" })).toEqual([
      "UPSTASH_REDIS_REST_URL must be set when UPSTASH_REDIS_REST_TOKEN is set",
    ]);
  });

  it("requires the store in development too, and says that `npm start` provides one", () => {
    const problems = problemsOf({ ANTEROOM_ENV: "development" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN must be set: /);
    expect(problems[0]).toContain("`npm start` provides an embedded store");
  });

  it("in production requires Redis, a ticket secret and signing keys", () => {
    const problems = problemsOf({});
    expect(problems.join("\n")).toMatch(/UPSTASH_REDIS_REST_URL/);
    expect(problems.join("\n")).toMatch(/TICKET_SECRET/);
    expect(problems.join("\n")).toMatch(/PASS_SIGNING_KEYS/);
  });

  it("never echoes a secret's value", () => {
    const message = problemsOf({ ...dev, TICKET_SECRET: "hunter2" }).join("\n");
    expect(message).not.toContain("hunter2");
  });
});

describe("store failure settings", () => {
  it("default to soft at a quarter of the rate per instance", () => {
    const config = parseConfig(dev);
    expect(config.storeFailureMode).toBe("soft");
    expect(config.storeFailureRateShare).toBe(0.25);
  });

  it("read overrides, up to a share of 1", () => {
    const config = parseConfig({ ...dev, STORE_FAILURE_MODE: "open", STORE_FAILURE_RATE_SHARE: "1" });
    expect(config.storeFailureMode).toBe("open");
    expect(config.storeFailureRateShare).toBe(1);
    expect(parseConfig({ ...dev, STORE_FAILURE_MODE: "closed" }).storeFailureMode).toBe("closed");
  });

  it.each([
    ["STORE_FAILURE_MODE", "fail-open"],
    ["STORE_FAILURE_MODE", "SOFT"],
    ["STORE_FAILURE_RATE_SHARE", "0"],
    ["STORE_FAILURE_RATE_SHARE", "1.5"],
    ["STORE_FAILURE_RATE_SHARE", "-0.25"],
    ["STORE_FAILURE_RATE_SHARE", "25%"],
  ])("rejects %s=%j with a message naming it", (name, value) => {
    const problems = problemsOf({ ...dev, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
  });

  it("catches a misspelt name", () => {
    expect(problemsOf({ ...dev, STORE_FAILURE_MOD: "open" })).toEqual([
      "unknown setting STORE_FAILURE_MOD (did you mean STORE_FAILURE_MODE?)",
    ]);
  });
});

describe("autopilot settings", () => {
  it("default to off, bounds a tenth and ten times ADMIT_PER_MINUTE, p95 1000 ms, 1% errors, a 10 s timeout", () => {
    const config = parseConfig(dev);
    expect(config.autopilot).toEqual({
      on: false,
      minRate: 6,
      maxRate: 600,
      targetP95Ms: 1000,
      maxErrorRate: 0.01,
      timeoutMs: 10_000,
    });
    expect(Object.isFrozen(config.autopilot)).toBe(true);
    // The default bounds follow the rate, exactly (no 6.000000000000001).
    expect(parseConfig({ ...dev, ADMIT_PER_MINUTE: "90" }).autopilot).toMatchObject({ minRate: 9, maxRate: 900 });
    expect(parseConfig({ ...dev, ADMIT_PER_MINUTE: "0.5" }).autopilot).toMatchObject({ minRate: 0.05, maxRate: 5 });
    // ... within what an operator may set: ten times the highest rate is still the highest.
    expect(parseConfig({ ...dev, ADMIT_PER_MINUTE: "1000000" }).autopilot.maxRate).toBe(1_000_000);
  });

  it("read every variable", () => {
    const config = parseConfig({
      ...dev,
      AUTOPILOT: "on",
      AUTOPILOT_MIN_RATE: "0",
      AUTOPILOT_MAX_RATE: "2500.5",
      ORIGIN_TARGET_P95_MS: "800",
      ORIGIN_MAX_ERROR_RATE: "0.05",
      ORIGIN_TIMEOUT_MS: "100",
    });
    expect(config.autopilot).toEqual({
      on: true,
      minRate: 0,
      maxRate: 2500.5,
      targetP95Ms: 800,
      maxErrorRate: 0.05,
      timeoutMs: 100,
    });
    // Equal bounds are a fixed rate, which is allowed.
    expect(parseConfig({ ...dev, AUTOPILOT_MIN_RATE: "300", AUTOPILOT_MAX_RATE: "300" }).autopilot).toMatchObject({
      minRate: 300,
      maxRate: 300,
    });
    expect(parseConfig({ ...dev, ORIGIN_TIMEOUT_MS: "600000" }).autopilot.timeoutMs).toBe(600_000);
  });

  it.each([
    ["AUTOPILOT", "yes"],
    ["AUTOPILOT", "ON"],
    ["AUTOPILOT", "true"],
    ["AUTOPILOT_MIN_RATE", "-1"],
    ["AUTOPILOT_MIN_RATE", "lots"],
    ["AUTOPILOT_MIN_RATE", "NaN"],
    ["AUTOPILOT_MIN_RATE", "2000000"],
    ["AUTOPILOT_MAX_RATE", "0"],
    ["AUTOPILOT_MAX_RATE", "0.05"],
    ["AUTOPILOT_MAX_RATE", "Infinity"],
    ["AUTOPILOT_MAX_RATE", "0x10"],
    ["ORIGIN_TARGET_P95_MS", "0"],
    ["ORIGIN_TARGET_P95_MS", "-800"],
    ["ORIGIN_TARGET_P95_MS", "800.5"],
    ["ORIGIN_TARGET_P95_MS", "1s"],
    ["ORIGIN_TARGET_P95_MS", "700000"],
    ["ORIGIN_MAX_ERROR_RATE", "0"],
    ["ORIGIN_MAX_ERROR_RATE", "1"],
    ["ORIGIN_MAX_ERROR_RATE", "1.5"],
    ["ORIGIN_MAX_ERROR_RATE", "-0.01"],
    ["ORIGIN_MAX_ERROR_RATE", "1%"],
    ["ORIGIN_TIMEOUT_MS", "99"],
    ["ORIGIN_TIMEOUT_MS", "600001"],
    ["ORIGIN_TIMEOUT_MS", "1500.5"],
    ["ORIGIN_TIMEOUT_MS", "ten seconds"],
  ])("rejects %s=%j with a message naming it", (name, value) => {
    const problems = problemsOf({ ...dev, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
    expect(problems[0]).toContain(JSON.stringify(value));
  });

  it("rejects inverted bounds, naming both, with a hint when one is the default", () => {
    expect(problemsOf({ ...dev, AUTOPILOT_MIN_RATE: "500", AUTOPILOT_MAX_RATE: "400" })).toEqual([
      "AUTOPILOT_MIN_RATE (500) must not exceed AUTOPILOT_MAX_RATE (400)",
    ]);
    // The default maximum is 600 at 60/min: a higher minimum must raise it.
    expect(problemsOf({ ...dev, AUTOPILOT_MIN_RATE: "700" })).toEqual([
      "AUTOPILOT_MIN_RATE (700) must not exceed AUTOPILOT_MAX_RATE (600) (AUTOPILOT_MAX_RATE is the default, ADMIT_PER_MINUTE x 10: set it as well)",
    ]);
    expect(problemsOf({ ...dev, AUTOPILOT_MAX_RATE: "5" })).toEqual([
      "AUTOPILOT_MIN_RATE (6) must not exceed AUTOPILOT_MAX_RATE (5) (AUTOPILOT_MIN_RATE is the default, ADMIT_PER_MINUTE / 10: set it as well)",
    ]);
    // One problem per bad value: an invalid bound, or a default of an invalid rate, is not compared as well.
    expect(problemsOf({ ...dev, AUTOPILOT_MIN_RATE: "-1", AUTOPILOT_MAX_RATE: "0" })).toHaveLength(2);
    expect(problemsOf({ ...dev, ADMIT_PER_MINUTE: "abc", AUTOPILOT_MIN_RATE: "50" })).toHaveLength(1);
  });

  it("catches a misspelt name", () => {
    expect(problemsOf({ ...dev, AUTOPILOT_MAX_RATES: "600" })).toEqual([
      "unknown setting AUTOPILOT_MAX_RATES (did you mean AUTOPILOT_MAX_RATE?)",
    ]);
    expect(problemsOf({ ...dev, ORIGIN_TIMEOUT_MSS: "5000" })).toEqual([
      "unknown setting ORIGIN_TIMEOUT_MSS (did you mean ORIGIN_TIMEOUT_MS?)",
    ]);
  });
});
