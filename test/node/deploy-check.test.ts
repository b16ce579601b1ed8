// `npm run deploy:check` as CI runs it: the real tool, the real wrangler (a dry-run
// build, offline), no Cloudflare credentials (HOME is an empty folder, so no
// `wrangler login` is found, and CLOUDFLARE_API_TOKEN is removed).
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkDeployment, type RunWrangler, secretsNeeded, varFindings } from "../../tools/deploy-check.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const TOOL = join(ROOT, "tools", "deploy-check.ts");

let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "deploy-check-home-"));
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Runs the tool as `npm run deploy:check` does, without credentials. */
function deployCheck(args: string[]): Promise<{ code: number; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, WRANGLER_SEND_METRICS: "false" };
  delete env.CLOUDFLARE_API_TOKEN;
  delete env.CLOUDFLARE_ACCOUNT_ID;
  return new Promise((resolve) => {
    execFile(process.execPath, [TOOL, ...args], { cwd: ROOT, env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

/** A copy of the repo's wrangler.toml in a temp folder, its `main` made absolute, with some text replaced. */
async function configCopy(change: (toml: string) => string): Promise<string> {
  const toml = (await readFile(join(ROOT, "wrangler.toml"), "utf8")).replace(
    'main = "worker/index.ts"',
    `main = ${JSON.stringify(join(ROOT, "worker", "index.ts"))}`,
  );
  const dir = await mkdtemp(join(tmpdir(), "deploy-check-config-"));
  const path = join(dir, "wrangler.toml");
  await writeFile(path, change(toml));
  return path;
}

describe("npm run deploy:check", () => {
  it("passes on the repo's wrangler.toml without credentials, saying which secrets it could not check", async () => {
    const { code, out } = await deployCheck([]);
    expect(out).toMatch(/^ok {4}bundle: [\d.]+ KiB raw, [\d.]+ KiB gzip \(\d+ modules\): within 65536 KiB/m);
    expect(out).toMatch(/^ok {4}vars: \d+ settings parse as production/m);
    expect(out).toMatch(
      /^skip {2}secrets: could not check PASS_SIGNING_KEYS, TICKET_SECRET, UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN \(no credentials/m,
    );
    expect(out).toContain("deploy:check passed");
    expect(code).toBe(0);
  }, 120_000);

  it("fails naming a malformed var, and every other one", async () => {
    const config = await configCopy((toml) =>
      toml.replace('ADMIT_PER_MINUTE = "60"', 'ADMIT_PER_MINUTE = "sixty"').replace('MODE = "auto"', 'MODE = "fast"'),
    );
    const { code, out } = await deployCheck(["--config", config]);
    expect(out).toMatch(/^FAIL {2}ADMIT_PER_MINUTE: ADMIT_PER_MINUTE .*"sixty"/m);
    expect(out).toMatch(/^FAIL {2}MODE: MODE .*"fast"/m);
    expect(out).toContain("deploy:check failed: 2 problem(s)");
    expect(code).toBe(1);
    await rm(dirname(config), { recursive: true, force: true });
  }, 120_000);

  it("judges a [env.NAME] section as `wrangler deploy --env` would, and refuses one that does not exist", async () => {
    const config = await configCopy(
      (toml) => `${toml}\n[env.staging]\nname = "anteroom-staging"\n[env.staging.vars]\nANTEROOM_ENV = "development"\n`,
    );
    const staging = await deployCheck(["--config", config, "--env", "staging"]);
    expect(staging.out).toMatch(/^FAIL {2}ANTEROOM_ENV: is "development" in \[vars\]/m);
    expect(staging.code).toBe(1);
    const missing = await deployCheck(["--config", config, "--env", "prod"]);
    expect(missing.out).toMatch(/^FAIL {2}config: --env prod: .* has no \[env.prod\]/m);
    expect(missing.code).toBe(1);
    await rm(dirname(config), { recursive: true, force: true });
  }, 120_000);

  it("fails when the bundle is over the limit given", async () => {
    const { code, out } = await deployCheck(["--max-bundle-kb", "100"]);
    expect(out).toMatch(/^FAIL {2}bundle: [\d.]+ KiB raw, .*: over the limit of 100 KiB uncompressed/m);
    expect(code).toBe(1);
    const bad = await deployCheck(["--max-bundle-kb", "lots"]);
    expect(bad.out).toContain("--max-bundle-kb must be a positive number of KiB, got lots");
    expect(bad.code).toBe(2);
  }, 120_000);
});

describe("the secrets, when wrangler is logged in", () => {
  /** A logged-in wrangler whose account has the given secrets; the build writes a one-module bundle. */
  const account =
    (secrets: string[]): RunWrangler =>
    async (args) => {
      if (args[0] === "whoami") return { code: 0, stdout: "You are logged in with an API Token.", stderr: "" };
      if (args[0] === "secret") {
        return { code: 0, stdout: JSON.stringify(secrets.map((name) => ({ name, type: "secret_text" }))), stderr: "" };
      }
      const outdir = args[args.indexOf("--outdir") + 1] ?? "";
      await writeFile(join(outdir, "index.js"), "export default {};");
      return { code: 0, stdout: "--dry-run: exiting now.", stderr: "" };
    };
  const options = { config: join(ROOT, "wrangler.toml"), env: null, maxBundleKb: 65_536 };

  it("fails naming a missing secret, with the command that sets it", async () => {
    const findings = await checkDeployment(options, account(["PASS_SIGNING_KEYS", "UPSTASH_REDIS_REST_URL"]));
    const failed = findings.filter((f) => f.level === "fail");
    expect(failed.map((f) => f.subject)).toEqual(["TICKET_SECRET", "UPSTASH_REDIS_REST_TOKEN"]);
    expect(failed[0]?.text).toBe("is not set: `npx wrangler secret put TICKET_SECRET`");
    expect(findings).toContainEqual({ level: "ok", subject: "PASS_SIGNING_KEYS", text: "is set" });
  });

  it("passes when every required secret is set", async () => {
    const all = ["PASS_SIGNING_KEYS", "TICKET_SECRET", "UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"];
    const findings = await checkDeployment(options, account([...all, "ADMIN_TOKEN"]));
    expect(findings.filter((f) => f.level === "fail")).toEqual([]);
    expect(findings.filter((f) => f.level === "ok").map((f) => f.subject)).toEqual(["bundle", "vars", ...all]);
  });

  it("lists METRICS_TOKEN and the bypass secrets as optional, never required, and never stands in for them", async () => {
    const findings = await checkDeployment(options, account(["PASS_SIGNING_KEYS", "TICKET_SECRET"]));
    const note = findings.find((f) => f.level === "note" && f.subject === "secrets");
    for (const name of ["METRICS_TOKEN", "BYPASS_HEADERS", "BYPASS_COOKIES"]) expect(note?.text).toContain(name);
    const vars = { ANTEROOM_ENV: "production", ADMIT_PER_MINUTE: "60" };
    const { required, optional } = secretsNeeded(vars);
    expect(optional).toEqual(expect.arrayContaining(["METRICS_TOKEN", "BYPASS_HEADERS", "BYPASS_COOKIES"]));
    expect(required).not.toContain("METRICS_TOKEN");
    // A stand-in for them would be a bad rule, or a metrics token equal to the admin token's stand-in.
    expect(varFindings(vars)).toEqual([
      { level: "ok", subject: "vars", text: "2 settings parse as production parses them" },
    ]);
    // With ADMIN_TOKEN set in [vars], METRICS_TOKEN still passes as unset.
    expect(varFindings({ ...vars, ADMIN_TOKEN: "a".repeat(32) }).map((f) => f.level)).toEqual(["ok"]);
  });
});
