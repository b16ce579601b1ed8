// The site behind the room, run in a worker thread so the visitors' event loop
// cannot distort its timings. Two kinds (workerData.kind):
//
//   "limited"  a capacity-limited app: `capacity` requests are served at once,
//              each for about `serviceMs`; the rest wait in a FIFO backlog.
//              Beyond capacity latency climbs (the backlog), then requests fail:
//              503 once one has waited `maxWaitMs`, or at once when the backlog
//              holds `backlogLimit` requests. Like a real app with a worker pool.
//   "fast"     answers at once with a small page (for `npm run bench`).
//
// A request for RELEASE_PATH (bench/lib/release.ts) that is served (not a 503)
// is answered with the early-release header, as a shop's checkout would.
//
// Messages from the parent: {type:"reset", epoch} starts a new measurement
// (time 0 = epoch, wall-clock ms) at the starting capacity; {type:"capacity",
// capacity} changes the slots from now on (late autoscaling, or a loss of
// capacity: requests already being served finish, and none starts while more
// than the new capacity are active); {type:"report"} asks for per-second
// buckets and totals. The thread
// posts {type:"ready", url} once listening and {type:"tick", ...} every 500 ms.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { RELEASE_HEADER, RELEASE_PATH } from "./release.ts";

export interface OriginOptions {
  readonly kind: "limited" | "fast";
  readonly capacity: number;
  readonly serviceMs: number;
  readonly maxWaitMs: number;
  readonly backlogLimit: number;
}

/** One second of the origin's life. */
export interface OriginBucket {
  readonly second: number;
  readonly requests: number;
  readonly ok: number;
  readonly errors: number;
  readonly maxInFlight: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** Slots in force at the end of the second (`capacity` messages change it). */
  readonly capacity: number;
}

export interface OriginReport {
  readonly buckets: OriginBucket[];
  readonly requests: number;
  readonly ok: number;
  readonly errors: number;
  readonly peakInFlight: number;
  readonly peakActive: number;
  readonly latencyMs: { p50: number | null; p95: number | null; max: number | null };
}

export interface OriginTick {
  readonly type: "tick";
  readonly inFlight: number;
  readonly requests: number;
  readonly errors: number;
  readonly recentP95Ms: number | null;
  readonly capacity: number;
}

