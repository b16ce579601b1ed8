#!/usr/bin/env node
// `npx anteroom ...`: runs the TypeScript CLI (cli.ts) under a Node new enough
// to strip types, through the same launcher as `npm start`.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const child = spawn(
  process.execPath,
  [
    join(here, "node.mjs"),
    "node",
    "--experimental-strip-types",
    "--no-warnings",
    join(here, "cli.ts"),
    ...process.argv.slice(2),
  ],
  { stdio: "inherit" },
);
child.on("exit", (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
