// The `anteroom` command: watch and steer a live room through its admin API.
//
//   anteroom rooms [--json]               every room with its live figures
//   anteroom status [--json] [--once]     live view (refreshes every 2 s on a terminal)
//   anteroom set-rate N                   admission rate, per minute
//   anteroom set-max-active N|off|default active-users cap
//   anteroom mode NAME                    auto | queue-all | paused | closed | passthrough
//   anteroom pause | resume               mode paused | mode auto
//   anteroom autopilot on|off [--min N] [--max N] [--target-p95 MS] [--max-errors X] [--timeout MS]
//   anteroom events list                  scheduled events
//   anteroom events add --starts T [--ends T] [--prequeue-from T] [--rate N] [--event-mode NAME] [--autopilot on|off] [--no-shuffle]
//   anteroom events remove ID
//   anteroom report [--since 2h | --event ID] [--json] [--out DIR]   history report (Markdown, JSON, SVG chart)
//   anteroom keys generate [CURRENT]      a new pass signing key (staged after the current ones)
//   anteroom keys promote KID CURRENT     make a staged key sign
//
// The room's URL and admin token come from --url/--token or ANTEROOM_URL and
// ANTEROOM_ADMIN_TOKEN; --room NAME (or ANTEROOM_ROOM) picks a room of a
// deployment with ROOMS for any room command (default: the first room). Exit codes: 0 done, 1 the room could not be reached or
// failed, 2 bad arguments, 3 the token was refused, 4 the room refused the change.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { HistoryReport } from "../worker/admin/history.ts";
import type { RoomStats } from "../worker/admin/stats.ts";
import { MODES } from "../worker/model/admission.ts";
import { newKeysMessage, promoteMessage } from "./keys.ts";
import { eventWindow, type ListedEvent, reportChart, reportMarkdown, sinceMs } from "./report.ts";

const EXIT = { ok: 0, unreachable: 1, usage: 2, unauthorized: 3, rejected: 4 } as const;

const USAGE = `usage: anteroom <command> [--url URL] [--token TOKEN] [--room NAME]

commands:
  rooms [--json]             every room (ROOMS) with its live figures
  status [--json] [--once]   show the room (refreshing every 2 s unless --json/--once or not a terminal)
  set-rate N                 set the admission rate (visitors per minute)
  set-max-active N|off|default  cap the visitors active at once (off: no cap; default: MAX_ACTIVE)
  mode NAME                  set the mode: ${MODES.join(" | ")}
  pause                      stop admitting (places are kept)
  resume                     back to mode auto
  autopilot on|off [--min N] [--max N] [--target-p95 MS] [--max-errors X] [--timeout MS]
                             let the origin's health set the rate (on), or the operator (off), within
                             N visitors per minute, aiming at the origin's p95 latency (ms) and error
                             share (X: 0.01 or 1%); --timeout: ms before an origin request counts as failed
  events list                scheduled events
  events add --starts TIME [--ends TIME] [--prequeue-from TIME] [--rate N] [--event-mode NAME] [--autopilot on|off] [--no-shuffle]
                             schedule an event (TIME: ISO 8601, e.g. 2026-12-01T18:00:00Z)
  events remove ID           cancel a scheduled event
  report [--since 2h | --event ID] [--json] [--out DIR]
                             the room's history per minute and in total (arrivals, admitted, gave up,
                             waits, peaks, the origin) as Markdown (or --json) on stdout, or in DIR as
                             report.md (report.json) and report.svg (a chart; needs vega and vega-lite)
  keys generate [CURRENT]     a new pass signing key (staged after CURRENT keys, if given)
  keys promote KID CURRENT   make the staged key KID sign

--room NAME: the room a command is for (default: the first room)
environment: ANTEROOM_URL, ANTEROOM_ADMIN_TOKEN, ANTEROOM_ROOM`;

class CliError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

