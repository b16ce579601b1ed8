// Workers in workerd through Miniflare's API, without `wrangler dev` and its
// Node proxy in the request path. Each worker is bundled exactly as a deploy
// would bundle it (`wrangler deploy --dry-run --outdir`), configured from its
// wrangler.toml (compatibility date and flags, module rules, [vars]) plus the
// bench's overrides, and served on a socket of its own (Miniflare's
// `unsafeDirectSockets`): a request reaches the worker with no entry worker or
// Node hop in between, as close to "the worker's own cost" as a loopback
// client can get.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, matchesGlob } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, NoOpLog } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

/** A worker to run: its wrangler config and the [vars] the bench overrides. */
export interface WorkerSpec {
  /** Unique name inside the Miniflare instance. */
  readonly name: string;
  /** Path of the wrangler.toml (its `main` is bundled). */
  readonly config: string;
  /** Overrides of the config's [vars] (settings and secrets alike: both are plain text bindings). */
  readonly vars: Readonly<Record<string, string>>;
}

/** What `wrangler deploy --dry-run` produced for one config. */
export interface Bundle {
  readonly dir: string;
  readonly main: string;
  readonly bytes: number;
}

/** The running workers. */
export interface Workers {
  /** `http://127.0.0.1:PORT` of a worker's own socket. */
  directUrl(name: string): string;
  /** Miniflare's entry socket (routes to the first worker, through Miniflare's entry worker). */
  readonly entryUrl: string;
  /** `Miniflare#dispatchFetch`: Node's fetch to the entry socket (routes to the first worker). */
  dispatchFetch(path: string, init?: { headers?: Record<string, string> }): Promise<{ status: number; body: string }>;
  /** Bundle sizes in bytes, by worker name. */
  readonly bundleBytes: Readonly<Record<string, number>>;
  close(): Promise<void>;
}

/**
 * Bundles each worker with wrangler (as `wrangler deploy` would) and starts
 * them all in one workerd through Miniflare, each on its own loopback socket.
 *
 * @example
 * ```ts
 * const workers = await startWorkers([{ name: "room", config: "wrangler.toml", vars: { ROOM: "bench" } }]);
 * const res = await fetch(`${workers.directUrl("room")}/`);
 * await workers.close();
 * ```
 */
export async function startWorkers(
  specs: readonly WorkerSpec[],
  options: { verbose?: boolean } = {},
): Promise<Workers> {
  const scratch = await mkdtemp(join(tmpdir(), "anteroom-bench-"));
  try {
    const bundles = new Map<string, Bundle>();
    for (const spec of specs) {
      const key = spec.config;
      if (!bundles.has(key)) bundles.set(key, await bundleWorker(spec.config, join(scratch, `bundle-${bundles.size}`)));
    }
    const workers = await launchWorkers(specs, bundles, options);
    return {
      ...workers,
      close: async () => {
        await workers.close();
        await rm(scratch, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Starts workers already bundled (by {@link bundleWorker}, keyed by config
 * path) in one workerd through Miniflare, each on its own loopback socket;
 * `close()` leaves the bundles in place, so the lab can start the same
 * bundle again (an evicted instance) without bundling it again.
 */
export async function launchWorkers(
  specs: readonly WorkerSpec[],
  bundles: ReadonlyMap<string, Bundle>,
  options: { verbose?: boolean } = {},
): Promise<Workers> {
  let mf: Miniflare | null = null;
  try {
    const workers = [];
    for (const spec of specs) {
      const built = bundles.get(spec.config);
      if (!built) throw new Error(`no bundle for ${spec.config}`);
      const fromConfig = fromWrangler(spec.config);
      workers.push({
        name: spec.name,
        modulesRoot: built.dir,
        modules: await modulesOf(built, fromConfig.modulesRules),
        compatibilityDate: fromConfig.compatibilityDate,
        compatibilityFlags: fromConfig.compatibilityFlags,
        bindings: { ...fromConfig.bindings, ...spec.vars },
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      });
    }
    mf = new Miniflare(
      convertV4MiniflareOptions({
        host: "127.0.0.1",
        port: 0,
        log: options.verbose ? new Log(LogLevel.INFO) : new NoOpLog(),
        workers,
      }),
    );
    const running = mf;
    const entry = await running.ready;
    const direct = new Map<string, string>();
    for (const spec of specs) direct.set(spec.name, (await running.unsafeGetDirectURL(spec.name)).origin);
    return {
      directUrl: (name) => {
        const url = direct.get(name);
        if (!url) throw new Error(`no worker named ${name}`);
        return url;
      },
      entryUrl: entry.origin,
      dispatchFetch: async (path, init) => {
        const res = await running.dispatchFetch(`http://localhost${path}`, { headers: init?.headers ?? {} });
        return { status: res.status, body: await res.text() };
      },
      bundleBytes: Object.fromEntries(specs.map((s) => [s.name, bundles.get(s.config)?.bytes ?? 0])),
      close: async () => {
        await running.dispose().catch(() => {});
      },
    };
  } catch (error) {
    await mf?.dispose().catch(() => {});
    throw error;
  }
}

/**
 * `wrangler deploy --dry-run --outdir`: the exact bundle a deploy would upload.
 *
 * @example
 * ```ts
 * const built = await bundleWorker("wrangler.toml", "/tmp/out");
 * const workers = await launchWorkers([{ name: "room", config: "wrangler.toml", vars: {} }], new Map([["wrangler.toml", built]]));
 * ```
 */
export async function bundleWorker(config: string, outdir: string): Promise<Bundle> {
  const bin = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
  const args = [bin, "deploy", "--dry-run", "--outdir", outdir, "-c", config];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: dirname(config),
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
    });
    let text = "";
    const collect = (chunk: Buffer) => {
      text = (text + chunk.toString()).slice(-20_000);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => child.kill("SIGTERM"), 120_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(text);
      // wrangler colours its errors whatever FORCE_COLOR says.
      else
        reject(
          new Error(`wrangler deploy --dry-run -c ${config} failed (${code}):\n${stripVTControlCharacters(text)}`),
        );
    });
  });
  const { main } = fromWrangler(config);
  const mainJs = join(outdir, basename(main).replace(/\.[cm]?[jt]s$/, ".js"));
  if (!existsSync(mainJs)) {
    throw new Error(
      `wrangler wrote no ${basename(mainJs)} in ${outdir} (${(await readdir(outdir)).join(", ")}):\n${output}`,
    );
  }
  const total = /Total Upload:\s*([\d.]+)\s*KiB/.exec(output);
  const bytes = total?.[1] ? Math.round(Number(total[1]) * 1024) : (await readFile(mainJs)).byteLength;
  return { dir: outdir, main: mainJs, bytes };
}

