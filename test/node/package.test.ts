// The published shape of the package. First the origin adapter: built as
// `npm run build:origin` does, used the way an app would, by package name
// (`anteroom/origin`, `anteroom/origin/<framework>`) in a plain Node process and
// from TypeScript. Then the whole package as npm publishes it: `npm pack`,
// installed into a fresh project with only its declared dependencies.
// One file, so the two builds of dist/ never run at the same time.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testKey, workerPass } from "../support/passes.ts";

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DIST = join(ROOT, "dist", "origin-adapter");
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const SUBPATHS = [
  "anteroom/origin",
  "anteroom/origin/hono",
  "anteroom/origin/express",
  "anteroom/origin/fastify",
  "anteroom/origin/next",
];

/**
 * What tsc says about a consumer file, strict and with node16 resolution, as an app compiles ("" when
 * nothing); `libCheck` checks the declarations it imports too (no `--skipLibCheck`).
 */
function typeProblems(file: string, cwd: string, libCheck = false): Promise<string> {
  const args = [TSC, "--noEmit", "--strict", "--module", "node16", "--moduleResolution", "node16"];
  args.push("--target", "es2022", "--lib", "es2023,dom", ...(libCheck ? [] : ["--skipLibCheck"]), file);
  return run(process.execPath, args, { cwd }).then(
    () => "",
    (error: { stdout?: string; stderr?: string; message: string }) =>
      `${error.stdout ?? ""}${error.stderr ?? error.message}`,
  );
}

beforeAll(async () => {
  await run(process.execPath, [TSC, "-p", "origin-adapter/tsconfig.build.json"], { cwd: ROOT });
}, 60_000);