async function keys([action, ...args]: string[]): Promise<number> {
  if (action === "generate" && args.length <= 1) console.log(await newKeysMessage(args[0]));
  else if (action === "promote" && args.length === 2) console.log(promoteMessage(args[0] ?? "", args[1] ?? ""));
  else throw new CliError(EXIT.usage, "usage: anteroom keys generate [CURRENT_KEYS] | keys promote KID CURRENT_KEYS");
  return EXIT.ok;
}

interface Target {
  readonly url: string;
  readonly token: string;
  /** The room (--room); null: the first room, at the admin API's single-room addresses. */
  readonly room: string | null;
}

async function main(argv: string[]): Promise<number> {
  // Key commands take no options, and a kid (a base64url thumbprint) may begin with "-",
  // which an option parser would take for a flag.
  if (argv[0] === "keys") return keys(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      room: { type: "string" },
      json: { type: "boolean", default: false },
      once: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      starts: { type: "string" },
      ends: { type: "string" },
      "prequeue-from": { type: "string" },
      rate: { type: "string" },
      "event-mode": { type: "string" },
      autopilot: { type: "string" },
      "no-shuffle": { type: "boolean", default: false },
      min: { type: "string" },
      max: { type: "string" },
      "target-p95": { type: "string" },
      "max-errors": { type: "string" },
      timeout: { type: "string" },
      since: { type: "string" },
      event: { type: "string" },
      out: { type: "string" },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const target = resolveTarget(values.url, values.token, values.room);
  switch (command) {
    case "rooms":
      if (rest.length !== 0) throw new CliError(EXIT.usage, "usage: anteroom rooms [--json]");
      return rooms(target, values.json);
    case "status":
      return status(target, values.json, values.once || values.json || !process.stdout.isTTY);
    case "set-rate": {
      const rate = Number(rest[0]);
      if (rest.length !== 1 || !Number.isFinite(rate) || rate <= 0) {
        throw new CliError(EXIT.usage, "usage: anteroom set-rate N (N: visitors per minute, above 0)");
      }
      return change(target, { ratePerMinute: rate });
    }
    case "set-max-active": {
      const value = rest[0] ?? "";
      const cap =
        value === "off" ? 0 : value === "default" ? null : /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
      if (rest.length !== 1 || Number.isNaN(cap)) {
        throw new CliError(EXIT.usage, "usage: anteroom set-max-active N|off|default (N: visitors active at once)");
      }
      return change(target, { maxActive: cap });
    }
    case "mode": {
      const mode = rest[0] ?? "";
      if (rest.length !== 1 || !(MODES as readonly string[]).includes(mode)) {
        throw new CliError(EXIT.usage, `usage: anteroom mode NAME (one of ${MODES.join(", ")})`);
      }
      return change(target, { mode });
    }
    case "pause":
      return change(target, { mode: "paused" });
    case "resume":
      return change(target, { mode: "auto" });
    case "autopilot":
      return autopilot(target, rest, values);
    case "events":
      return events(target, rest, values);
    case "report":
      return report(target, rest, values);
    default:
      throw new CliError(EXIT.usage, `unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  }
}

function resolveTarget(url: string | undefined, token: string | undefined, room: string | undefined): Target {
  const base = url ?? process.env.ANTEROOM_URL;
  const name = room ?? process.env.ANTEROOM_ROOM ?? null;
  if (name !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new CliError(
      EXIT.usage,
      `--room must be a room name (letters, digits, - and _), got ${JSON.stringify(name)}`,
    );
  }
  const secret = token ?? process.env.ANTEROOM_ADMIN_TOKEN;
  if (!base) throw new CliError(EXIT.usage, "the room's URL is missing: pass --url or set ANTEROOM_URL");
  if (!secret) throw new CliError(EXIT.usage, "the admin token is missing: pass --token or set ANTEROOM_ADMIN_TOKEN");
  try {
    new URL(base);
  } catch {
    throw new CliError(EXIT.usage, `--url is not a URL: ${JSON.stringify(base)}`);
  }
  return { url: base.replace(/\/$/, ""), token: secret, room: name };
}

/**
 * Calls the admin API: a room's endpoint under `/rooms/NAME` when --room is
 * given, at the single-room address otherwise; `/rooms` itself as it is.
 */
async function call(target: Target, path: string, init: RequestInit = {}): Promise<unknown> {
  const room = target.room === null || path === "/rooms" ? "" : `/rooms/${encodeURIComponent(target.room)}`;
  let res: Response;
  try {
    res = await fetch(`${target.url}/__anteroom/admin${room}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${target.token}`, "content-type": "application/json" },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : "";
    throw new CliError(EXIT.unreachable, `cannot reach the room at ${target.url} (${reason})`);
  }
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (res.status === 401) throw new CliError(EXIT.unauthorized, "the room refused the admin token");
  if (res.status === 404 && body?.error?.code === "room_not_found") {
    throw new CliError(EXIT.rejected, `${body.error.message ?? "no such room"} (anteroom rooms lists them)`);
  }
  if (res.status === 404 && body?.error?.code === "event_not_found") {
    throw new CliError(EXIT.rejected, body.error.message ?? "no such event");
  }
  if (res.status === 404) {
    throw new CliError(EXIT.unreachable, `no admin API at ${target.url} (is ADMIN_TOKEN set on the room?)`);
  }
  if (res.status === 400)
    throw new CliError(EXIT.rejected, `the room refused the change: ${body?.error?.message ?? ""}`);
  if (!res.ok) throw new CliError(EXIT.unreachable, `the room answered ${res.status}: ${body?.error?.message ?? ""}`);
  return body;
}

async function change(target: Target, patch: Record<string, unknown>, showAutopilot = false): Promise<number> {
  const settings = (await call(target, "/settings", { method: "PATCH", body: JSON.stringify(patch) })) as Record<
    string,
    unknown
  >;
  const cap = settings.maxActive ? `at most ${settings.maxActive} active` : "no active-users cap";
  console.log(`mode ${settings.mode}, ${settings.ratePerMinute}/min, sessions ${settings.sessionMinutes} min, ${cap}`);
  if (showAutopilot) {
    const limits = autopilotLimits({
      minRate: settings.autopilotMinRate as number | null,
      maxRate: settings.autopilotMaxRate as number | null,
      targetP95Ms: settings.originTargetP95Ms as number | null,
      maxErrorRate: settings.originMaxErrorRate as number | null,
    });
    const timeout = settings.originTimeoutMs == null ? "" : `, origin timeout ${settings.originTimeoutMs} ms`;
    console.log(`autopilot ${settings.autopilot}${limits ? `, ${limits}` : ""}${timeout}`);
  }
  return EXIT.ok;
}

const REPORT_USAGE =
  "usage: anteroom report [--since 2h | --event ID] [--json] [--out DIR] (--since: 90m, 2h, 1d; at most 48h)";

/** `report`: the history over `--since` (default 2h) or an event's window, as Markdown or JSON, and a chart with --out. */
async function report(
  target: Target,
  args: string[],
  options: { since?: string; event?: string; json: boolean; out?: string },
): Promise<number> {
  if (args.length > 0 || (options.since !== undefined && options.event !== undefined)) {
    throw new CliError(EXIT.usage, REPORT_USAGE);
  }
  const now = Date.now();
  let window: { from: number; to: number };
  let what: string;
  if (options.event !== undefined) {
    const listed = (await call(target, "/events")) as { events: ListedEvent[] };
    const event = listed.events.find((e) => e.id === options.event);
    if (!event) {
      throw new CliError(
        EXIT.rejected,
        `no event ${JSON.stringify(options.event)} in the room's list (anteroom events list; an event over is dropped when another is added: use --since)`,
      );
    }
    const found = eventWindow(event, now);
    if ("error" in found) throw new CliError(EXIT.rejected, found.error);
    window = found;
    what = `event ${event.id}${found.clipped ? ", its last 48 hours" : ""}`;
  } else {
    const since = sinceMs(options.since ?? "2h");
    if (since === null) {
      throw new CliError(
        EXIT.usage,
        `--since must be a duration up to 48h, got ${JSON.stringify(options.since)}\n${REPORT_USAGE}`,
      );
    }
    window = { from: now - since, to: now };
    what = `the last ${options.since ?? "2h"}`;
  }
  const history = (await call(target, `/history?from=${window.from}&to=${window.to}`)) as HistoryReport & {
    room: string;
  };
  const json = `${JSON.stringify({ ...history, window: what }, null, 2)}\n`;
  if (options.out === undefined) {
    process.stdout.write(options.json ? json : reportMarkdown(history, what));
    return EXIT.ok;
  }
  await mkdir(options.out, { recursive: true });
  const svg = await reportChart(history, `Anteroom, room ${history.room}: ${what}`);
  if (svg !== null) await writeFile(join(options.out, "report.svg"), svg);
  const file = join(options.out, options.json ? "report.json" : "report.md");
  await writeFile(file, options.json ? json : reportMarkdown(history, what, svg === null ? undefined : "report.svg"));
  console.log(`wrote ${file}${svg === null ? "" : ` and ${join(options.out, "report.svg")}`}`);
  if (svg === null)
    console.error("anteroom: no chart: install vega and vega-lite (npm install vega vega-lite) to draw it");
  return EXIT.ok;
}