/** What the bench takes from a wrangler config, as wrangler would hand it to Miniflare. */
interface FromWrangler {
  readonly main: string;
  readonly compatibilityDate: string;
  readonly compatibilityFlags: string[];
  readonly modulesRules: ModuleRule[];
  readonly bindings: Record<string, string>;
}

function fromWrangler(config: string): FromWrangler {
  const { main, workerOptions } = unstable_getMiniflareWorkerOptions(config);
  // wrangler types these options loosely (its own copy of Miniflare's option types); read what is used, checked.
  const options = workerOptions as {
    compatibilityDate?: unknown;
    compatibilityFlags?: unknown;
    modulesRules?: unknown;
    bindings?: unknown;
  };
  if (typeof options.compatibilityDate !== "string") throw new Error(`${config} has no compatibility_date`);
  const bindings: Record<string, string> = {};
  for (const [name, value] of Object.entries((options.bindings ?? {}) as Record<string, unknown>)) {
    if (typeof value === "string") bindings[name] = value;
  }
  return {
    main: main ?? "index.ts",
    compatibilityDate: options.compatibilityDate,
    compatibilityFlags: Array.isArray(options.compatibilityFlags) ? options.compatibilityFlags.map(String) : [],
    modulesRules: Array.isArray(options.modulesRules) ? (options.modulesRules as ModuleRule[]) : [],
    bindings,
  };
}

/** A module rule of the wrangler config, as Miniflare takes it. */
interface ModuleRule {
  readonly type: string;
  readonly include: readonly string[];
}

type ModuleType = "ESModule" | "CommonJS" | "Text" | "Data" | "CompiledWasm";

/**
 * The bundle's modules for Miniflare: the main module first, then every other
 * file wrangler wrote (the modules it kept apart, such as the dashboard's
 * Text imports), typed by the config's module rules as wrangler types them.
 */
async function modulesOf(built: Bundle, rules: readonly ModuleRule[]): Promise<{ type: ModuleType; path: string }[]> {
  const modules: { type: ModuleType; path: string }[] = [{ type: "ESModule", path: built.main }];
  for (const file of (await readdir(built.dir)).sort()) {
    const path = join(built.dir, file);
    if (path === built.main || file.endsWith(".map") || file === "README.md") continue;
    // wrangler names a module `<sha1 of its contents>-<its file name>`; the rules match the original name.
    const original = `x/${file.replace(/^[0-9a-f]{40}-/, "")}`;
    const rule = rules.find((r) => r.include.some((glob) => matchesGlob(original, glob)));
    if (!rule)
      throw new Error(`no module rule of the wrangler config matches ${file}, which wrangler wrote beside the bundle`);
    modules.push({ type: rule.type as ModuleType, path });
  }
  return modules;
}
