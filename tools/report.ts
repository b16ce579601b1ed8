// `anteroom report`: a room's history as Markdown, JSON and an SVG chart,
// built from `GET /__anteroom/admin/history` (the CLI fetches, this file
// shapes). The chart is drawn with Vega-Lite; vega and vega-lite are loaded
// only when a chart is asked for, so the CLI works without them (the chart is
// then left out, saying how to get it).
import type { HistoryMinute, HistoryReport, Waits } from "../worker/admin/history.ts";

/** The longest `--since`: the history the room keeps. */
export const MAX_SINCE_MS = 48 * 3_600_000;

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since` as ms: a number and a unit, m, h or d ("90m", "2h", "1.5d");
 * null when it is not one or exceeds 48 hours.
 *
 * @example
 * ```ts
 * sinceMs("2h"); // 7_200_000
 * ```
 */
export function sinceMs(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)([mhd])$/.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * (UNITS[match[2] ?? ""] ?? Number.NaN);
  return ms > 0 && ms <= MAX_SINCE_MS ? ms : null;
}

/** An event as `GET /events` lists it (the fields the report needs). */
export interface ListedEvent {
  readonly id: string;
  readonly startsAt: string;
  readonly endsAt: string | null;
  readonly prequeueFrom: string | null;
}

/**
 * The window of an event's report: from its pre-queue (else its start) to its
 * end (else now), at most 48 hours ending at the end; an error in words when
 * it has not begun.
 */
export function eventWindow(
  event: ListedEvent,
  now: number,
): { from: number; to: number; clipped: boolean } | { error: string } {
  const opens = Date.parse(event.prequeueFrom ?? event.startsAt);
  if (opens > now) return { error: `event ${event.id} has not begun (it opens ${new Date(opens).toISOString()})` };
  const to = Math.min(now, event.endsAt === null ? now : Date.parse(event.endsAt));
  const from = Math.max(opens, to - MAX_SINCE_MS);
  return { from, to, clipped: from > opens };
}

const number = (n: number | null | undefined) => (n === null || n === undefined ? "–" : n.toLocaleString("en-US"));
const waits = (w: Waits | null) => (w === null ? "–" : `${w.p50} / ${w.p95} / ${w.max}`);
const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

/**
 * The report as Markdown: the totals, then one row a minute.
 *
 * @example
 * ```ts
 * console.log(reportMarkdown(report, "default", "the last 2 hours"));
 * ```
 */
export function reportMarkdown(report: HistoryReport & { room?: string }, what: string, chart?: string): string {
  const t = report.totals;
  const lines = [
    `# Anteroom report${report.room ? `: room ${report.room}` : ""}`,
    "",
    `${utc(report.from)} to ${utc(report.to)} UTC (${what}).`,
    "",
    "| | total |",
    "|---|---:|",
    `| arrivals (places handed out) | ${number(t.arrivals)} |`,
    `| admitted (places offered) | ${number(t.admitted)} |`,
    `| places used | ${number(t.used)} |`,
    `| gave up (offers lapsed unused) | ${number(t.gaveUp)} |`,
    `| offers still open at the end | ${number(t.offersOpen)} |`,
    `| wait p50 / p95 / max (minutes) | ${waits(t.waitMinutes)} |`,
    `| peak queue | ${number(t.peakQueue)} |`,
    `| peak active | ${number(t.peakActive)} |`,
    `| origin requests / errors | ${number(t.originRequests)} / ${number(t.originErrors)} |`,
    `| origin p95, worst minute (ms) | ${number(t.originP95MaxMs)} |`,
    "",
  ];
  if (chart) lines.push(`![arrivals, admissions, queue, waits and the origin per minute](${chart})`, "");
  lines.push(
    "## Per minute",
    "",
    "| minute (UTC) | arrivals | admitted | used | gave up | peak queue | peak active | wait p50 / p95 / max (min) | rate/min | origin requests | origin errors | origin p95 (ms) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...report.minutes.map(
      (m) =>
        `| ${utc(m.minute)} | ${number(m.arrivals)} | ${number(m.admitted)} | ${number(m.used)} | ${number(m.gaveUp)} | ${number(m.peakQueue)} | ${number(m.peakActive)} | ${waits(m.waitMinutes)} | ${number(m.ratePerMinute)} | ${number(m.origin?.requests)} | ${number(m.origin?.errors)} | ${number(m.origin?.p95Ms)} |`,
    ),
    "",
    "Waits are whole minutes between the minute a place was handed out and the minute the line reached it (±1 minute).",
    "Gave up counts offers nobody used within OFFER_SECONDS (uses matched to offers oldest first): people who left the line and people who never came back for their turn alike.",
    "",
  );
  return lines.join("\n");
}

/** The chart's panels, top to bottom, and what each shows of a minute. */
const PANELS: readonly { panel: string; series: readonly [string, (m: HistoryMinute) => number | null][] }[] = [
  {
    panel: "people per minute",
    series: [
      ["arrivals", (m) => m.arrivals],
      ["admitted", (m) => m.admitted],
      ["gave up", (m) => m.gaveUp],
    ],
  },
  {
    panel: "queue and active (peaks)",
    series: [
      ["peak queue", (m) => m.peakQueue],
      ["peak active", (m) => m.peakActive],
    ],
  },
  { panel: "wait p95 (minutes)", series: [["wait p95", (m) => m.waitMinutes?.p95 ?? null]] },
  { panel: "origin p95 (ms)", series: [["origin p95", (m) => m.origin?.p95Ms ?? null]] },
];

/**
 * The chart as SVG, drawn by Vega-Lite (headless); null when vega or
 * vega-lite is not installed (they are not dependencies of the CLI: only the
 * chart needs them).
 */
export async function reportChart(report: HistoryReport, title: string): Promise<string | null> {
  let vega: typeof import("vega");
  let vegaLite: typeof import("vega-lite");
  try {
    [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  } catch {
    return null;
  }
  const values = report.minutes.flatMap((m) =>
    PANELS.flatMap(({ panel, series }) =>
      series.flatMap(([name, pick]) => {
        const value = pick(m);
        return value === null ? [] : [{ t: m.minute, panel, series: name, value }];
      }),
    ),
  );
  const spec: import("vega-lite").TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, anchor: "start", fontSize: 14 },
    data: { values },
    facet: {
      row: {
        field: "panel",
        type: "nominal",
        sort: PANELS.map((p) => p.panel),
        title: null,
        header: { labelOrient: "top", labelAngle: 0, labelAnchor: "start", labelFontWeight: "bold" },
      },
    },
    spec: {
      width: 820,
      height: 110,
      mark: { type: "line", strokeWidth: 1.4, point: values.length < 200 },
      encoding: {
        x: { field: "t", type: "temporal", title: "time (UTC)", timeUnit: "utcyearmonthdatehoursminutes" },
        y: { field: "value", type: "quantitative", title: null, axis: { tickCount: 4 } },
        color: { field: "series", type: "nominal", title: null, legend: { orient: "top" } },
      },
    },
    resolve: { scale: { y: "independent" } },
    config: { font: "DejaVu Sans, Arial, sans-serif", background: "white" },
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}