const AUTOPILOT_USAGE =
  "usage: anteroom autopilot on|off [--min N] [--max N] [--target-p95 MS] [--max-errors X] [--timeout MS]";

/** `autopilot on|off` with its limits: one PATCH, so the switch and its limits apply together. */
async function autopilot(
  target: Target,
  args: string[],
  options: { min?: string; max?: string; "target-p95"?: string; "max-errors"?: string; timeout?: string },
): Promise<number> {
  const [state] = args;
  if (args.length !== 1 || (state !== "on" && state !== "off")) throw new CliError(EXIT.usage, AUTOPILOT_USAGE);
  // The room checks the ranges and names the field; here only what is not a number at all.
  const number = (flag: string, text: string | undefined, percent = false): number | undefined => {
    if (text === undefined) return undefined;
    const value = percent && text.endsWith("%") ? Number(text.slice(0, -1)) / 100 : Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) {
      throw new CliError(EXIT.usage, `--${flag} must be a number, got ${JSON.stringify(text)}\n${AUTOPILOT_USAGE}`);
    }
    return value;
  };
  const patch = {
    autopilot: state,
    autopilotMinRate: number("min", options.min),
    autopilotMaxRate: number("max", options.max),
    originTargetP95Ms: number("target-p95", options["target-p95"]),
    originMaxErrorRate: number("max-errors", options["max-errors"], true),
    originTimeoutMs: number("timeout", options.timeout),
  };
  return change(target, patch, true);
}

