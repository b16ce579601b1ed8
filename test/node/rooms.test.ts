import { describe, expect, it } from "vitest";
import { parseConfig } from "../../worker/config.ts";
import { roomMatcher } from "../../worker/http/rooms.ts";
import { dev, problemsOf } from "../support/config.ts";

const rooms = (value: unknown) => problemsOf({ ...dev, ROOMS: JSON.stringify(value) });

describe("ROOMS", () => {
  it("parses each room, its fields defaulting to the single-room settings, into frozen config", () => {
    const config = parseConfig({
      ...dev,
      SESSION_MINUTES: "20",
      ROOMS: JSON.stringify([
        { name: "shop", paths: ["/shop/*"], admitPerMinute: 120, language: "sv", maxActive: 50 },
        {
          name: "tickets",
          hosts: ["Tickets.Example", "*.tickets.example"],
          paths: "/*",
          mode: "paused",
          autopilot: true,
        },
      ]),
    });
    expect(config.rooms).toHaveLength(2);
    expect(config.rooms[0]).toMatchObject({
      room: "shop",
      admitPerMinute: 120,
      sessionSeconds: 1200,
      maxActive: 50,
      language: "sv",
      queuePaths: ["/shop/*"],
      cookieSuffix: "__shop",
    });
    expect(config.rooms[1]).toMatchObject({
      room: "tickets",
      hosts: ["tickets.example", "*.tickets.example"],
      mode: "paused",
      admitPerMinute: 60,
      autopilot: { on: true, minRate: 6, maxRate: 600 },
    });
    // The top-level room fields are the first room's (the single-room endpoints answer for it).
    expect(config).toMatchObject({ room: "shop", admitPerMinute: 120 });
    expect(Object.isFrozen(config.rooms)).toBe(true);
    expect(Object.isFrozen(config.rooms[1])).toBe(true);
  });

  it("takes ROOMS as a JSON value (wrangler.toml [vars]) as well as a string", () => {
    const config = parseConfig({ ...dev, ROOMS: [{ name: "a", paths: ["/a/*"] }] });
    expect(config.rooms.map((r) => r.room)).toEqual(["a"]);
  });

  it("without ROOMS, keeps one room from today's settings, with today's cookie names", () => {
    const config = parseConfig({ ...dev, ROOM: "solo", QUEUE_PATHS: "/x/*" });
    expect(config.rooms).toHaveLength(1);
    expect(config.rooms[0]).toMatchObject({ room: "solo", queuePaths: ["/x/*"], cookieSuffix: "", hosts: [] });
  });

  it("refuses duplicate names", () => {
    expect(
      rooms([
        { name: "a", paths: ["/a/*"] },
        { name: "a", paths: ["/b/*"] },
      ]),
    ).toContain('ROOMS: two rooms are named "a"');
  });

  it("refuses two rooms with the same pattern on the same host, and allows it on different hosts", () => {
    const problems = rooms([
      { name: "a", paths: ["/shop/*"] },
      { name: "b", paths: ["/x", "/shop/*"] },
    ]);
    expect(problems.join("\n")).toContain('rooms "a" and "b" both queue "/shop/*" on (any host)');
    // Paths match ignoring case, so patterns differing only in case clash too.
    expect(
      rooms([
        { name: "a", paths: ["/Shop/*"] },
        { name: "b", paths: ["/shop/*"] },
      ]).join("\n"),
    ).toContain('rooms "a" and "b" both queue "/shop/*"');
    expect(
      rooms([
        { name: "a", hosts: ["a.example"], paths: ["/shop/*"] },
        { name: "b", hosts: ["b.example"], paths: ["/shop/*"] },
      ]),
    ).toEqual([]);
  });

  it("names the room and the field of an unknown field, with a suggestion", () => {
    expect(rooms([{ name: "shop", paths: ["/*"], admitPerMinut: 5, colour: "red" }])).toEqual([
      'ROOMS room "shop": unknown field "admitPerMinut" (did you mean admitPerMinute?)',
      'ROOMS room "shop": unknown field "colour"',
    ]);
  });

  it("names the room and the field of each bad value", () => {
    const problems = rooms([
      {
        name: "shop",
        paths: ["/*"],
        admitPerMinute: -1,
        mode: "sideways",
        hosts: ["https://shop.example/"],
        language: "not a language!",
        bypassIps: ["10.0.0.0/33"],
        bypassHeaders: ["X-Staff: short"],
        sessionMinutes: { minutes: 3 },
      },
    ]);
    const text = problems.join("\n");
    expect(text).toContain('ROOMS room "shop": admitPerMinute must be a positive number');
    expect(text).toContain('ROOMS room "shop": mode must be one of');
    expect(text).toContain('ROOMS room "shop": hosts: "https://shop.example/" must be a host name');
    expect(text).toContain('ROOMS room "shop": language must be one of en, sv');
    expect(text).toContain('ROOMS room "shop": bypassIps: "10.0.0.0/33" is not an IP address or CIDR range');
    expect(text).toContain('ROOMS room "shop": bypassHeaders: the value for X-Staff must be a secret of at least 16');
    expect(text).toContain('ROOMS room "shop": sessionMinutes must be a string or number');
    expect(text).not.toContain("ADMIT_PER_MINUTE");
  });

  it("takes each room's queueing (fifo by default, QUEUEING for the single room) and names a bad one", () => {
    const config = parseConfig({
      ...dev,
      ROOMS: JSON.stringify([
        { name: "drop", paths: ["/drop/*"], queueing: "reject" },
        { name: "shop", paths: ["/*"] },
      ]),
    });
    expect(config.rooms.map((r) => r.queueing)).toEqual(["reject", "fifo"]);
    expect(parseConfig({ ...dev, QUEUEING: "reject" }).queueing).toBe("reject");
    expect(rooms([{ name: "drop", paths: ["/*"], queueing: "lottery" }])).toContain(
      'ROOMS room "drop": queueing must be one of fifo, reject, got "lottery"',
    );
    expect(problemsOf({ ...dev, QUEUEING: "Reject" })).toContain('QUEUEING must be one of fifo, reject, got "Reject"');
  });

  it("names a room missing its name or paths, a room that is not an object, and bad JSON", () => {
    expect(rooms([{ paths: ["/*"] }]).join("\n")).toContain('ROOMS room "": name must be a string');
    expect(rooms([{ name: "a" }]).join("\n")).toContain('ROOMS room "a": paths must be set');
    expect(rooms([{ name: "bad name", paths: ["/*"] }]).join("\n")).toContain(
      'ROOMS room "bad name": name must be 1-64',
    );
    expect(rooms(["shop"])).toContain('ROOMS[0] must be an object such as {"name":"shop","paths":["/shop/*"]}');
    expect(problemsOf({ ...dev, ROOMS: "[{" }).join("\n")).toContain("ROOMS must be a JSON array of rooms");
    expect(rooms([])).toContain("ROOMS must be a JSON array of 1 to 50 rooms");
    expect(rooms([{ name: "a", paths: ["no-slash"] }]).join("\n")).toContain(
      'ROOMS room "a": paths: pattern "no-slash" must start with "/"',
    );
  });

  it("names an inherited single-room setting by its own name", () => {
    const problems = problemsOf({
      ...dev,
      OFFER_SECONDS: "soon",
      ROOMS: JSON.stringify([{ name: "a", paths: ["/*"] }]),
    });
    expect(problems.join("\n")).toContain('ROOMS room "a": OFFER_SECONDS must be a positive number');
  });
});