describe("the built package", () => {
  it("verifies a worker pass through `anteroom/origin` and loads every wrapper, in plain Node", async () => {
    const key = await testKey();
    const script = `
      const { createAdmissionVerifier } = await import("anteroom/origin");
      const verifier = createAdmissionVerifier({ jwks: JSON.parse(process.env.JWKS) });
      const results = [await verifier.verify(process.env.PASS), await verifier.verify("garbage")];
      const wrappers = [];
      for (const name of ${JSON.stringify(SUBPATHS.slice(1))}) wrappers.push(typeof (await import(name)).anteroom);
      console.log(JSON.stringify({ results, wrappers }));
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      cwd: ROOT,
      env: { ...process.env, JWKS: JSON.stringify(key.jwks), PASS: await workerPass(key, { visitor: "pkg" }) },
    });
    const { results, wrappers } = JSON.parse(stdout);
    expect(results[0]).toMatchObject({ ok: true, claims: { sub: "pkg", room: "default" } });
    expect(results[1]).toEqual({ ok: false, code: "malformed" });
    expect(wrappers).toEqual(["function", "function", "function", "function"]);
  });

  it("the core imports nothing but jose and its own files", async () => {
    const core = [
      "index",
      "contract",
      "pass-check",
      "verifier",
      "key-source",
      "pass-source",
      "guard",
      "errors",
      "types",
    ];
    const all: string[] = [];
    for (const file of core) {
      // Comments hold usage examples that import the package: only code counts.
      const source = (await readFile(join(DIST, `${file}.js`), "utf8")).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      const staticImports = source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"/gm);
      const dynamicImports = source.matchAll(/\bimport\s*\(\s*"([^"]+)"/g);
      const specifiers = [...staticImports, ...dynamicImports].map((m) => m[1] ?? "");
      all.push(...specifiers);
      for (const specifier of specifiers)
        expect(specifier === "jose" || /^\.\/[\w-]+\.js$/.test(specifier), `${file}: ${specifier}`).toBe(true);
    }
    expect(all).toContain("jose");
    expect((await readdir(DIST)).filter((f) => f.endsWith(".d.ts")).length).toBeGreaterThanOrEqual(core.length + 4);
  });

  it("type-checks for a TypeScript consumer with node16 resolution", async () => {
    const dir = join(ROOT, "dist", "consumer-check");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "consumer.ts"),
      `import { type AdmissionResult, createAdmissionVerifier } from "anteroom/origin";
import { anteroom as express } from "anteroom/origin/express";
import { anteroom as fastify } from "anteroom/origin/fastify";
import { type AnteroomVariables, anteroom as hono } from "anteroom/origin/hono";
import { anteroom as next } from "anteroom/origin/next";
const verifier = createAdmissionVerifier({ jwksUrl: "https://shop.example/__anteroom/jwks.json" });
const result: Promise<AdmissionResult> = verifier.verify("token");
const variables: AnteroomVariables | undefined = undefined;
export const all = [result, variables, express({ verifier }), fastify({ verifier }), hono({ verifier }), next({ verifier })];
`,
    );
    const problems = await typeProblems(join(dir, "consumer.ts"), ROOT);
    expect(problems).toBe("");
  }, 60_000);
});

describe("the packed tarball in a fresh project", () => {
  let project: string;
  const npm = (args: string[], cwd: string) =>
    run("npm", args, { cwd, env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" } });

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), "anteroom-consumer-"));
    // prepack builds dist/ (npm run build); the tarball holds what `files` lists.
    const { stdout } = await npm(["pack", "--json", "--pack-destination", project], ROOT);
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string }[];
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    // Only what the package declares (optional peers such as next are not installed), from the npm cache when it can.
    await npm(["install", "--prefer-offline", join(project, packed?.filename ?? "")], project);
  }, 240_000);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  it("installs with its declared dependencies only, and no sources or tests", async () => {
    const installed = (await readdir(join(project, "node_modules"))).filter((name) => !name.startsWith(".")).sort();
    expect(installed).toEqual(["@upstash", "anteroom", "hono", "ipaddr.js", "jose", "uncrypto", "uplot"]);
    const files = await readdir(join(project, "node_modules", "anteroom"));
    expect(files.sort()).toEqual(["README.md", "dist", "package.json", "tools"]);
  });

  it("imports every export in plain Node (next's wrapper needs its optional peer)", async () => {
    const script = `
      const loaded = {};
      for (const name of ["anteroom", ${SUBPATHS.map((s) => JSON.stringify(s)).join(", ")}]) {
        try { loaded[name] = Object.keys(await import(name)).sort(); } catch (error) { loaded[name] = error.code; }
      }
      console.log(JSON.stringify(loaded));
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: project });
    const loaded = JSON.parse(stdout) as Record<string, string[] | string>;
    expect(loaded.anteroom).toEqual(["anteroom", "createApp"]);
    expect(loaded["anteroom/origin"]).toContain("createAdmissionVerifier");
    for (const wrapper of ["hono", "express", "fastify"])
      expect(loaded[`anteroom/origin/${wrapper}`]).toEqual(["anteroom"]);
    expect(loaded["anteroom/origin/next"]).toBe("ERR_MODULE_NOT_FOUND");
  });

  it("type-checks a consumer that mounts the room in its own Hono app", async () => {
    await writeFile(
      join(project, "consumer.ts"),
      `import { Hono } from "hono";
import { type AnteroomOptions, type AnteroomSettings, type AnteroomVariables, anteroom, createApp } from "anteroom";
import { type AdmissionResult, createAdmissionVerifier } from "anteroom/origin";
import { anteroom as honoOrigin } from "anteroom/origin/hono";

type Bindings = { TICKET_SECRET: string; PASS_SIGNING_KEYS: string; UPSTASH_REDIS_REST_URL: string; UPSTASH_REDIS_REST_TOKEN: string };
const app = new Hono<{ Bindings: Bindings; Variables: AnteroomVariables }>();
app.use("*", anteroom<Bindings>({ settings: (env) => ({ ...env, ADMIT_PER_MINUTE: "120", QUEUE_PATHS: "/checkout/*" }) }));
app.get("/checkout/", (c) => c.text(\`Welcome in (pass: \${c.get("anteroomPass") ? "yes" : "no"})\`));
const plain = new Hono();
plain.use("*", anteroom());
const settings: AnteroomSettings = { ROOM: "shop", MODE: "auto" };
// @ts-expect-error a misspelt setting is a type error, so the types are real, not any
const misspelt: AnteroomSettings = { ADMIT_PER_MINUT: "60" };
const options: AnteroomOptions = { settings };
export const whole = createApp();
const verifier = createAdmissionVerifier({ jwksUrl: "https://shop.example/__anteroom/jwks.json" });
const result: Promise<AdmissionResult> = verifier.verify("token");
export const all = [app, plain, options, misspelt, result, honoOrigin({ verifier })];
export default app;
`,
    );
    // Without --skipLibCheck: the package's declarations stand on their own (no global of this project's).
    const problems = await typeProblems("consumer.ts", project, true);
    expect(problems).toBe("");
  }, 60_000);

  it("runs `npx anteroom --help` and `keys generate` from the installed package", async () => {
    const { stdout } = await npm(["exec", "--offline", "--", "anteroom", "--help"], project);
    expect(stdout).toContain("usage: anteroom <command>");
    expect(stdout).toContain("keys generate");
    // A command that needs a runtime dependency (jose), resolved from the consumer's node_modules.
    const keys = await npm(["exec", "--offline", "--", "anteroom", "keys", "generate"], project);
    expect(keys.stdout).toMatch(/New ES256 pass signing key: kid [\w-]+/);
    expect(keys.stdout).toContain("npx wrangler secret put PASS_SIGNING_KEYS");
  }, 60_000);
});
