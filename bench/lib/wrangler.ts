import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { freePort } from "../../worker/dev/stack.ts";

/** A `wrangler dev` of a worker config of the bench's own; resolves once `readyPath` answers 200. */
export async function startWranglerDev(options: {
  config: string;
  vars: Record<string, string>;
  readyPath: string;
  verbose?: boolean;
}): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
  const port = await freePort();
  const args = [bin, "dev", "-c", options.config, "--ip", "127.0.0.1", "--port", String(port)];
  args.push("--show-interactive-dev-session=false");
  for (const [name, value] of Object.entries(options.vars)) args.push("--var", `${name}:${value}`);
  const child: ChildProcess = spawn(process.execPath, args, {
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
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev -c ${options.config} exited:\n${output}`);
    const res = await fetch(`${url}${options.readyPath}`).catch(() => null);
    if (res) await res.body?.cancel();
    if (res?.status === 200) return { url, stop };
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev -c ${options.config} did not start within 60 s:\n${output}`);
}
