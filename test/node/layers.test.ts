import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The folders of worker/ are its architecture (worker/README.md): each layer
// may import only the layers below it. A wrong import is easy to write and
// invisible in review, so it is checked here.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const WORKER = join(ROOT, "worker");

/** Layer of a file under worker/ (its first folder, or "top" for index/runtime/config/errors). */
function layerOf(path: string): string {
  const rel = relative(WORKER, path);
  if (rel.startsWith("..")) return relative(ROOT, path).split("/")[0] ?? "";
  const parts = rel.split("/");
  return parts.length > 1 ? (parts[0] ?? "") : "top";
}

/** Files every layer may import: the error classes and the logger (both import nothing of the worker's). */
const SHARED = new Set([join(WORKER, "errors.ts"), join(WORKER, "log.ts")]);

/** Who may import whom; the {@link SHARED} files excepted. */
const ALLOWED: Record<string, readonly string[]> = {
  model: [],
  tokens: ["origin-adapter"],
  store: ["model"],
  gate: ["model", "tokens", "store"],
  http: ["model", "tokens", "store", "gate", "top", "origin-adapter"],
  admin: ["model", "tokens", "store", "gate", "http", "top"],
  dashboard: ["model", "http", "top", "admin"],
  top: ["model", "tokens", "store", "gate", "http", "admin", "dashboard"],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|js)$/.test(entry.name) ? [path] : [];
  });
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) =>
    resolve(dirname(file), m[1] ?? ""),
  );
}

describe("worker layers", () => {
  const files = sources(WORKER);

  it("finds the worker's files", () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it("imports only downwards (worker/README.md)", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const target of relativeImports(file)) {
        const to = layerOf(target);
        if (to === from || SHARED.has(target)) continue;
        if (!(ALLOWED[from] ?? []).includes(to))
          violations.push(`${relative(ROOT, file)} -> ${relative(ROOT, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("keeps the shared files free of imports, so every layer can use them", () => {
    for (const file of SHARED) expect(relativeImports(file)).toEqual([]);
  });

  it("never imports the Node-side tools", () => {
    const offenders = files.filter((file) => relativeImports(file).some((t) => layerOf(t) === "tools"));
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it("names every file in the README's layout section", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Layout"), readme.indexOf("\n## ", readme.indexOf("## Layout") + 1));
    const named = (file: string) => section.includes(file.split("/").at(-1) ?? file);
    const listed = [
      ...files,
      ...sources(join(ROOT, "origin-adapter")),
      ...readdirSync(join(ROOT, "tools")).map((name) => join(ROOT, "tools", name)),
    ].filter((file) => !file.endsWith(".md"));
    expect(listed.filter((file) => !named(file)).map((file) => relative(ROOT, file))).toEqual([]);
  });
});
