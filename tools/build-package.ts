// `npm run build` (and `npm pack`'s prepack): the package's dist/ folder.
//
//   dist/worker/          the main export `anteroom` (worker/package.ts): JavaScript and declarations
//   dist/origin-adapter/  the `anteroom/origin*` exports (npm run build:origin)
//   dist/tools/           the `anteroom` CLI (tools/cli.ts) as JavaScript, which tools/anteroom.mjs runs when installed
//
// The dashboard's browser files arrive in the worker as Text modules, a rule of
// this project's wrangler.toml that a site's own worker does not have; in dist/
// they become string constants, so the package bundles anywhere without rules.
import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(ROOT, "package.json"));
const TSC = require.resolve("typescript/bin/tsc");

/** The Text-module imports of each emitted file, and where each file's text comes from. */
const TEXT_MODULES: Record<string, Record<string, string>> = {
  "worker/dashboard/assets.js": {
    "uplot/dist/uPlot.iife.min.js": require.resolve("uplot/dist/uPlot.iife.min.js"),
    "uplot/dist/uPlot.min.css": require.resolve("uplot/dist/uPlot.min.css"),
    "./dashboard.client.css": join(ROOT, "worker/dashboard/dashboard.client.css"),
    "./dashboard.client.js": join(ROOT, "worker/dashboard/dashboard.client.js"),
  },
};

/**
 * Text the declarations must not keep: this worker's generated `Env` (worker/env.d.ts) is a global
 * of this project alone, which a consumer's own `Env` must not meet; to them the bindings are a record.
 */
const DECLARATION_EDITS: Record<string, Record<string, string>> = {
  "worker/http/app-env.d.ts": { "Bindings: Env;": "Bindings: Readonly<Record<string, unknown>>;" },
};

/**
 * Builds dist/: the TypeScript builds, then the Text modules inlined and the declarations made self-contained.
 *
 * @throws when tsc fails, or an expected Text-module import is not where it was (so a moved import cannot ship unbundled).
 * @example
 * ```ts
 * await buildPackage();
 * ```
 */
export async function buildPackage(): Promise<void> {
  for (const folder of ["worker", "tools"]) await rm(join(ROOT, "dist", folder), { recursive: true, force: true });
  // The CLI's build also emits the worker files it imports (dist/worker/...): the worker's own build runs after it.
  for (const config of ["tsconfig.cli.json", "tsconfig.build.json", "origin-adapter/tsconfig.build.json"]) {
    await run(process.execPath, [TSC, "-p", config], { cwd: ROOT });
  }
  for (const [file, imports] of Object.entries(TEXT_MODULES)) {
    const path = join(ROOT, "dist", file);
    let source = await readFile(path, "utf8");
    for (const [specifier, from] of Object.entries(imports)) {
      const pattern = new RegExp(
        `^import (\\w+) from ${JSON.stringify(specifier).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")};$`,
        "m",
      );
      const found = pattern.exec(source);
      if (!found) throw new Error(`build: dist/${file} has no \`import ... from "${specifier}"\` to inline`);
      const text = await readFile(from, "utf8");
      source = source.replace(found[0], () => `const ${found[1]} = ${JSON.stringify(text)};`);
    }
    await writeFile(path, source);
  }
  for (const [file, edits] of Object.entries(DECLARATION_EDITS)) {
    const path = join(ROOT, "dist", file);
    let source = await readFile(path, "utf8");
    for (const [from, to] of Object.entries(edits)) {
      if (!source.includes(from)) throw new Error(`build: dist/${file} no longer has \`${from}\``);
      source = source.replace(from, to);
    }
    await writeFile(path, source);
  }
}

if (import.meta.main) {
  await buildPackage();
  console.log("build: dist/worker and dist/origin-adapter written");
}
