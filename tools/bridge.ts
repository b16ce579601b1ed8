// Local stand-in for Upstash's REST endpoint, in front of a real redis-server
// or of the embedded engine (tools/embedded-redis/).
//
// @upstash/redis only speaks HTTP+JSON, so to run the worker and its tests
// against real Redis semantics (Lua, MULTI/EXEC, NOSCRIPT...) we translate the
// REST protocol to RESP here instead of mocking Redis. The same translation
// serves the embedded engine (`npm start` without REDIS_URL), so the worker
// always speaks REST to a store running the same Lua scripts.
//
//   node tools/bridge.ts    (env: REDIS_URL, BRIDGE_PORT, BRIDGE_TOKEN)
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Command, Redis, ReplyError } from "ioredis";
import { arityOk, COMMANDS, unknownCommand } from "./embedded-redis/commands.ts";
// Types only from the engine's entry point: importing it loads the WebAssembly Lua VM.
import type { EmbeddedRedis } from "./embedded-redis/embedded-redis.ts";
import { type Reply as EmbeddedReply, EmbeddedReplyError, ERRORS } from "./embedded-redis/reply.ts";

/** A running bridge; point `new Redis({ url, token })` from @upstash/redis at it. */
export interface Bridge {
  url: string;
  token: string;
  /**
   * The calls served so far, by label (`labelledUrl`; "" for the plain URL):
   * HTTP requests and the script calls (EVAL, EVALSHA and their read-only
   * forms) they carried, pipelines and transactions included.
   */
  calls(): BridgeCalls;
  close(): Promise<void>;
}

/** Per label: HTTP requests and script calls the bridge served (or refused: they were sent). */
export type BridgeCalls = Record<string, { requests: number; scripts: number }>;

/**
 * The bridge's URL for one labelled client (with `labels: true`): the calls
 * through it are counted under `label`, e.g. one URL per worker instance, so
 * per-instance Redis calls need nothing from the worker itself.
 *
 * @example
 * ```ts
 * const bridge = await startBridge({ redisUrl, token, labels: true });
 * const redis = new Redis({ url: labelledUrl(bridge.url, "instance-3"), token });
 * ```
 */
export function labelledUrl(url: string, label: string): string {
  if (!LABEL.test(label)) throw new Error(`a bridge label is 1-64 letters, digits, '-' or '_', got "${label}"`);
  return `${url}${LABEL_PREFIX}${label}`;
}

const LABEL_PREFIX = "/_label/";
const LABEL = /^[A-Za-z0-9_-]{1,64}$/;

/** Where the bridge runs commands: a redis-server, or an in-process engine. */
export type BridgeOptions = BridgeCommonOptions &
  (
    | {
        /** e.g. `redis://127.0.0.1:6379` */
        redisUrl: string;
        embedded?: never;
      }
    | {
        /** The embedded engine (its `call()`), e.g. `new EmbeddedRedis()`; the caller closes it. */
        embedded: Pick<EmbeddedRedis, "call">;
        redisUrl?: never;
      }
  );

export interface BridgeCommonOptions {
  /** The bearer token clients must present, like an Upstash REST token. */
  token: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Upper bound for one Redis reply, so a stalled server yields an error rather than a hung request. Default 5000. */
  commandTimeoutMs?: number;
  /**
   * Injected network latency, off by default: each request waits half of a
   * round trip before its commands run and the other half before its answer
   * leaves, as a store reached over a network would, so commands still reach
   * Redis in a realistic order. Each half is drawn uniformly within
   * `roundTripMs / 2 x (1 +- jitter)`; `jitter` defaults to 0.2.
   *
   * With `p99Ms` (a slow store with a long tail) the round trip is instead
   * drawn from a log-normal distribution whose median is `roundTripMs` and
   * whose 99th percentile is `p99Ms` (`jitter` is then unused), once per
   * request, and split in two equal halves: e.g. `{ roundTripMs: 30, p99Ms:
   * 200 }` gives half the calls under 30 ms, about 1 in 100 over 200 ms and
   * about 1 in 1,000 over 350 ms. Draws are capped at 60 s.
   */
  latency?: { roundTripMs: number; jitter?: number; p99Ms?: number };
  /** Accept `labelledUrl(url, label)` URLs and count their calls by label. Default false. */
  labels?: boolean;
}