describe("bypass settings", () => {
  it("parses header, cookie and network rules for the single room", () => {
    const config = parseConfig({
      ...dev,
      BYPASS_HEADERS: "X-Health-Check: 0123456789abcdef",
      BYPASS_COOKIES: "staff=fedcba9876543210",
      BYPASS_IPS: "203.0.113.0/24, 2001:db8::/32, 198.51.100.7",
    });
    expect(config.bypass).toEqual({
      headers: [{ name: "x-health-check", value: "0123456789abcdef" }],
      cookies: [{ name: "staff", value: "fedcba9876543210" }],
      networks: ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"],
    });
  });

  it("refuses what a client merely claims (User-Agent, X-Forwarded-For), short secrets, and bad ranges", () => {
    const text = problemsOf({
      ...dev,
      BYPASS_HEADERS:
        "User-Agent: Googlebot/2.1 (+http://www.google.com/bot.html), X-Forwarded-For: 10.0.0.1234567890123",
      BYPASS_COOKIES: "staff=short, novalue",
      BYPASS_IPS: "300.1.2.3/8, 2001:db8::/200, example.com",
    }).join("\n");
    expect(text).toContain("BYPASS_HEADERS: header User-Agent says what a client claims");
    expect(text).toContain("BYPASS_HEADERS: header X-Forwarded-For says what a client claims");
    expect(text).toContain("BYPASS_COOKIES: the value for staff must be a secret of at least 16 characters");
    expect(text).toContain('BYPASS_COOKIES: entry "novalue" must be "cookie_name=secret value"');
    expect(text).toContain('BYPASS_IPS: "300.1.2.3/8" is not an IP address or CIDR range');
    expect(text).toContain('BYPASS_IPS: "2001:db8::/200" is not');
    expect(text).toContain('BYPASS_IPS: "example.com" is not');
    expect(text).not.toContain("fedcba");
  });
});

