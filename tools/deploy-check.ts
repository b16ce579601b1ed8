// `npm run deploy:check`: checks a production configuration without deploying.
//
//   npm run deploy:check [-- --config wrangler.toml] [--env NAME] [--max-bundle-kb N]
//
// 1. builds the bundle as `wrangler deploy` would (`--dry-run --outdir`, offline) and
//    reports its size, raw and gzip, against the Worker size limit;
// 2. parses the [vars] with worker/config.ts exactly as the deployed worker will
//    (ANTEROOM_ENV=production), naming every bad setting;
// 3. lists the secrets production needs and, when wrangler has credentials
//    (CLOUDFLARE_API_TOKEN, or `wrangler login`), checks them with `wrangler secret list`;
//    without credentials it says which it could not check and passes the rest.
//
// Exit codes: 0 every check passed (or could not be made), 1 a check failed, 2 bad arguments.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { parseConfig } from "../worker/config.ts";
import { ConfigError } from "../worker/errors.ts";
import { wranglerBin } from "./wrangler.ts";

/**
 * The Worker size limit: 64 MiB uncompressed on every plan. Cloudflare removed
 * the former compressed limits (3 MiB Workers Free, 10 MiB Workers Paid, after
 * gzip) in September 2026: changelog "Increased Worker size limit"
 * (developers.cloudflare.com/changelog/post/2026-09-04-increased-worker-size-limit/)
 * and https://developers.cloudflare.com/workers/platform/limits/#worker-size;
 * wrangler compares the uncompressed size since cloudflare/workers-sdk#14001.
 */
export const WORKER_SIZE_LIMIT_KIB = 64 * 1024;
/** The former compressed limit of Workers Free, shown beside the gzip size for accounts on older terms. */
const FORMER_FREE_GZIP_LIMIT_KIB = 3 * 1024;

/**
 * Secrets that only turn a feature on (README: set them as secrets): listed,
 * never stood in for when the vars are judged, since a stand-in would turn the
 * feature on, and is no valid rule (`BYPASS_*`) or clashes with ADMIN_TOKEN's
 * stand-in (METRICS_TOKEN must differ from it).
 */
const FEATURE_SECRETS: ReadonlySet<string> = new Set(["METRICS_TOKEN", "BYPASS_HEADERS", "BYPASS_COOKIES"]);

/** Secrets the worker may read; which of them production requires is decided by parseConfig itself. */
const SECRET_NAMES = [
  "PASS_SIGNING_KEYS",
  "TICKET_SECRET",
  "UPSTASH_REDIS_REST_URL",
  "UPSTASH_REDIS_REST_TOKEN",
  "ADMIN_TOKEN",
  "TURNSTILE_SECRET_KEY",
  ...FEATURE_SECRETS,
] as const;

/** What the check found: one line each. `skip` could not be checked; `note` is information. */
export interface Finding {
  readonly level: "ok" | "fail" | "skip" | "note";
  readonly subject: string;
  readonly text: string;
}

/** Which wrangler configuration to check. */
export interface DeployCheckOptions {
  /** The wrangler configuration file. */
  readonly config: string;
  /** A `[env.NAME]` section, as `wrangler deploy --env NAME` would use, or null for the top level. */
  readonly env: string | null;
  /** The bundle (uncompressed) must not be larger than this many KiB; default {@link WORKER_SIZE_LIMIT_KIB}. */
  readonly maxBundleKb: number;
}

/** The result of running wrangler: its exit code and output. */
export interface WranglerRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** How the check reaches wrangler; tests replace it to play a logged-in account. */
export type RunWrangler = (args: readonly string[]) => Promise<WranglerRun>;

/**
 * Checks a configuration and returns what it found; never throws for a bad
 * configuration (each problem is a `fail` finding).
 *
 * @example
 * ```ts
 * const findings = await checkDeployment({ config: "wrangler.toml", env: null, maxBundleKb: 65536 });
 * const failed = findings.some((f) => f.level === "fail");
 * ```
 */