/** A decoded RESP2 reply. Integers arrive as decimal strings (exact beyond 2^53), bulk and status strings as Buffers. */
type Reply = Buffer | string | number | null | Error | Reply[];
type Arg = string | Buffer;
type Outcome = { result: Reply } | { error: string };

/** A failure that is reported to the client with a given HTTP status and message. */
class HttpError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const ALLOWED_METHODS = new Set(["GET", "HEAD", "POST", "PUT"]);
const INTEGER = /^-?\d+$/;
const OK = Buffer.from("OK");

// These would change the state of the single connection every request
// shares (subscriber mode, selected DB, an open MULTI, suppressed replies),
// or park it and stall every other request behind them.
const CONNECTION_STATE_COMMANDS = new Set([
  ..."AUTH DISCARD EXEC HELLO MONITOR MULTI PSUBSCRIBE PSYNC PUNSUBSCRIBE QUIT".split(" "),
  ..."REPLCONF RESET SELECT SSUBSCRIBE SUBSCRIBE SUNSUBSCRIBE SYNC UNSUBSCRIBE UNWATCH WATCH".split(" "),
]);
const BLOCKING_COMMANDS = new Set([
  ..."BLMOVE BLMPOP BLPOP BRPOP BRPOPLPUSH BZMPOP BZPOPMAX BZPOPMIN WAIT WAITAOF".split(" "),
]);

/**
 * Starts an HTTP server speaking Upstash's REST protocol (`POST /` with a JSON
 * command, `/pipeline`, `/multi-exec`, path-style `/set/k/v`, `Upstash-Encoding:
 * base64`) and executing the commands on the Redis at `redisUrl`, or on the
 * `embedded` engine.
 *
 * Rejects if Redis cannot be reached at start. Once running, it reconnects to
 * Redis by itself; while Redis is down, requests fail fast with HTTP 500.
 * Replies and error replies have the same shapes from either backend.
 *
 * @example
 * ```ts
 * import { Redis } from "@upstash/redis";
 * const bridge = await startBridge({ redisUrl: "redis://127.0.0.1:6379", token: "dev" });
 * const redis = new Redis({ url: bridge.url, token: bridge.token });
 * await redis.set("greeting", "hello");
 * await bridge.close();
 * ```
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const roundTrip = latencyOf(options.latency);
  const backend =
    options.embedded !== undefined
      ? new EmbeddedBackend(options.embedded)
      : new RedisBackend(
          await connectRedis(options.redisUrl, options.commandTimeoutMs ?? 5_000),
          describeRedis(options.redisUrl),
        );
  const expectedToken = Buffer.from(options.token);
  const calls: BridgeCalls = {};
  const ctx: Context = { backend, expectedToken, roundTrip, labels: options.labels ?? false, calls };
  const server = createServer((req, res) => {
    void handleRequest(req, res, ctx);
  });
  const host = options.host ?? "127.0.0.1";
  try {
    await listen(server, options.port ?? 0, host);
  } catch (error) {
    backend.close();
    throw error;
  }
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    token: options.token,
    calls: () => structuredClone(calls),
    close: () => closeBridge(server, backend),
  };
}

async function connectRedis(redisUrl: string, commandTimeoutMs: number): Promise<Redis> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    // Upstash answers in RESP2 shapes (flat HGETALL/ZRANGE WITHSCORES arrays,
    // Lua true -> 1, false -> nil); ioredis 6 would otherwise negotiate RESP3.
    protocol: 2,
    // Integers as strings keep them exact past 2^53 and tell them apart from
    // bulk strings, which are Buffers.
    stringNumbers: true,
    disableClientInfo: true,
    // Fail fast instead of queueing while Redis is down: a request must get an
    // error, never wait for a reconnect that may not come.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A command lost with its connection may or may not have run; re-sending
    // it could apply a non-idempotent write twice.
    autoResendUnfulfilledCommands: false,
    connectTimeout: 2_000,
    commandTimeout: commandTimeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * 50, 500),
  });
  // Outages are reported per request as HTTP 500; without a listener ioredis
  // would also print every failed reconnect attempt.
  redis.on("error", () => {});
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`anteroom bridge: cannot reach Redis at ${describeRedis(redisUrl)}: ${errorMessage(error)}`);
  }
  return redis;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function closeBridge(server: Server, backend: Backend): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Idle keep-alive sockets would otherwise hold close() open for seconds.
  server.closeAllConnections();
  await closed;
  backend.close();
}

interface Context {
  backend: Backend;
  expectedToken: Buffer;
  /** The two legs of one request's injected round trip, ms (0 without `latency`). */
  roundTrip: () => Legs;
  labels: boolean;
  calls: BridgeCalls;
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
  let answer: { status: number; json: string };
  const legs = ctx.roundTrip();
  try {
    answer = await answerRequest(req, ctx, legs.there);
  } catch (error) {
    answer = {
      status: error instanceof HttpError ? error.status : 500,
      json: JSON.stringify({ error: errorMessage(error) }),
    };
  }
  // The way back of the injected round trip, whatever the answer.
  await pause(legs.back);
  respond(res, answer.status, answer.json);
}

