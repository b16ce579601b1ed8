// The fleet's table for BENCHMARKS.md from surge reports (issue 14):
//   node bench/fleet-table.ts bench/out/fleet-*
// One row per report directory (its report.json), in the order given.
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";

interface Report {
  fleet?: {
    instances: number;
    redisLatencyMs: number;
    evictions: number;
    redisScriptCalls: { perSecond: number | null; perInstanceMeanPerSecond: number | null };
    sharedPositions: { positions: number; visitors: number };
    flush: { waitingAtFlush: number; overtakenByLaterArrivals: number; letInBeforeLaterArrivals: number } | null;
    outage: { fallbackAdmissions: number; allowance: number; ratio: number | null } | null;
  };
  timeCompression: { realSecondsPerProfileMinute: number };
  withRoom: {
    admissionRatio: { min: number | null; max: number | null; minutes: number } | null;
    fifoInversions: number;
    waitPredictionError: { medianAbsSeconds: number; p90AbsSeconds: number } | null;
    showRatio: { min: number; max: number } | null;
    visitors: { admitted: number; arrived: number };
  };
}

const rows = process.argv.slice(2).filter((dir) => existsSync(join(dir, "report.json")));
if (rows.length === 0) {
  console.error("fleet-table: give report directories, e.g. bench/out/fleet-*");
  process.exit(2);
}
console.log(
  "| run | N | ms to Redis | evictions | let in / arrived | admissions / rate, full minutes | FIFO inversions | wait prediction error, s (median / p90) | show ratio | script calls/s (all / per instance) | shared positions | waiting at flush: overtaken | fallback admissions / allowance |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const dir of rows) {
  const r = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as Report;
  const f = r.fleet;
  const w = r.withRoom;
  const a = w.admissionRatio;
  const cells = [
    basename(dir).replace(/^fleet-/, ""),
    f?.instances ?? 1,
    f?.redisLatencyMs ?? 0,
    f?.evictions ?? 0,
    `${w.visitors.admitted} / ${w.visitors.arrived}`,
    a ? `${a.min}-${a.max} (${a.minutes})` : "–",
    w.fifoInversions,
    w.waitPredictionError ? `${w.waitPredictionError.medianAbsSeconds} / ${w.waitPredictionError.p90AbsSeconds}` : "–",
    w.showRatio ? `${w.showRatio.min}-${w.showRatio.max}` : "–",
    f ? `${f.redisScriptCalls.perSecond} / ${f.redisScriptCalls.perInstanceMeanPerSecond}` : "–",
    f ? `${f.sharedPositions.positions} (${f.sharedPositions.visitors} visitors)` : "–",
    f?.flush ? `${f.flush.overtakenByLaterArrivals} of ${f.flush.waitingAtFlush}` : "–",
    f?.outage ? `${f.outage.fallbackAdmissions} / ${f.outage.allowance} (${f.outage.ratio})` : "–",
  ];
  console.log(`| ${cells.join(" | ")} |`);
}
