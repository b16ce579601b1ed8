// The published shape of the origin adapter: build it as `npm run build:origin`
// does, then use it the way an app would, by package name (`anteroom/origin`,
// `anteroom/origin/<framework>`) in a plain Node process and from TypeScript.
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
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
    const args = [
      TSC,
      "--noEmit",
      "--strict",
      "--module",
      "node16",
      "--moduleResolution",
      "node16",
      "--target",
      "es2022",
    ];
    args.push("--lib", "es2023,dom", "--skipLibCheck", join(dir, "consumer.ts"));
    const problems = await run(process.execPath, args, { cwd: ROOT }).then(
      () => "",
      (error: { stdout?: string; stderr?: string; message: string }) =>
        `${error.stdout ?? ""}${error.stderr ?? error.message}`,
    );
    expect(problems).toBe("");
  }, 60_000);
});
