import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

/** A running `wrangler dev`. */
export interface WranglerDev {
  readonly url: string;
  readonly port: number;
  /** Ends wrangler and the workerd it started (the whole process group). */
  stop(): Promise<void>;
}

/** Options of {@link startWranglerDev}. */
export interface WranglerDevOptions {
  /** Folder to run in (its wrangler.toml is used unless `config` is given). */
  readonly cwd?: string;
  /** A wrangler config file other than the folder's wrangler.toml. */
  readonly config?: string;
  /** 0 or unset: a free port. */
  readonly port?: number;
  /** `--var NAME:VALUE` overrides of the config's [vars]. */
  readonly vars: Readonly<Record<string, string>>;
  /** Path that answers 200 once the worker serves requests. */
  readonly readyPath: string;
  /**
   * When the ready path answers but not with 200, stop and throw with the
   * JSON error message of the answer (the worker refuses its configuration),
   * instead of waiting for it to come up.
   */
  readonly failOnErrorAnswer?: boolean;
  /** Show wrangler's own output. */
  readonly verbose?: boolean;
}

/**
 * Runs `wrangler dev` on loopback and resolves once `readyPath` answers 200.
 *
 * @example
 * ```ts
 * const dev = await startWranglerDev({ vars: { ADMIT_PER_MINUTE: "60" }, readyPath: "/__anteroom/jwks.json" });
 * await dev.stop();
 * ```
 */
export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  const bin = wranglerBin();
  const port = options.port || (await freePort());
  const args = [bin, "dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false"];
  if (options.config) args.push("-c", options.config);
  for (const [name, value] of Object.entries(options.vars)) args.push("--var", `${name}:${value}`);
  const child: ChildProcess = spawn(process.execPath, args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
    detached: true,
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    if (options.verbose) process.stderr.write(chunk);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      // wrangler starts workerd as a child of its own: end the whole group.
      try {
        process.kill(-(child.pid ?? 0), "SIGTERM");
      } catch {
        child.kill("SIGTERM");
      }
      setTimeout(() => {
        try {
          process.kill(-(child.pid ?? 0), "SIGKILL");
        } catch {}
      }, 3000).unref();
    });
  const url = `http://127.0.0.1:${port}`;
  const what = `wrangler dev${options.config ? ` -c ${options.config}` : ""}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${output}`);
    const res = await fetch(`${url}${options.readyPath}`).catch(() => null);
    if (res?.status === 200) {
      await res.body?.cancel();
      return { url, port, stop };
    }
    if (res && options.failOnErrorAnswer) {
      const body = await res.text();
      await stop();
      let message = body;
      try {
        message = (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? body;
      } catch {}
      throw new Error(message);
    }
    await res?.body?.cancel();
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`${what} did not start within 60 s:\n${output}`);
}

/** The path of the project's wrangler (its `bin/wrangler.js`), to run under the current Node. */
export function wranglerBin(): string {
  return join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("could not determine a free port"))));
    });
  });
}