export async function checkDeployment(
  options: DeployCheckOptions,
  runWrangler: RunWrangler = wranglerProcess,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const envArgs = options.env ? ["--env", options.env] : [];
  const read = await readVars(options);
  if (read.kind === "unreadable") return [{ level: "fail", subject: "config", text: read.reason }];
  findings.push(...bundleFindings(await buildBundle(options, envArgs, runWrangler), options.maxBundleKb));
  findings.push(...varFindings(read.vars));
  if (read.routes === 0) {
    findings.push({
      level: "note",
      subject: "routes",
      text: "no routes or custom domains in the configuration: the worker would answer on workers.dev only (docs/deploy.md, 'Routes or a custom domain')",
    });
  }
  findings.push(...(await secretFindings(read.vars, envArgs, runWrangler)));
  return findings;
}

type ReadVars =
  | { readonly kind: "read"; readonly vars: Readonly<Record<string, unknown>>; readonly routes: number }
  | { readonly kind: "unreadable"; readonly reason: string };

/** The [vars] the deployed worker gets, read by wrangler's own config reader (so `--env` inherits as deploy does). */
async function readVars(options: DeployCheckOptions): Promise<ReadVars> {
  const wrangler = await import("wrangler");
  try {
    if (options.env) {
      const raw = wrangler.experimental_readRawConfig({ config: options.config }).rawConfig as { env?: object };
      if (!raw.env || !Object.hasOwn(raw.env, options.env)) {
        return { kind: "unreadable", reason: `--env ${options.env}: ${options.config} has no [env.${options.env}]` };
      }
    }
    const config = wrangler.unstable_readConfig(
      { config: options.config, ...(options.env ? { env: options.env } : {}) },
      { hideWarnings: true },
    );
    const routes = (config.routes?.length ?? 0) + (config.route ? 1 : 0);
    return { kind: "read", vars: { ...config.vars }, routes };
  } catch (error) {
    return {
      kind: "unreadable",
      reason: `${options.config}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/** The modules of a dry-run bundle, by name, or why it could not be built. */
type Bundle =
  | { readonly kind: "built"; readonly modules: ReadonlyMap<string, Buffer> }
  | { readonly kind: "failed"; readonly reason: string };

async function buildBundle(options: DeployCheckOptions, envArgs: string[], run: RunWrangler): Promise<Bundle> {
  const outdir = await mkdtemp(join(tmpdir(), "anteroom-deploy-check-"));
  try {
    const built = await run(["deploy", "--dry-run", "--outdir", outdir, "-c", options.config, ...envArgs]);
    if (built.code !== 0) return { kind: "failed", reason: lastLines(`${built.stdout}\n${built.stderr}`) };
    const modules = new Map<string, Buffer>();
    // Source maps are not uploaded with the worker unless `upload_source_maps` asks; README.md is wrangler's note.
    for (const name of (await readdir(outdir)).filter((n) => !n.endsWith(".map") && n !== "README.md")) {
      modules.set(name, await readFile(join(outdir, name)));
    }
    return { kind: "built", modules };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/**
 * The bundle's size against the limit: uncompressed, as Cloudflare counts it
 * now; the gzip size is shown for accounts still held to the former compressed limits.
 */
export function bundleFindings(bundle: Bundle, maxBundleKb: number): Finding[] {
  if (bundle.kind === "failed") {
    return [{ level: "fail", subject: "bundle", text: `wrangler deploy --dry-run failed: ${bundle.reason}` }];
  }
  let raw = 0;
  let gzip = 0;
  for (const bytes of bundle.modules.values()) {
    raw += bytes.length;
    gzip += gzipSync(bytes).length;
  }
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  const size = `${kib(raw)} KiB raw, ${kib(gzip)} KiB gzip (${bundle.modules.size} modules)`;
  if (raw > maxBundleKb * 1024) {
    return [{ level: "fail", subject: "bundle", text: `${size}: over the limit of ${maxBundleKb} KiB uncompressed` }];
  }
  const former =
    gzip > FORMER_FREE_GZIP_LIMIT_KIB * 1024
      ? `; over the former Workers Free limit of ${FORMER_FREE_GZIP_LIMIT_KIB} KiB gzip`
      : "";
  return [{ level: "ok", subject: "bundle", text: `${size}: within ${maxBundleKb} KiB uncompressed${former}` }];
}

/**
 * The [vars] parsed as production parses them. Secrets are not in [vars], so
 * each missing one is stood in for by a placeholder that passes its own
 * checks: only the vars are judged here, the secrets by {@link secretFindings}.
 */
export function varFindings(vars: Readonly<Record<string, unknown>>): Finding[] {
  const findings: Finding[] = [];
  const declared = vars.ANTEROOM_ENV;
  if (declared !== undefined && declared !== "production") {
    findings.push({
      level: "fail",
      subject: "ANTEROOM_ENV",
      text: `is ${JSON.stringify(declared)} in [vars]; a deployed room must run as "production" (development signs with throwaway keys)`,
    });
  }
  const problems = configProblems({ ...placeholders(vars, []), ...vars, ANTEROOM_ENV: "production" });
  for (const problem of problems) findings.push({ level: "fail", subject: settingOf(problem), text: problem });
  if (problems.length === 0 && findings.length === 0) {
    findings.push({
      level: "ok",
      subject: "vars",
      text: `${Object.keys(vars).length} settings parse as production parses them`,
    });
  }
  return findings;
}

/**
 * The secrets production needs (those missing from [vars]), decided by the
 * config parser itself: a secret is required when leaving it out alone is a problem.
 */
export function secretsNeeded(vars: Readonly<Record<string, unknown>>): {
  readonly required: string[];
  readonly optional: string[];
} {
  const required: string[] = [];
  const optional: string[] = [];
  for (const name of SECRET_NAMES) {
    if (Object.hasOwn(vars, name)) continue;
    const env = { ...placeholders(vars, [name]), ...vars, ANTEROOM_ENV: "production" };
    if (configProblems(env).some((problem) => problem.includes(name))) required.push(name);
    else optional.push(name);
  }
  return { required, optional };
}

/** Stand-ins for the secrets not in [vars], except those left out: each passes its own validation. */
function placeholders(vars: Readonly<Record<string, unknown>>, leftOut: readonly string[]): Record<string, string> {
  const stand: Record<string, string> = {};
  for (const name of SECRET_NAMES) {
    if (Object.hasOwn(vars, name) || leftOut.includes(name) || FEATURE_SECRETS.has(name)) continue;
    // Turnstile's secret is only asked for with its site key (a var); a stand-in alone would turn it on half-way.
    if (name === "TURNSTILE_SECRET_KEY" && !Object.hasOwn(vars, "TURNSTILE_SITE_KEY")) continue;
    stand[name] = name.endsWith("_URL") ? "https://secret.invalid" : "x".repeat(64);
  }
  return stand;
}

function configProblems(env: Readonly<Record<string, unknown>>): readonly string[] {
  try {
    parseConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** The setting a problem names: its first word when that is a setting's name. */
function settingOf(problem: string): string {
  return /^(?:unknown setting )?([A-Z][A-Z0-9_]+)/.exec(problem)?.[1] ?? "vars";
}

/** The secrets production needs, checked against `wrangler secret list` when wrangler has credentials. */
async function secretFindings(
  vars: Readonly<Record<string, unknown>>,
  envArgs: string[],
  run: RunWrangler,
): Promise<Finding[]> {
  const { required, optional } = secretsNeeded(vars);
  const findings: Finding[] = [];
  const put = (name: string) => `npx wrangler secret put ${name}${envArgs.length ? ` ${envArgs.join(" ")}` : ""}`;
  const credentials = await hasCredentials(run);
  if (!credentials.ok) {
    findings.push({
      level: "skip",
      subject: "secrets",
      text: `could not check ${required.join(", ")} (${credentials.reason}); set each with \`${put("NAME")}\``,
    });
    if (optional.length > 0) findings.push(optionalNote(optional));
    return findings;
  }
  const listed = await run(["secret", "list", "--format", "json", ...envArgs]);
  let names: Set<string>;
  try {
    if (listed.code !== 0) throw new Error(lastLines(`${listed.stdout}\n${listed.stderr}`));
    names = new Set((JSON.parse(listed.stdout) as { name: string }[]).map((secret) => secret.name));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return [{ level: "fail", subject: "secrets", text: `wrangler secret list failed: ${reason}` }];
  }
  for (const name of required) {
    findings.push(
      names.has(name)
        ? { level: "ok", subject: name, text: "is set" }
        : { level: "fail", subject: name, text: `is not set: \`${put(name)}\`` },
    );
  }
  const unset = optional.filter((name) => !names.has(name));
  if (unset.length > 0) findings.push(optionalNote(unset));
  return findings;
}

