// The fleet's front (bench/lib/fleet.ts), in a worker thread: a small HTTP
// proxy that sends each request to a random live worker instance, as anycast
// and Cloudflare's isolates spread visitors, with no affinity. An instance
// taken out of the table (being evicted) gets no new requests; the ones it is
// serving finish.
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import { parentPort } from "node:worker_threads";

const port = parentPort;
if (!port) throw new Error("front-thread.ts runs as a worker thread");

/** Per instance slot: requests sent, answered with an error by the front, in flight now. */
export interface FrontStats {
  readonly requests: number[];
  readonly failed: number[];
  readonly inFlight: number[];
  /** In flight by instance URL (an evicted instance's slot already points at its successor). */
  readonly inFlightByUrl: Record<string, number>;
  /** Requests that found no live instance (503 from the front). */
  readonly noInstance: number;
}

/** The header naming the instance that answered (the lab's own; the worker knows nothing of it). */
const INSTANCE_HEADER = "x-lab-instance";

let targets: ({ url: string; host: string; port: number } | null)[] = [];
const stats = { requests: [] as number[], failed: [] as number[], inFlight: [] as number[], noInstance: 0 };
const inFlightByUrl: Record<string, number> = {};
const agent = new Agent({ keepAlive: true, maxSockets: 512 });

function pick(): number | null {
  const live = targets.flatMap((t, slot) => (t ? [slot] : []));
  if (live.length === 0) return null;
  return live[Math.floor(Math.random() * live.length)] ?? null;
}

function fail(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function forward(req: IncomingMessage, res: ServerResponse): void {
  const slot = pick();
  const target = slot === null ? null : targets[slot];
  if (slot === null || !target) {
    stats.noInstance += 1;
    req.resume();
    fail(res, 503, "lab front: no live instance");
    return;
  }
  stats.requests[slot] = (stats.requests[slot] ?? 0) + 1;
  stats.inFlight[slot] = (stats.inFlight[slot] ?? 0) + 1;
  inFlightByUrl[target.url] = (inFlightByUrl[target.url] ?? 0) + 1;
  let done = false;
  const finish = (failed: boolean) => {
    if (done) return;
    done = true;
    stats.inFlight[slot] = (stats.inFlight[slot] ?? 1) - 1;
    inFlightByUrl[target.url] = (inFlightByUrl[target.url] ?? 1) - 1;
    if (failed) stats.failed[slot] = (stats.failed[slot] ?? 0) + 1;
  };
  const upstream = request(
    { host: target.host, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      const raw = [...answer.rawHeaders, INSTANCE_HEADER, String(slot)];
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, raw);
      answer.pipe(res);
      answer.once("end", () => finish(false));
      answer.once("error", () => {
        finish(true);
        res.destroy();
      });
    },
  );
  upstream.once("error", (error) => {
    finish(true);
    fail(res, 502, `lab front: instance ${slot} failed: ${error.message}`);
  });
  res.once("close", () => {
    if (!done) upstream.destroy();
    finish(false);
  });
  req.pipe(upstream);
}

const server = createServer(forward);
server.keepAliveTimeout = 10_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  port.postMessage({ type: "ready", url });
});

port.on("message", (message: { type: string; targets?: (string | null)[] }) => {
  if (message.type === "targets") {
    targets = (message.targets ?? []).map((url) => {
      if (!url) return null;
      const parsed = new URL(url);
      return { url, host: parsed.hostname, port: Number(parsed.port) };
    });
  } else if (message.type === "stats") {
    const stat: FrontStats = {
      requests: [...stats.requests],
      failed: [...stats.failed],
      inFlight: [...stats.inFlight],
      inFlightByUrl: { ...inFlightByUrl },
      noInstance: stats.noInstance,
    };
    port.postMessage({ type: "stats", stats: stat });
  } else if (message.type === "close") {
    server.closeAllConnections();
    server.close(() => {
      agent.destroy();
      port.close();
    });
  }
});