async function answerRequest(
  req: IncomingMessage,
  ctx: Context,
  thereMs: number,
): Promise<{ status: number; json: string }> {
  if (!ALLOWED_METHODS.has(req.method ?? "")) throw new HttpError(405, "Method Not Allowed");
  const { label, path, query } = labelOf(splitUrl(req.url ?? "/"), ctx.labels);
  if (!isAuthorized(req, query, ctx.expectedToken)) throw new HttpError(401, "Unauthorized");
  const body = await readBody(req);
  const base64 = headerValue(req, "upstash-encoding")?.toLowerCase() === "base64";
  const count = ctx.calls[label] ?? { requests: 0, scripts: 0 };
  ctx.calls[label] = count;
  count.requests += 1;
  // The way there of the injected round trip.
  await pause(thereMs);
  if (path === "/pipeline" || path === "/multi-exec") {
    const commands = parseCommandList(body);
    count.scripts += commands.filter(isScriptCall).length;
    const outcomes = path === "/pipeline" ? await runPipeline(ctx, commands) : await runTransaction(ctx, commands);
    return { status: 200, json: `[${outcomes.map((outcome) => encodeOutcome(outcome, base64)).join(",")}]` };
  }
  const command = path === "/" ? parseSingleCommand(body) : parsePathCommand(path, query, body);
  if (isScriptCall(command)) count.scripts += 1;
  const outcome = await runCommand(ctx, command);
  return { status: "error" in outcome ? 400 : 200, json: encodeOutcome(outcome, base64) };
}

const SCRIPT_CALLS = new Set(["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"]);

function isScriptCall(command: Arg[]): boolean {
  return SCRIPT_CALLS.has(String(command[0]).toUpperCase());
}

/** Takes a `labelledUrl` prefix off the path (with `labels` on); "" when there is none. */
function labelOf(
  url: { path: string; query: URLSearchParams },
  labels: boolean,
): { label: string; path: string; query: URLSearchParams } {
  if (!labels || !url.path.startsWith(LABEL_PREFIX)) return { label: "", ...url };
  const rest = url.path.slice(LABEL_PREFIX.length);
  const end = rest.indexOf("/");
  const label = end === -1 ? rest : rest.slice(0, end);
  if (!LABEL.test(label)) throw new HttpError(400, `ERR malformed bridge label "${label.slice(0, 80)}"`);
  return { label, path: end === -1 ? "/" : rest.slice(end), query: url.query };
}

/**
 * The legs of one request's injected round trip: each `roundTripMs / 2 x (1
 * +- jitter)`, uniform; with `p99Ms`, the two halves of one log-normal round
 * trip (median `roundTripMs`, 99th percentile `p99Ms`); 0 when off.
 * Exported for tests of the distribution; the bridge draws once per request.
 *
 * @example
 * ```ts
 * const draw = latencyOf({ roundTripMs: 30, p99Ms: 200 });
 * const { there, back } = draw(); // ms before the commands run, and before the answer leaves
 * ```
 */