describe("roomMatcher: the most specific room", () => {
  const match = roomMatcher([
    /* 0 */ { hosts: [], queuePaths: ["/*"], bypassPaths: ["/*.css"] },
    /* 1 */ { hosts: [], queuePaths: ["/shop/*"], bypassPaths: [] },
    /* 2 */ { hosts: [], queuePaths: ["/shop/checkout/*"], bypassPaths: [] },
    /* 3 */ { hosts: ["tickets.example"], queuePaths: ["/*"], bypassPaths: [] },
    /* 4 */ { hosts: ["*.events.example"], queuePaths: ["/*"], bypassPaths: [] },
    /* 5 */ { hosts: ["live.events.example"], queuePaths: ["/live/*"], bypassPaths: [] },
    /* 6 */ { hosts: ["api.example"], queuePaths: ["/v1/*"], bypassPaths: [] },
  ]);
  const cases: [host: string, method: string, path: string, room: number, why: string][] = [
    ["shop.example", "GET", "/", 0, "only the catch-all matches"],
    ["shop.example", "GET", "/shop/shoes", 1, "longer path beats /*"],
    ["shop.example", "GET", "/shop/checkout/pay", 2, "longest path"],
    ["shop.example", "POST", "/SHOP/CHECKOUT/pay", 2, "paths match ignoring case"],
    [
      "shop.example",
      "GET",
      "/shop/..%2Fshop/checkout/pay",
      2,
      "every reading counts: an origin decoding %2F reads the checkout",
    ],
    ["shop.example", "GET", "/site.css", -1, "the matched room bypasses it"],
    ["shop.example", "POST", "/site.css", 0, "bypass paths are GET and HEAD"],
    ["tickets.example", "GET", "/shop/checkout/pay", 3, "a room for the host beats any room without one"],
    ["a.events.example", "GET", "/shop/x", 4, "a wildcard host beats no host"],
    ["events.example", "GET", "/shop/x", 1, "a wildcard does not match the bare domain"],
    ["live.events.example", "GET", "/live/now", 5, "the exact host beats the wildcard"],
    ["live.events.example", "GET", "/other", 4, "the exact host's room does not queue it: the wildcard's does"],
    ["api.example", "GET", "/v2/x", 0, "the host's room does not queue the path: the hostless rooms may"],
  ];
  it.each(cases)("%s %s %s → room %i (%s)", (host, method, path, room) => {
    expect(match(host, method, path)).toBe(room);
  });

  it("lets through what no room queues", () => {
    const only = roomMatcher([{ hosts: ["a.example"], queuePaths: ["/a/*"], bypassPaths: [] }]);
    expect(only("a.example", "GET", "/b")).toBe(-1);
    expect(only("b.example", "GET", "/a/x")).toBe(-1);
    expect(only("a.example", "GET", "/a/x")).toBe(0);
  });
});
