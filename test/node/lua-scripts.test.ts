// The shape of the Lua scripts (issue 12): the library the admission scripts
// share holds only constants and functions (no variable shared implicitly),
// its constants are the TypeScript ones, and every KEYS and ARGV entry a
// script reads is documented in its file. What the scripts do is checked by
// the store contract suites against real Redis.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DECIDE_EVERY_MS } from "../../worker/model/autopilot.ts";
import { CLAIM_BUCKET, MATURE_MS, MIN_SHOW_RATIO, SMOOTHING } from "../../worker/model/compensation.ts";
import { LATENCY_BOUNDS_MS, MAX_SAMPLE_REQUESTS } from "../../worker/model/origin-signal.ts";
import { ADMISSION_LUA } from "../../worker/store/lua/advance.ts";
import { AUTOPILOT_READ_LUA } from "../../worker/store/lua/autopilot-read.ts";
import { CLAIM_LUA } from "../../worker/store/lua/claim.ts";
import { EVENTS_READ_LUA, EVENTS_WRITE_LUA } from "../../worker/store/lua/events.ts";
import { HISTORY_LUA } from "../../worker/store/lua/history.ts";
import { JOIN_LUA } from "../../worker/store/lua/join.ts";
import { SETTINGS_LUA } from "../../worker/store/lua/settings.ts";
import { TICK_LUA } from "../../worker/store/lua/tick.ts";

const LUA_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "worker", "store", "lua");

/** The lines of a Lua text that are not inside a function or a table: not indented, not comments. */
function topLevel(lua: string): string[] {
  return lua.split("\n").filter((line) => /^\S/.test(line) && !line.startsWith("--"));
}

describe("the admission scripts' Lua", () => {
  it("shares only constants and functions: every other top-level line closes a function", () => {
    const strays = topLevel(ADMISSION_LUA).filter(
      (line) =>
        !/^local function \w+\(/.test(line) &&
        !/^local [A-Z][A-Z0-9_]* = -?[\d.e-]+$/.test(line) &&
        // An array constant: a table of numbers on one line.
        !/^local [A-Z][A-Z0-9_]* = \{ -?[\d.e-]+(?:, -?[\d.e-]+)* \}$/.test(line) &&
        line !== "end",
    );
    expect(strays).toEqual([]);
    expect(topLevel(ADMISSION_LUA).filter((line) => line.startsWith("local function")).length).toBeGreaterThan(20);
  });

  it("is each script's own text: the library, then a body that names what it uses", () => {
    for (const script of [JOIN_LUA, TICK_LUA, CLAIM_LUA]) {
      expect(script.startsWith(ADMISSION_LUA)).toBe(true);
      const body = script.slice(ADMISSION_LUA.length);
      expect(body).toContain("local keys = room_keys(KEYS)");
      expect(body).toContain("local args = room_args(ARGV)");
      expect(body).toMatch(/save_room\(room, keys, args\.ttl_ms\)/);
    }
  });

  it("takes the constants it shares with TypeScript from TypeScript", () => {
    const constants = new Map(
      topLevel(ADMISSION_LUA).flatMap((line) => {
        const match = /^local ([A-Z][A-Z0-9_]*) = (.+)$/.exec(line);
        return match ? [[match[1], Number(match[2])] as const] : [];
      }),
    );
    expect(constants.get("CLAIM_BUCKET")).toBe(CLAIM_BUCKET);
    expect(constants.get("MATURE_MS")).toBe(MATURE_MS);
    expect(constants.get("SMOOTHING")).toBe(SMOOTHING);
    expect(constants.get("MIN_SHOW_RATIO")).toBe(MIN_SHOW_RATIO);
    expect(constants.get("DECIDE_EVERY_MS")).toBe(DECIDE_EVERY_MS);
    expect(constants.get("MAX_SAMPLE_REQUESTS")).toBe(MAX_SAMPLE_REQUESTS);
    const bounds = topLevel(ADMISSION_LUA).find((line) => line.startsWith("local LATENCY_BOUNDS_MS = "));
    expect(
      bounds
        ?.replace(/^.*\{ | \}$/g, "")
        .split(", ")
        .map(Number),
    ).toEqual([...LATENCY_BOUNDS_MS]);
    // Each once: a second `local` of the same name would be a copy.
    const names = topLevel(ADMISSION_LUA).filter((line) => /^local [A-Z][A-Z0-9_]* =/.test(line));
    expect(new Set(names.map((line) => line.split(" ")[1])).size).toBe(names.length);
  });

  it("documents every KEYS and ARGV entry a script reads, in the script's file", () => {
    const files: [string, string][] = [
      ["join.ts", JOIN_LUA],
      ["tick.ts", TICK_LUA],
      ["claim.ts", CLAIM_LUA],
      ["settings.ts", SETTINGS_LUA],
      ["events.ts", EVENTS_READ_LUA + EVENTS_WRITE_LUA],
      ["history.ts", HISTORY_LUA],
      ["autopilot-read.ts", AUTOPILOT_READ_LUA],
    ];
    const undocumented: string[] = [];
    for (const [file, script] of files) {
      const source = readFileSync(join(LUA_DIR, file), "utf8");
      const body = script.startsWith(ADMISSION_LUA) ? script.slice(ADMISSION_LUA.length) : script;
      for (const [entry] of body.matchAll(/\b(?:KEYS|ARGV)\[\d+\]/g)) {
        if (!new RegExp(`^ \\* ${entry.replace(/[[\]]/g, "\\$&")}\\s+\\w`, "m").test(source))
          undocumented.push(`${file}: ${entry}`);
      }
    }
    // The entries every admission script shares (KEYS 1-14, ARGV 1-11) are documented with the library.
    const library = readFileSync(join(LUA_DIR, "advance.ts"), "utf8");
    for (const [kind, count] of [
      ["KEYS", 14],
      ["ARGV", 11],
    ] as const) {
      for (let i = 1; i <= count; i++) {
        if (!new RegExp(`^ \\* ${kind}\\[${i}\\]\\s+\\w`, "m").test(library))
          undocumented.push(`advance.ts: ${kind}[${i}]`);
      }
    }
    expect(undocumented).toEqual([]);
  });
});