const options = workerData as OriginOptions;
const port = parentPort;
if (!port) throw new Error("origin-thread.ts runs as a worker thread");

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body><h1>Shop</h1>${"<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>".repeat(24)}</body></html>`;

/** Wall-clock ms of time 0, shared with the parent so buckets line up with its own. */
let epoch = Date.now();
/** Slots in force, and the backlog bound that goes with them (the same share of the capacity as at the start). */
let capacity = options.capacity;
let backlogLimit = options.backlogLimit;
let active = 0;
const backlog: { start: number; run: () => void; fail: () => void; timer: NodeJS.Timeout }[] = [];
let inFlight = 0;
let peakInFlight = 0;
let peakActive = 0;
let requests = 0;
let ok = 0;
let errors = 0;
let latencies: number[] = [];
let recent: number[] = [];
const seconds = new Map<
  number,
  { requests: number; ok: number; errors: number; maxInFlight: number; lat: number[]; capacity: number }
>();

function bucket() {
  const second = Math.floor((Date.now() - epoch) / 1000);
  let b = seconds.get(second);
  if (!b) {
    b = { requests: 0, ok: 0, errors: 0, maxInFlight: 0, lat: [], capacity };
    seconds.set(second, b);
  }
  b.capacity = capacity;
  return b;
}

function finish(res: ServerResponse, start: number, status: number, waited: number, release = false): void {
  const now = performance.now();
  const took = now - start;
  inFlight -= 1;
  const b = bucket();
  if (status < 500) {
    ok += 1;
    b.ok += 1;
  } else {
    errors += 1;
    b.errors += 1;
  }
  b.lat.push(took);
  latencies.push(took);
  recent.push(took);
  res.writeHead(status, {
    "content-type": status < 500 ? "text/html; charset=utf-8" : "text/plain",
    "cache-control": "no-store",
    "x-bench-origin": "1",
    "x-origin-ms": took.toFixed(2),
    "x-origin-wait-ms": waited.toFixed(2),
    ...(status === 503 ? { "retry-after": "2" } : {}),
    ...(release && status < 500 ? { [RELEASE_HEADER]: "1" } : {}),
  });
  res.end(status < 500 ? PAGE : "overloaded\n");
}

function serveLimited(res: ServerResponse, start: number, release: boolean): void {
  const run = () => {
    active += 1;
    peakActive = Math.max(peakActive, active);
    const waited = performance.now() - start;
    // +-20% service time, as real requests vary.
    setTimeout(
      () => {
        active -= 1;
        finish(res, start, 200, waited, release);
        next();
      },
      options.serviceMs * (0.8 + Math.random() * 0.4),
    );
  };
  if (active < capacity) {
    run();
    return;
  }
  if (backlog.length >= backlogLimit) {
    finish(res, start, 503, 0);
    return;
  }
  const entry = {
    start,
    run,
    fail: () => finish(res, start, 503, performance.now() - start),
    timer: setTimeout(() => {
      const at = backlog.indexOf(entry);
      if (at >= 0) backlog.splice(at, 1);
      entry.fail();
    }, options.maxWaitMs),
  };
  backlog.push(entry);
}

function next(): void {
  while (active < capacity && backlog.length > 0) {
    const entry = backlog.shift();
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.run();
  }
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const start = performance.now();
  const release = (req.url ?? "/").split("?")[0] === RELEASE_PATH;
  req.resume();
  requests += 1;
  inFlight += 1;
  peakInFlight = Math.max(peakInFlight, inFlight);
  const b = bucket();
  b.requests += 1;
  b.maxInFlight = Math.max(b.maxInFlight, inFlight);
  if (options.kind === "fast") finish(res, start, 200, 0, release);
  else serveLimited(res, start, release);
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}

function report(): OriginReport {
  const buckets: OriginBucket[] = [...seconds.entries()]
    .sort(([a], [b]) => a - b)
    .map(([second, b]) => {
      const lat = b.lat.sort((x, y) => x - y);
      return {
        second,
        requests: b.requests,
        ok: b.ok,
        errors: b.errors,
        maxInFlight: b.maxInFlight,
        p50Ms: round(percentile(lat, 50)),
        p95Ms: round(percentile(lat, 95)),
        capacity: b.capacity,
      };
    });
  const all = latencies.sort((x, y) => x - y);
  return {
    buckets,
    requests,
    ok,
    errors,
    peakInFlight,
    peakActive,
    latencyMs: { p50: round(percentile(all, 50)), p95: round(percentile(all, 95)), max: round(all.at(-1) ?? null) },
  };
}

const server = createServer(handle);
server.keepAliveTimeout = 60_000;
server.maxRequestsPerSocket = 0;
server.listen(0, "127.0.0.1", () => {
  const { port: listening } = server.address() as AddressInfo;
  port.postMessage({ type: "ready", url: `http://127.0.0.1:${listening}` });
});

const ticker = setInterval(() => {
  const sorted = recent.sort((x, y) => x - y);
  const tick: OriginTick = {
    type: "tick",
    inFlight,
    requests,
    errors,
    recentP95Ms: round(percentile(sorted, 95)),
    capacity,
  };
  recent = [];
  port.postMessage(tick);
}, 500);

/** Sets the slots in force; a larger capacity starts backlogged requests at once. */
function setCapacity(slots: number): void {
  capacity = Math.max(1, Math.round(slots));
  backlogLimit = Math.max(1, Math.round((options.backlogLimit * capacity) / options.capacity));
  bucket();
  next();
}

port.on("message", (message: { type: string; epoch?: number; capacity?: number }) => {
  if (message.type === "capacity" && typeof message.capacity === "number") {
    setCapacity(message.capacity);
  } else if (message.type === "reset") {
    setCapacity(options.capacity);
    epoch = message.epoch ?? Date.now();
    seconds.clear();
    latencies = [];
    recent = [];
    requests = 0;
    ok = 0;
    errors = 0;
    peakInFlight = inFlight;
    peakActive = active;
  } else if (message.type === "report") {
    port.postMessage({ type: "report", report: report() });
  } else if (message.type === "close") {
    clearInterval(ticker);
    server.closeAllConnections();
    server.close(() => port.close());
  }
});
