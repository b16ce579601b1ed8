// Local stand-in for Upstash's REST endpoint, in front of a real redis-server.
//
// @upstash/redis only speaks HTTP+JSON, so to run the worker and its tests
// against real Redis semantics (Lua, MULTI/EXEC, NOSCRIPT...) we translate the
// REST protocol to RESP here instead of mocking Redis.
//
//   node tools/bridge.ts    (env: REDIS_URL, BRIDGE_PORT, BRIDGE_TOKEN)
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Command, Redis, ReplyError } from "ioredis";

/** A running bridge; point `new Redis({ url, token })` from @upstash/redis at it. */
export interface Bridge {
  url: string;
  token: string;
  close(): Promise<void>;
}

export interface BridgeOptions {
  /** e.g. `redis://127.0.0.1:6379` */
  redisUrl: string;
  /** The bearer token clients must present, like an Upstash REST token. */
  token: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Upper bound for one Redis reply, so a stalled server yields an error rather than a hung request. Default 5000. */
  commandTimeoutMs?: number;
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
 * base64`) and executing the commands on the Redis at `redisUrl`.
 *
 * Rejects if Redis cannot be reached at start. Once running, it reconnects to
 * Redis by itself; while Redis is down, requests fail fast with HTTP 500.
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
  const redis = await connectRedis(options.redisUrl, options.commandTimeoutMs ?? 5_000);
  const target = describeRedis(options.redisUrl);
  const expectedToken = Buffer.from(options.token);
  const server = createServer((req, res) => {
    void handleRequest(req, res, { redis, target, expectedToken });
  });
  const host = options.host ?? "127.0.0.1";
  try {
    await listen(server, options.port ?? 0, host);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    token: options.token,
    close: () => closeBridge(server, redis),
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

async function closeBridge(server: Server, redis: Redis): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Idle keep-alive sockets would otherwise hold close() open for seconds.
  server.closeAllConnections();
  await closed;
  redis.disconnect();
}

interface Context {
  redis: Redis;
  /** host:port of Redis, without credentials, for error messages. */
  target: string;
  expectedToken: Buffer;
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
  try {
    if (!ALLOWED_METHODS.has(req.method ?? "")) throw new HttpError(405, "Method Not Allowed");
    const { path, query } = splitUrl(req.url ?? "/");
    if (!isAuthorized(req, query, ctx.expectedToken)) throw new HttpError(401, "Unauthorized");
    const body = await readBody(req);
    const base64 = headerValue(req, "upstash-encoding")?.toLowerCase() === "base64";
    if (path === "/pipeline" || path === "/multi-exec") {
      const commands = parseCommandList(body);
      const outcomes = path === "/pipeline" ? await runPipeline(ctx, commands) : await runTransaction(ctx, commands);
      respond(res, 200, `[${outcomes.map((outcome) => encodeOutcome(outcome, base64)).join(",")}]`);
      return;
    }
    const command = path === "/" ? parseSingleCommand(body) : parsePathCommand(path, query, body);
    const outcome = await runCommand(ctx, command);
    respond(res, "error" in outcome ? 400 : 200, encodeOutcome(outcome, base64));
  } catch (error) {
    const status = error instanceof HttpError ? error.status : 500;
    respond(res, status, JSON.stringify({ error: errorMessage(error) }));
  }
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

function assertAvailable(ctx: Context): void {
  if (ctx.redis.status !== "ready") {
    throw new HttpError(500, `Redis at ${ctx.target} is unavailable (connection ${ctx.redis.status})`);
  }
}

/**
 * Writes the command to the socket synchronously (when connected), so a
 * sequence of calls in one tick reaches Redis contiguously and in order.
 */
function send(redis: Redis, command: Arg[]): Promise<Reply> {
  const [name, ...args] = command;
  // Upper case on purpose: ioredis keys its argument/reply transformers (e.g.
  // HGETALL -> object) by lower-case name, and the raw reply must stay raw.
  const cmd = new Command(String(name).toUpperCase(), args, { replyEncoding: null });
  redis.sendCommand(cmd);
  return cmd.promise as Promise<Reply>;
}

function isReplyError(error: unknown): error is Error {
  return error instanceof (ReplyError as typeof Error);
}

/** A Redis error reply becomes an outcome; anything else (connection loss, timeout) propagates as HTTP 500. */
function unavailable(ctx: Context, error: unknown): HttpError {
  // With maxRetriesPerRequest 0 this is how ioredis reports a connection lost
  // under a command; its own wording points at a setting, not at the outage.
  const reason =
    error instanceof Error && error.name === "MaxRetriesPerRequestError"
      ? "the connection was lost while the command was in flight (it may or may not have been applied)"
      : errorMessage(error);
  return new HttpError(500, `Redis at ${ctx.target} is unavailable: ${reason}`);
}

async function runCommand(ctx: Context, command: Arg[]): Promise<Outcome> {
  const refused = refusal(command);
  if (refused) return { error: refused };
  assertAvailable(ctx);
  try {
    return { result: await send(ctx.redis, command) };
  } catch (error) {
    if (isReplyError(error)) return { error: error.message };
    throw unavailable(ctx, error);
  }
}

/** Ordered but not atomic, like Upstash: each command gets its own result or error. */
function runPipeline(ctx: Context, commands: Arg[][]): Promise<Outcome[]> {
  assertAvailable(ctx);
  return Promise.all(commands.map((command) => runCommand(ctx, command)));
}

/**
 * MULTI, the commands and EXEC are written back to back on the shared
 * connection, so no other request's command can land inside the transaction.
 */
async function runTransaction(ctx: Context, commands: Arg[][]): Promise<Outcome[]> {
  const refusedAt = commands.findIndex((command) => refusal(command) !== undefined);
  if (refusedAt !== -1) {
    throw new HttpError(
      400,
      `EXECABORT Transaction discarded because of previous errors. Command ${refusedAt + 1}: ${refusal(commands[refusedAt] ?? [])}`,
    );
  }
  assertAvailable(ctx);
  const settled = await Promise.allSettled([
    send(ctx.redis, ["MULTI"]),
    ...commands.map((command) => send(ctx.redis, command)),
    send(ctx.redis, ["EXEC"]),
  ]);
  for (const step of settled) {
    if (step.status === "rejected" && !isReplyError(step.reason)) throw unavailable(ctx, step.reason);
  }
  const [multi, exec, queued] = [settled[0], settled.at(-1), settled.slice(1, -1)];
  if (multi?.status === "rejected") throw unavailable(ctx, multi.reason);
  if (exec?.status !== "fulfilled" || !Array.isArray(exec.value)) {
    throw new HttpError(400, describeAbort(exec, queued));
  }
  return exec.value.map((reply) => (isReplyError(reply) ? { error: reply.message } : { result: reply }));
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