export function latencyOf(latency: BridgeCommonOptions["latency"]): () => Legs {
  if (latency === undefined) return () => NO_LEGS;
  const { roundTripMs, p99Ms } = latency;
  const jitter = latency.jitter ?? 0.2;
  if (!Number.isFinite(roundTripMs) || roundTripMs < 0 || roundTripMs > 60_000)
    throw new Error(`latency.roundTripMs must be 0-60000 ms, got ${roundTripMs}`);
  if (!Number.isFinite(jitter) || jitter < 0 || jitter > 1)
    throw new Error(`latency.jitter must be a share from 0 to 1, got ${jitter}`);
  const leg = () => (roundTripMs / 2) * (1 + jitter * (2 * Math.random() - 1));
  if (p99Ms === undefined) return () => ({ there: leg(), back: leg() });
  if (!Number.isFinite(p99Ms) || p99Ms < roundTripMs || p99Ms > 60_000 || roundTripMs <= 0)
    throw new Error(
      `latency.p99Ms must be at least latency.roundTripMs (the median, above 0) and at most 60000 ms, got ${p99Ms}`,
    );
  // ln(round trip) ~ N(mu, sigma): the median is e^mu, the 99th percentile e^(mu + z99 sigma).
  const mu = Math.log(roundTripMs);
  const sigma = (Math.log(p99Ms) - mu) / Z_99;
  return () => {
    const half = Math.min(60_000, Math.exp(mu + sigma * standardNormal())) / 2;
    return { there: half, back: half };
  };
}

/** The injected delays of one request: before its commands run, and before its answer leaves. */
export interface Legs {
  readonly there: number;
  readonly back: number;
}

const NO_LEGS: Legs = { there: 0, back: 0 };

/** The standard normal's 99th percentile. */
const Z_99 = 2.326_347_874;

/** A standard normal draw (Box-Muller); 1 - random() keeps the logarithm finite. */
function standardNormal(): number {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

function pause(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function respond(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(json),
  });
  res.end(json);
}

// ---------------------------------------------------------------------------
// Request parsing

/** Splits without URL normalisation, which would resolve `..` in path-style arguments. */
function splitUrl(rawUrl: string): { path: string; query: URLSearchParams } {
  const at = rawUrl.indexOf("?");
  return at === -1
    ? { path: rawUrl, query: new URLSearchParams() }
    : { path: rawUrl.slice(0, at), query: new URLSearchParams(rawUrl.slice(at + 1)) };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Upstash accepts the token as a bearer header or as the `_token` query parameter. */
function isAuthorized(req: IncomingMessage, query: URLSearchParams, expected: Buffer): boolean {
  const bearer = /^Bearer\s+(.+)$/i.exec(headerValue(req, "authorization") ?? "")?.[1]?.trim();
  const given = bearer ?? query.get("_token");
  if (given === undefined || given === null) return false;
  const candidate = Buffer.from(given);
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new HttpError(400, `ERR failed to parse the request body as JSON: ${errorMessage(error)}`);
  }
}

function parseSingleCommand(body: Buffer): Arg[] {
  if (body.length === 0) throw new HttpError(400, 'ERR empty command: POST a JSON array such as ["GET","key"]');
  return toCommand(parseJson(body), "the request body");
}

function parseCommandList(body: Buffer): Arg[][] {
  const parsed = parseJson(body);
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new HttpError(400, "ERR the request body must be a non-empty JSON array of commands");
  }
  return parsed.map((command, index) => toCommand(command, `command ${index + 1}`));
}

function toCommand(value: unknown, where: string): Arg[] {
  if (!Array.isArray(value) || value.length === 0 || typeof value[0] !== "string" || value[0] === "") {
    throw new HttpError(400, `ERR ${where} must be a JSON array starting with the command name`);
  }
  return value.map((arg: unknown, index) => {
    if (typeof arg === "string") return arg;
    if ((typeof arg === "number" && Number.isFinite(arg)) || typeof arg === "boolean") return String(arg);
    throw new HttpError(400, `ERR ${where}: argument ${index} must be a string, number or boolean`);
  });
}