/** "within 10-1000/min, target p95 800 ms, errors at most 1%", leaving out what is unknown. */
function autopilotLimits(limits: {
  minRate: number | null;
  maxRate: number | null;
  targetP95Ms: number | null;
  maxErrorRate: number | null;
}): string {
  return [
    limits.minRate === null || limits.maxRate === null ? "" : `within ${limits.minRate}-${limits.maxRate}/min`,
    limits.targetP95Ms === null ? "" : `target p95 ${limits.targetP95Ms} ms`,
    limits.maxErrorRate === null ? "" : `errors at most ${percent(limits.maxErrorRate)}`,
  ]
    .filter(Boolean)
    .join(", ");
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

interface EventJson {
  id: string;
  startsAt: string;
  endsAt: string | null;
  prequeueFrom: string | null;
  ratePerMinute: number | null;
  mode: string | null;
  autopilot: boolean | null;
  shuffleAtStart: boolean;
  phase: string;
  prequeued: number;
}

const EVENTS_USAGE =
  "usage: anteroom events list | events add --starts TIME [--ends TIME] [--prequeue-from TIME] [--rate N] [--event-mode NAME] [--autopilot on|off] [--no-shuffle] | events remove ID";

async function events(
  target: Target,
  args: string[],
  options: {
    starts?: string;
    ends?: string;
    "prequeue-from"?: string;
    rate?: string;
    "event-mode"?: string;
    autopilot?: string;
    "no-shuffle"?: boolean;
  },
): Promise<number> {
  const [action, ...rest] = args;
  if (action === "list" && rest.length === 0) {
    const { events } = (await call(target, "/events")) as { events: EventJson[] };
    if (events.length === 0) console.log("no events scheduled");
    for (const e of events) console.log(describeEvent(e));
    return EXIT.ok;
  }
  if (action === "remove" && rest.length === 1) {
    await call(target, `/events/${encodeURIComponent(rest[0] ?? "")}`, { method: "DELETE" });
    console.log(`removed ${rest[0]}`);
    return EXIT.ok;
  }
  if (action === "add" && rest.length === 0) {
    if (!options.starts) throw new CliError(EXIT.usage, `--starts is required\n${EVENTS_USAGE}`);
    const rate = options.rate === undefined ? undefined : Number(options.rate);
    if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) {
      throw new CliError(EXIT.usage, "--rate must be a number above 0 (visitors per minute)");
    }
    const autopilot = options.autopilot;
    if (autopilot !== undefined && autopilot !== "on" && autopilot !== "off") {
      throw new CliError(EXIT.usage, "--autopilot must be on or off (while the event is in force)");
    }
    const body = {
      startsAt: options.starts,
      endsAt: options.ends,
      prequeueFrom: options["prequeue-from"],
      ratePerMinute: rate,
      mode: options["event-mode"],
      autopilot: autopilot === undefined ? undefined : autopilot === "on",
      shuffleAtStart: options["prequeue-from"] && options["no-shuffle"] ? false : undefined,
    };
    const { event } = (await call(target, "/events", { method: "POST", body: JSON.stringify(body) })) as {
      event: EventJson;
    };
    console.log(`scheduled ${describeEvent(event)}`);
    return EXIT.ok;
  }
  throw new CliError(EXIT.usage, EVENTS_USAGE);
}

