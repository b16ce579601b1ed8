import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../tools/wrangler.ts";

/** A `redis-server` child process owned by the test run. */
export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** Graceful shutdown (SIGTERM) and removal of the temporary data directory. */
  stop(): Promise<void>;
  /** Abrupt death (SIGKILL), for fault-injection tests. */
  kill(): Promise<void>;
  /** Starts the server again on the same port, e.g. after `kill()`: empty, or with its data when `persistent`. */
  restart(): Promise<void>;
}

const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const OUTPUT_TAIL_CHARS = 4_000;

// A test runner that crashes or is interrupted must not leave redis-servers
// behind, holding ports; "exit" handlers may only do synchronous work, which
// process.kill is.
const liveChildren = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of liveChildren) child.kill("SIGKILL");
});

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  port?: number;
  /**
   * Append-only file fsynced on every write, kept across `restart()`: a killed
   * server comes back with every acknowledged write, as a production Redis
   * with persistence would. Default false (nothing persisted).
   */
  persistent?: boolean;
}

/**
 * Spawns `redis-server` from PATH on a free (or the given) port, with a
 * throw-away data directory (and no persistence unless `persistent`), and
 * resolves once it answers PING.
 *
 * @example
 * ```ts
 * const redis = await startRedisServer();
 * const bridge = await startBridge({ redisUrl: redis.url, token: "t" });
 * // ...
 * await bridge.close();
 * await redis.stop();
 * ```
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const persistent = options.persistent ?? false;
  let dir = await mkdtemp(join(tmpdir(), "anteroom-redis-"));
  let child: ChildProcess | undefined;
  try {
    child = await launch(port, dir, persistent);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  async function terminate(signal: NodeJS.Signals): Promise<void> {
    const current = child;
    child = undefined;
    if (current) await signalAndWait(current, signal);
  }

  return {
    port,
    url: `redis://${HOST}:${port}`,
    async stop() {
      await terminate("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
    async kill() {
      await terminate("SIGKILL");
    },
    async restart() {
      await terminate("SIGTERM");
      if (!persistent) {
        // Nothing is persisted, so a fresh directory is equivalent and keeps
        // restart() valid after stop() as well as after kill().
        await rm(dir, { recursive: true, force: true });
        dir = await mkdtemp(join(tmpdir(), "anteroom-redis-"));
      }
      child = await launch(port, dir, persistent);
    },
  };
}

async function launch(port: number, dir: string, persistent: boolean): Promise<ChildProcess> {
  // fsync on every write: a SIGKILL then loses nothing the worker was told had happened.
  const appendOnly: [string, string][] = persistent
    ? [
        ["--appendonly", "yes"],
        ["--appendfsync", "always"],
      ]
    : [["--appendonly", "no"]];
  const settings: [string, string][] = [
    ["--port", String(port)],
    ["--bind", HOST],
    ["--save", ""],
    ...appendOnly,
    ["--daemonize", "no"],
    ["--dir", dir],
    // Empty: log to stdout, which is captured below for error messages.
    ["--logfile", ""],
  ];
  const child = spawn("redis-server", settings.flat(), { stdio: ["ignore", "pipe", "pipe"] });
  liveChildren.add(child);
  child.once("exit", () => liveChildren.delete(child));

  // Kept for error messages only: "Address already in use" and friends are
  // the usual reasons a start fails, and they only appear in this output.
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  try {
    await Promise.race([waitForPing(port, READY_TIMEOUT_MS), failOnEarlyExit(child, () => output)]);
    return child;
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}

function failOnEarlyExit(child: ChildProcess, output: () => string): Promise<never> {
  return new Promise((_, reject) => {
    child.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") {
        reject(
          new Error(
            "redis-server was not found on PATH; the tests need a real Redis: install the Debian package redis-server " +
              "(apt-get install redis-server) or put a redis-server binary on PATH",
          ),
        );
      } else {
        reject(error);
      }
    });
    child.once("exit", (code, signal) => {
      reject(new Error(`redis-server exited before it was ready (code ${code}, signal ${signal}):\n${output()}`));
    });
  });
}

async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await ping(port)) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(25);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms: ${String(lastError)}`);
}

/** One inline PING over a raw socket, so the harness does not depend on any client library. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    let reply = "";
    socket.setTimeout(1_000, () => socket.destroy(new Error("PING timed out")));
    socket.once("error", reject);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n")) {
        socket.destroy();
        resolve(reply.startsWith("+PONG"));
      }
    });
    socket.once("close", () => resolve(false));
  });
}

function signalAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // A server that ignores SIGTERM must still not hang the test run.
    const escalate = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(escalate);
      resolve();
    });
    child.kill(signal);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