/**
 * `/set/foo/bar?EX=100` -> SET foo bar EX 100. A POST body, if any, is the
 * last path argument (binary-safe), before the query arguments.
 */
function parsePathCommand(path: string, query: URLSearchParams, body: Buffer): Arg[] {
  const segments = path.slice(1).split("/");
  if (segments.at(-1) === "") segments.pop();
  const args: Arg[] = segments.map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new HttpError(400, `ERR malformed percent-encoding in path segment "${segment}"`);
    }
  });
  if (body.length > 0) args.push(body);
  for (const [key, value] of query) {
    if (key === "_token") continue;
    args.push(key);
    if (value !== "") args.push(value);
  }
  if (args.length === 0 || args[0] === "") throw new HttpError(400, "ERR empty command");
  return args;
}

// ---------------------------------------------------------------------------
// Execution

/** Why the bridge refuses a command, or undefined when it can run on the shared connection. */
function refusal(command: Arg[]): string | undefined {
  const name = String(command[0]).toUpperCase();
  const sub = command[1] === undefined ? "" : String(command[1]).toUpperCase();
  if (CONNECTION_STATE_COMMANDS.has(name) || (name === "CLIENT" && sub === "REPLY")) {
    return `ERR ${name} is not supported by the anteroom dev bridge (it would change the shared Redis connection)`;
  }
  const blocksOnStream =
    (name === "XREAD" || name === "XREADGROUP") && command.some((a) => String(a).toUpperCase() === "BLOCK");
  if (BLOCKING_COMMANDS.has(name) || blocksOnStream) {
    return `ERR blocking command ${name} is not supported by the anteroom dev bridge`;
  }
  return undefined;
}

async function runCommand(ctx: Context, command: Arg[]): Promise<Outcome> {
  const refused = refusal(command);
  if (refused) return { error: refused };
  ctx.backend.assertAvailable();
  return ctx.backend.run(command);
}

/** Ordered but not atomic, like Upstash: each command gets its own result or error. */
function runPipeline(ctx: Context, commands: Arg[][]): Promise<Outcome[]> {
  ctx.backend.assertAvailable();
  return Promise.all(commands.map((command) => runCommand(ctx, command)));
}

async function runTransaction(ctx: Context, commands: Arg[][]): Promise<Outcome[]> {
  const refusedAt = commands.findIndex((command) => refusal(command) !== undefined);
  if (refusedAt !== -1) {
    throw new HttpError(
      400,
      `EXECABORT Transaction discarded because of previous errors. Command ${refusedAt + 1}: ${refusal(commands[refusedAt] ?? [])}`,
    );
  }
  ctx.backend.assertAvailable();
  return ctx.backend.transaction(commands);
}

// ---------------------------------------------------------------------------
// Backends: where commands run. Both answer with the same shapes: a reply as
// `{ result }` (integers as decimal strings, bulk and status strings as
// Buffers), a Redis error reply as `{ error }` with Redis's message, and an
// HttpError 500 when the store cannot answer at all.

interface Backend {
  /** Throws HttpError 500 when the backend cannot take commands now. */
  assertAvailable(): void;
  /** One command. */
  run(command: Arg[]): Promise<Outcome>;
  /**
   * MULTI, the commands, EXEC, with no other request's command in between;
   * HttpError 400 (EXECABORT) when a command cannot be queued and the
   * transaction is discarded.
   */
  transaction(commands: Arg[][]): Promise<Outcome[]>;
  close(): void;
}

/** A redis-server through one shared ioredis connection. */
class RedisBackend implements Backend {
  readonly #redis: Redis;
  /** host:port of Redis, without credentials, for error messages. */
  readonly #target: string;

  constructor(redis: Redis, target: string) {
    this.#redis = redis;
    this.#target = target;
  }

