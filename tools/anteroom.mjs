#!/usr/bin/env node
// `npx anteroom ...`: runs the CLI through the same launcher as `npm start`: in a
// checkout, the TypeScript itself (cli.ts) under a Node new enough to strip types;
// in an installed package, which has no cli.ts (Node strips no types under
// node_modules), its JavaScript build (dist/tools/cli.js, `npm run build`).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "cli.ts");
const cli = existsSync(source)
  ? ["--experimental-strip-types", "--no-warnings", source]
  : [join(here, "..", "dist", "tools", "cli.js")];
const child = spawn(process.execPath, [join(here, "node.mjs"), "node", ...cli, ...process.argv.slice(2)], {
  stdio: "inherit",
});
child.on("exit", (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
