// The structured logger (worker/log.ts): one JSON line per event with a
// stable shape, written at the event's level, and scrubbed of tokens, secrets
// and IP addresses whatever a caller put in a reason.
import { describe, expect, it } from "vitest";
import { createLogger, LOG_LEVELS, type LogEntry, logLine, scrubbed } from "../../worker/log.ts";

const AT = Date.UTC(2026, 11, 1, 12, 30, 45);

function recorder() {
  const lines: { level: string; line: string }[] = [];
  const keep = (level: string) => (line: string) => lines.push({ level, line });
  return {
    lines,
    log: createLogger({ now: () => AT, sink: { log: keep("log"), warn: keep("warn"), error: keep("error") } }),
  };
}

describe("createLogger", () => {
  it("writes one JSON line per event: event, level, at, then the event's fields", () => {
    const { lines, log } = recorder();
    log({ event: "event_deleted", room: "shop", id: "ev_1a2b3c4d" });
    expect(lines).toEqual([
      {
        level: "log",
        line: '{"event":"event_deleted","level":"info","at":"2026-12-01T12:30:45.000Z","room":"shop","id":"ev_1a2b3c4d"}',
      },
    ]);
  });

  it("writes each event at its level; a store script error is an error, an outage a warning", () => {
    const { lines, log } = recorder();
    const failure = { event: "store_failure", reason: "x", heldBack: 3, sinceSeconds: 10 } as const;
    log({ ...failure, kind: "outage" });
    log({ ...failure, kind: "script_error" });
    log({
      event: "config_invalid",
      code: "config_invalid",
      problems: ["ADMIT_PER_MINUTE must be a positive number"],
      heldBack: 0,
    });
    log({ event: "settings_changed", room: "shop", changed: { perMinute: 120, mode: null }, version: 4 });
    expect(lines.map((l) => [l.level, JSON.parse(l.line).level, JSON.parse(l.line).event])).toEqual([
      ["warn", "warn", "store_failure"],
      ["error", "error", "store_failure"],
      ["error", "error", "config_invalid"],
      ["log", "info", "settings_changed"],
    ]);
    expect(JSON.parse(lines[0]?.line ?? "")).toMatchObject({ heldBack: 3, sinceSeconds: 10 });
  });

  it("names a level for every event", () => {
    for (const level of Object.values(LOG_LEVELS)) expect(["info", "warn", "error"]).toContain(level);
  });
});

describe("scrubbed", () => {
  const jwt =
    "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ2aXNpdG9yLTEiLCJyb29tIjoic2hvcCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

  it("replaces JWTs (tickets, passes) and cuts other long opaque runs (secrets) to 6 characters", () => {
    expect(scrubbed(`pass ${jwt} refused`)).toBe("pass [token] refused");
    expect(scrubbed("token Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdo+/= leaked")).toBe("token Zm9vYm… leaked");
  });

  it("truncates IPv4 addresses to the /24 and IPv6 to the /48", () => {
    expect(scrubbed("connect ECONNREFUSED 203.0.113.77:443")).toBe("connect ECONNREFUSED 203.0.113.x:443");
    expect(scrubbed("from 2001:db8:85a3:7:8:8a2e:370:7334 and ::1")).toBe("from 2001:db8:85a3::/48 and 0:0:0::/48");
    expect(scrubbed("from 2001:db8::8a2e:370:7334 ok")).toBe("from 2001:db8:0::/48 ok");
  });

  it("leaves times, dates, room names and short reasons alone", () => {
    for (const text of [
      "2026-12-01T12:30:45.000Z",
      "at 12:30:45",
      "TypeError: fetch failed (ECONNREFUSED)",
      "JOIN reply unreadable: a field is missing or not a number",
      "ev_1a2b3c4d",
    ]) {
      expect(scrubbed(text)).toBe(text);
    }
  });

  it("applies to every string of a line, nested ones included", () => {
    const entry: LogEntry = {
      event: "config_invalid",
      code: "config_invalid",
      problems: [`ADMIN_TOKEN ${jwt} from 10.0.0.1`],
      heldBack: 0,
    };
    const line = logLine(entry, AT);
    expect(line).not.toContain(jwt);
    expect(line).not.toContain("10.0.0.1");
    expect(JSON.parse(line).problems).toEqual(["ADMIN_TOKEN [token] from 10.0.0.x"]);
  });
});