  assertAvailable(): void {
    if (this.#redis.status !== "ready") {
      throw new HttpError(500, `Redis at ${this.#target} is unavailable (connection ${this.#redis.status})`);
    }
  }

  async run(command: Arg[]): Promise<Outcome> {
    try {
      return { result: await this.#send(command) };
    } catch (error) {
      if (isReplyError(error)) return { error: error.message };
      throw this.#unavailable(error);
    }
  }

  /**
   * MULTI, the commands and EXEC are written back to back on the shared
   * connection, so no other request's command can land inside the transaction.
   */
  async transaction(commands: Arg[][]): Promise<Outcome[]> {
    const settled = await Promise.allSettled([
      this.#send(["MULTI"]),
      ...commands.map((command) => this.#send(command)),
      this.#send(["EXEC"]),
    ]);
    for (const step of settled) {
      if (step.status === "rejected" && !isReplyError(step.reason)) throw this.#unavailable(step.reason);
    }
    const [multi, exec, queued] = [settled[0], settled.at(-1), settled.slice(1, -1)];
    if (multi?.status === "rejected") throw this.#unavailable(multi.reason);
    if (exec?.status !== "fulfilled" || !Array.isArray(exec.value)) {
      throw new HttpError(400, describeAbort(exec, queued));
    }
    return exec.value.map((reply) => (isReplyError(reply) ? { error: reply.message } : { result: reply }));
  }

  close(): void {
    this.#redis.disconnect();
  }

  /**
   * Writes the command to the socket synchronously (when connected), so a
   * sequence of calls in one tick reaches Redis contiguously and in order.
   */
  #send(command: Arg[]): Promise<Reply> {
    const [name, ...args] = command;
    // Upper case on purpose: ioredis keys its argument/reply transformers (e.g.
    // HGETALL -> object) by lower-case name, and the raw reply must stay raw.
    const cmd = new Command(String(name).toUpperCase(), args, { replyEncoding: null });
    this.#redis.sendCommand(cmd);
    return cmd.promise as Promise<Reply>;
  }

  /** Anything but a Redis error reply (connection loss, timeout) becomes HTTP 500. */
  #unavailable(error: unknown): HttpError {
    // With maxRetriesPerRequest 0 this is how ioredis reports a connection lost
    // under a command; its own wording points at a setting, not at the outage.
    const reason =
      error instanceof Error && error.name === "MaxRetriesPerRequestError"
        ? "the connection was lost while the command was in flight (it may or may not have been applied)"
        : errorMessage(error);
    return new HttpError(500, `Redis at ${this.#target} is unavailable: ${reason}`);
  }
}

function isReplyError(error: unknown): error is Error {
  return error instanceof (ReplyError as typeof Error);
}

/** Redis says only "EXECABORT ... previous errors."; naming the failed command saves a debugging round trip. */
function describeAbort(exec: PromiseSettledResult<Reply> | undefined, queued: PromiseSettledResult<Reply>[]): string {
  const execMessage =
    exec?.status === "rejected" ? errorMessage(exec.reason) : "EXECABORT Transaction discarded (EXEC returned nil).";
  const failedAt = queued.findIndex((step) => step.status === "rejected");
  const failed = queued[failedAt];
  return failed?.status === "rejected"
    ? `${execMessage} Command ${failedAt + 1}: ${errorMessage(failed.reason)}`
    : execMessage;
}

/** Arity of the scripting commands, which the engine handles outside its command table (as Redis's table has them). */
const SCRIPTING_ARITY: Readonly<Record<string, number>> = { eval: -3, evalsha: -3, script: -2 };

/**
 * The embedded engine in this process. It runs each command synchronously,
 * so a transaction run in one go is atomic, as MULTI/EXEC is. Arguments are
 * text (a binary path-style body is read as UTF-8): the worker sends nothing else.
 */
class EmbeddedBackend implements Backend {
  readonly #engine: Pick<EmbeddedRedis, "call">;
  #closed = false;

  constructor(engine: Pick<EmbeddedRedis, "call">) {
    this.#engine = engine;
  }

