import sharp from "sharp";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** One line of the chart: a run (or a reference) and a panel. */
export interface ChartPoint {
  readonly t: number;
  readonly panel: string;
  readonly series: string;
  readonly value: number | null;
}

export const WITH_ROOM = "with the room";
export const WITHOUT_ROOM = "without the room";
/** Reference lines: the configured rate (with the autopilot: the sustainable rate), the origin's capacity. */
export const REFERENCE = "configured (autopilot: sustainable) rate / capacity";
/** The rate the autopilot set, second by second. */
export const AUTOPILOT_RATE = "autopilot rate";
/** The autopilot's p95 target. */
export const TARGET = "p95 target";

/** Every series the chart knows, in legend order, with its colour and dash. */
const SERIES: readonly { name: string; color: string; dash: number[] }[] = [
  { name: WITH_ROOM, color: "#1f77b4", dash: [1, 0] },
  { name: WITHOUT_ROOM, color: "#d62728", dash: [1, 0] },
  { name: AUTOPILOT_RATE, color: "#2ca02c", dash: [1, 0] },
  { name: REFERENCE, color: "#7f7f7f", dash: [5, 4] },
  { name: TARGET, color: "#ff7f0e", dash: [2, 3] },
];

/**
 * Renders the surge chart with Vega-Lite (headless, no browser): one panel per
 * measure, stacked, time in profile minutes on x, one line per run. Returns the
 * SVG and a PNG made from it (sharp).
 */
export async function renderChart(
  points: readonly ChartPoint[],
  panels: readonly string[],
  title: string,
): Promise<{ svg: string; png: Buffer }> {
  // Only the series drawn get a legend entry.
  const present = new Set(points.filter((p) => p.value !== null).map((p) => p.series));
  const shown = SERIES.filter((x) => present.has(x.name));
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, anchor: "start", fontSize: 14 },
    data: { values: points.filter((p) => p.value !== null) as unknown as Record<string, unknown>[] },
    facet: {
      row: {
        field: "panel",
        type: "nominal",
        sort: [...panels],
        title: null,
        header: { labelOrient: "top", labelAngle: 0, labelAnchor: "start", labelFontSize: 12, labelFontWeight: "bold" },
      },
    },
    spec: {
      width: 820,
      height: 120,
      mark: { type: "line", strokeWidth: 1.4 },
      encoding: {
        x: { field: "t", type: "quantitative", title: "time (profile minutes)" },
        y: { field: "value", type: "quantitative", title: null, axis: { format: ",d", tickCount: 4 } },
        color: {
          field: "series",
          type: "nominal",
          title: null,
          scale: { domain: shown.map((x) => x.name), range: shown.map((x) => x.color) },
          legend: { orient: "top", labelLimit: 400 },
        },
        strokeDash: {
          field: "series",
          type: "nominal",
          scale: { domain: shown.map((x) => x.name), range: shown.map((x) => x.dash) },
        },
      },
    },
    resolve: { scale: { y: "independent" } },
    config: { font: "DejaVu Sans, Arial, sans-serif", background: "white" },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const png = await sharp(Buffer.from(svg), { density: 110 }).png().toBuffer();
  return { svg, png };
}