function optionalNote(names: readonly string[]): Finding {
  const admin = names.includes("ADMIN_TOKEN") ? " (without ADMIN_TOKEN the admin API, CLI and dashboard are off)" : "";
  const metrics = names.includes("METRICS_TOKEN") ? " (METRICS_TOKEN: a read-only token for Prometheus scrapers)" : "";
  return { level: "note", subject: "secrets", text: `optional, not required: ${names.join(", ")}${admin}${metrics}` };
}

/** Whether wrangler can reach the account: an API token in the environment, or a login `wrangler whoami` accepts. */
async function hasCredentials(run: RunWrangler): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (process.env.CLOUDFLARE_API_TOKEN) return { ok: true };
  const whoami = await run(["whoami"]);
  const said = `${whoami.stdout}\n${whoami.stderr}`;
  if (whoami.code === 0 && !/not authenticated/i.test(said)) return { ok: true };
  return { ok: false, reason: "no credentials: set CLOUDFLARE_API_TOKEN or run `npx wrangler login`" };
}

/** Runs the project's wrangler under this Node, without telemetry. */
const wranglerProcess: RunWrangler = (args) =>
  new Promise((done) => {
    execFile(
      process.execPath,
      [wranglerBin(), ...args],
      {
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });

function lastLines(text: string, count = 6): string {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .slice(-count)
    .join(" | ");
}

const LABEL: Record<Finding["level"], string> = { ok: "ok  ", fail: "FAIL", skip: "skip", note: "note" };

async function main(argv: string[]): Promise<number> {
  let values: { config: string; env?: string; "max-bundle-kb": string; help: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c", default: "wrangler.toml" },
        env: { type: "string", short: "e" },
        "max-bundle-kb": { type: "string", default: String(WORKER_SIZE_LIMIT_KIB) },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    console.error(`deploy:check: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  if (values.help) {
    console.log("usage: npm run deploy:check [-- --config wrangler.toml] [--env NAME] [--max-bundle-kb N]");
    return 0;
  }
  const maxBundleKb = Number(values["max-bundle-kb"]);
  if (!Number.isFinite(maxBundleKb) || maxBundleKb <= 0) {
    console.error(`deploy:check: --max-bundle-kb must be a positive number of KiB, got ${values["max-bundle-kb"]}`);
    return 2;
  }
  const config = resolve(values.config);
  console.log(`deploy:check ${values.config}${values.env ? ` --env ${values.env}` : ""} (nothing is deployed)`);
  const findings = await checkDeployment({ config, env: values.env ?? null, maxBundleKb });
  for (const finding of findings) console.log(`${LABEL[finding.level]}  ${finding.subject}: ${finding.text}`);
  const failed = findings.filter((finding) => finding.level === "fail").length;
  console.log(failed === 0 ? "deploy:check passed" : `deploy:check failed: ${failed} problem(s)`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
