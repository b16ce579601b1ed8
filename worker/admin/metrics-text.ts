/**
 * The Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): metric
 * families in, text out. Written here rather than taken from a client
 * library because those keep global registries and Node-only timers, and the
 * format is small: a `# HELP` and a `# TYPE` line per family, then one line
 * per sample, `name{label="value",...} number`. Label values escape `\`, `"`
 * and newlines; HELP text escapes `\` and newlines.
 */

/** The Content-Type of {@link exposition}'s text. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The types 0.0.4 knows that Anteroom uses. */
export type MetricType = "counter" | "gauge" | "histogram";

/** One sample: its name's suffix (a histogram's `_bucket`, `_count`), its labels and its value. */
export interface MetricSample {
  /** Appended to the family's name, e.g. `_bucket`; none for counters and gauges. */
  readonly suffix?: "_bucket" | "_count" | "_sum";
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family: every sample of one name, under one HELP and TYPE. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly MetricSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The exposition text of `families`, in their order; a family without
 * samples is left out (a HELP without a sample says nothing).
 *
 * @throws {TypeError} on an invalid metric or label name, or a family named twice: a bug, not input.
 * @example
 * ```ts
 * exposition([{ name: "anteroom_queue_length", help: "Visitors waiting.", type: "gauge",
 *   samples: [{ labels: { room: "shop" }, value: 12 }] }]);
 * // # HELP anteroom_queue_length Visitors waiting.
 * // # TYPE anteroom_queue_length gauge
 * // anteroom_queue_length{room="shop"} 12
 * ```
 */
export function exposition(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw new TypeError(`invalid metric name ${JSON.stringify(family.name)}`);
    if (seen.has(family.name)) throw new TypeError(`metric ${family.name} given twice`);
    seen.add(family.name);
    if (family.samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      lines.push(`${family.name}${sample.suffix ?? ""}${labelSet(sample.labels)} ${sampleValue(sample.value)}`);
    }
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

function labelSet(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([name, value]) => {
    if (!LABEL_NAME.test(name) || name.startsWith("__"))
      throw new TypeError(`invalid label name ${JSON.stringify(name)}`);
    return `${name}="${escapeLabelValue(value)}"`;
  });
  return pairs.length > 0 ? `{${pairs.join(",")}}` : "";
}

/**
 * A label value as the format writes it between quotes.
 *
 * @example
 * ```ts
 * escapeLabelValue('a"b\\c\nd'); // 'a\\"b\\\\c\\nd'
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A number as the format writes it: Go's float syntax, with `+Inf`, `-Inf` and `NaN`. */
export function sampleValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}