  assertAvailable(): void {
    if (this.#closed) throw new HttpError(500, "the embedded store is closed");
  }

  async run(command: Arg[]): Promise<Outcome> {
    return this.#call(command);
  }

  async transaction(commands: Arg[][]): Promise<Outcome[]> {
    // Redis queues each command and discards the whole transaction when one cannot be queued.
    for (const [i, command] of commands.entries()) {
      const problem = queueError(command.map(String));
      if (problem) {
        throw new HttpError(
          400,
          `EXECABORT Transaction discarded because of previous errors. Command ${i + 1}: ${problem}`,
        );
      }
    }
    return commands.map((command) => this.#call(command));
  }

  close(): void {
    this.#closed = true;
  }

  #call(command: Arg[]): Outcome {
    try {
      return { result: bridgeReply(this.#engine.call(command.map((arg) => arg.toString()))) };
    } catch (error) {
      if (error instanceof EmbeddedReplyError) return { error: error.message };
      throw new HttpError(500, `the embedded store failed: ${errorMessage(error)}`);
    }
  }
}

/** Why Redis would refuse to queue a command in a transaction (unknown name, wrong arity), or undefined. */
function queueError(args: readonly string[]): string | undefined {
  const name = (args[0] ?? "").toLowerCase();
  const arity = COMMANDS.get(name)?.arity ?? SCRIPTING_ARITY[name];
  if (arity === undefined) return unknownCommand(args).message;
  return arityOk(arity, args.length) ? undefined : ERRORS.arity(name);
}

/** An engine reply in the shapes ioredis gives the bridge: integers as decimal strings, strings as UTF-8 Buffers. */
function bridgeReply(reply: EmbeddedReply): Reply {
  if (reply === null) return null;
  if (typeof reply === "number") return String(reply);
  if (typeof reply === "string") return Buffer.from(reply, "utf8");
  if (Array.isArray(reply)) return reply.map(bridgeReply);
  return "status" in reply ? Buffer.from(reply.status, "utf8") : new Error(reply.error);
}

// ---------------------------------------------------------------------------
// Response encoding

function encodeOutcome(outcome: Outcome, base64: boolean): string {
  return "error" in outcome
    ? JSON.stringify({ error: outcome.error })
    : `{"result":${encodeReply(outcome.result, base64, true)}}`;
}

/**
 * Hand-written JSON so integers keep their exact digits. With base64, every
 * string is encoded except a top-level "OK", which Upstash (and the client's
 * decoder) leave as is; nested strings must be encoded because the client
 * base64-decodes every string inside arrays.
 */
function encodeReply(reply: Reply | undefined, base64: boolean, topLevel: boolean): string {
  if (reply === null || reply === undefined) return "null";
  if (typeof reply === "string") return INTEGER.test(reply) ? reply : JSON.stringify(reply);
  if (typeof reply === "number") return Number.isFinite(reply) ? String(reply) : "null";
  if (Array.isArray(reply)) return `[${reply.map((item) => encodeReply(item, base64, false)).join(",")}]`;
  const bytes = Buffer.isBuffer(reply) ? reply : Buffer.from(reply.message);
  if (!base64) return JSON.stringify(bytes.toString("utf8"));
  return JSON.stringify(topLevel && bytes.equals(OK) ? "OK" : bytes.toString("base64"));
}

function describeRedis(redisUrl: string): string {
  try {
    const url = new URL(redisUrl);
    return `${url.hostname}:${url.port || "6379"}`;
  } catch {
    return "(unparseable REDIS_URL)";
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------
// CLI

function portFromEnv(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`BRIDGE_PORT must be a port number, got "${value}"`);
  }
  return port;
}

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const bridge = await startBridge({
    redisUrl,
    token: process.env.BRIDGE_TOKEN ?? "local-dev-token",
    port: portFromEnv(process.env.BRIDGE_PORT, 8079),
  });
  console.log(`anteroom bridge: ${bridge.url} (Upstash REST) -> ${describeRedis(redisUrl)} (Redis)`);
  const shutdown = () => {
    bridge.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(errorMessage(error));
    process.exit(1);
  });
}