function describeEvent(e: EventJson): string {
  const changes = [
    e.prequeueFrom ? `pre-queue from ${e.prequeueFrom}${e.shuffleAtStart ? " (lottery)" : " (arrival order)"}` : "",
    e.ratePerMinute === null ? "" : `rate ${e.ratePerMinute}/min`,
    e.mode === null ? "" : `mode ${e.mode}`,
    e.autopilot == null ? "" : `autopilot ${e.autopilot ? "on" : "off"}`,
    e.prequeued > 0 ? `${e.prequeued} pre-queued` : "",
  ].filter(Boolean);
  return `${e.id}  ${e.phase}  ${e.startsAt} to ${e.endsAt ?? "next event"}  ${changes.join(", ")}`;
}

type Stats = RoomStats;

interface RoomLine {
  room: string;
  hosts: string[];
  paths: string[];
  mode?: string;
  ratePerMinute?: number;
  queueLength?: number;
  activeVisitors?: number;
  maxActive?: number | null;
  admittedLastMinute?: number;
  error?: { code: string };
}

/** `rooms`: one line per room, its matching and its live figures. */
async function rooms(target: Target, json: boolean): Promise<number> {
  const { rooms } = (await call(target, "/rooms")) as { rooms: RoomLine[] };
  if (json) {
    console.log(JSON.stringify(rooms, null, 2));
    return EXIT.ok;
  }
  for (const r of rooms) {
    const where = `${r.hosts.length > 0 ? r.hosts.join(",") : "any host"} ${r.paths.join(",")}`;
    const figures = r.error
      ? "store not answering"
      : `mode ${r.mode}   rate ${r.ratePerMinute}/min   waiting ${r.queueLength}   active ${r.activeVisitors}${r.maxActive ? ` of ${r.maxActive}` : ""}   admitted last minute ${r.admittedLastMinute}`;
    console.log(`${r.room}   ${where}   ${figures}`);
  }
  return EXIT.ok;
}

async function status(target: Target, json: boolean, once: boolean): Promise<number> {
  for (;;) {
    const stats = (await call(target, "/stats")) as Stats;
    if (json) console.log(JSON.stringify(stats, null, 2));
    else {
      if (!once) process.stdout.write("\u001b[2J\u001b[H");
      console.log(render(stats));
    }
    if (once) return EXIT.ok;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function render(stats: Stats): string {
  const eta = stats.etaSecondsForNewcomer === null ? "-" : `${Math.ceil(stats.etaSecondsForNewcomer / 60)} min`;
  const recent = stats.history.slice(-10);
  const peak = Math.max(1, ...recent.map((m) => Math.max(m.arrivals, m.admissions)));
  const bar = (n: number) => "#".repeat(Math.round((n / peak) * 30));
  const cap = stats.maxActive === null ? "" : ` of ${stats.maxActive}`;
  return [
    `room ${stats.room}   mode ${stats.mode}   rate ${stats.ratePerMinute}/min   at ${stats.at}`,
    `waiting ${stats.queueLength}   admitted last minute ${stats.admittedLastMinute}   admitted total ${stats.admittedTotal}   newcomer's wait ${eta}`,
    `active ${stats.activeVisitors}${cap}`,
    ...autopilotLines(stats.autopilot),
    "",
    "minute  arrivals  admissions  queue   rate  origin p95",
    ...recent.map(
      (m) =>
        `${m.minute.slice(11, 16)}  ${String(m.arrivals).padStart(8)}  ${String(m.admissions).padStart(10)}  ${String(m.queueLength).padStart(5)}  ${String(m.ratePerMinute ?? "-").padStart(5)}  ${(m.origin?.p95Ms == null ? "-" : `${m.origin.p95Ms} ms`).padStart(10)}  ${bar(m.admissions)}`,
    ),
  ].join("\n");
}

/** The autopilot in a few lines: switch and limits, the origin, the last change, what it learned and does. */
function autopilotLines(autopilot: Stats["autopilot"] | undefined): string[] {
  // A room running an older worker has no autopilot block.
  if (!autopilot) return [];
  const limits = autopilotLimits(autopilot);
  const lines = [
    autopilot.on
      ? `autopilot on   rate ${autopilot.ratePerMinute}/min${limits ? `   ${limits}` : ""}`
      : `autopilot off (the rate is the operator's)${limits ? `   when on: ${limits}` : ""}`,
  ];
  const origin = autopilot.origin;
  if (origin.requests !== null) {
    const p = (ms: number | null) => (ms === null ? "-" : `${ms} ms`);
    lines.push(
      `origin, last minute: ${origin.requests} requests   p50 ${p(origin.p50Ms)}   p95 ${p(origin.p95Ms)}   errors ${percent(origin.errorRate ?? 0)}`,
    );
  } else {
    lines.push("origin, last minute: not known (the store did not answer)");
  }
  if (autopilot.lastChange)
    lines.push(`last change ${autopilot.lastChange.at.slice(11, 19)}: ${autopilot.lastChange.reason}`);
  const learned = autopilot.learnedCapacity === null ? "not known yet" : `${autopilot.learnedCapacity}/min`;
  lines.push(`learned capacity ${learned}${autopilot.status ? `   ${autopilot.status}` : ""}`);
  return lines;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliError) {
      console.error(`anteroom: ${error.message}`);
      process.exit(error.exitCode);
    }
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      console.error(`anteroom: ${error.message}\n\n${USAGE}`);
      process.exit(EXIT.usage);
    }
    console.error(`anteroom: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(EXIT.unreachable);
  },
);
