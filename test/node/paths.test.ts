// The bypass and queue rules of worker/http/paths.ts, and the pure path
// normaliser under them. Every path is first put through the URL parser, as
// the worker's request URL is.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../worker/config.ts";
import { bypassMatcher, bypassRule, normalisePath, pathReadings, queueMatcher } from "../../worker/http/paths.ts";

/** The pathname the worker sees for a raw request path. */
const parsed = (raw: string) => new URL(`http://room.test${raw}`).pathname;

/** Development with a store, so the config parses. */
const dev = {
  ANTEROOM_ENV: "development",
  UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079/",
  UPSTASH_REDIS_REST_TOKEN: "local-dev-token",
};

const DEFAULT_BYPASS = parseConfig(dev).bypassPaths;

describe("normalisePath", () => {
  it.each([
    ["/checkout;.css", false, "/checkout"],
    ["/checkout;x=1", false, "/checkout"],
    ["/shop;jsessionid=1/cart;v=2", false, "/shop/cart"],
    ["/static/..;/checkout", false, "/checkout"],
    ["/static/%2e%2e;/checkout", false, "/checkout"],
    ["/static/%2E%2e/checkout", false, "/checkout"],
    ["/static/.%2e/checkout", false, "/checkout"],
    ["/a/./b/%2e/c", false, "/a/b/c"],
    ["/..;/..;/checkout", false, "/checkout"],
    ["/a//..;/b", false, "/a/b"],
    ["/a//..;/b", true, "/b"],
    ["//checkout", true, "/checkout"],
    ["//checkout", false, "//checkout"],
    ["/%63heckout", false, "/checkout"],
    ["/a%7Eb%2Dc", false, "/a~b-c"],
    ["/a%2fb", false, "/a%2Fb"],
    ["/.well-known/..%2Fcheckout", false, "/.well-known/..%2Fcheckout"],
    ["/caf%C3%A9", false, "/caf%C3%A9"],
    ["/shop/", false, "/shop/"],
    ["/shop/..", false, "/"],
    ["/shop/sub/..;", false, "/shop/"],
    ["/", false, "/"],
    ["/;x", false, "/"],
  ])("%s (collapse %s) reads as %s", (path, collapse, expected) => {
    expect(normalisePath(path, collapse)).toBe(expected);
  });

  it("is idempotent", () => {
    for (const path of ["/a;x/%2e%2e;/b//c/./", "/x/..%2F..%2Fy", "/%2E%2E/%41", "//a//b//..;/c;"]) {
      for (const collapse of [true, false]) {
        const once = normalisePath(path, collapse);
        expect(normalisePath(once, collapse)).toBe(once);
      }
    }
  });
});

describe("pathReadings", () => {
  it("gives one reading for an ordinary path", () => {
    expect(pathReadings("/style.css")).toEqual({ bypassReadings: ["/style.css"], queueReadings: ["/style.css"] });
  });

  it("never lets a path with an encoded separator, parameter, %, query or control character bypass", () => {
    for (const path of [
      "/a%2Fb.css",
      "/a%5cb.css",
      "/a%3Bb.css",
      "/a%253Bb.css",
      "/a%3Fb.css",
      "/a%23b.css",
      "/a%00.css",
    ]) {
      expect(pathReadings(path).bypassReadings, path).toEqual([]);
    }
  });

  it("reads encoded slashes and backslashes as separators for queueing", () => {
    expect(pathReadings("/.well-known/..%2Fcheckout").queueReadings).toContain("/checkout");
    expect(pathReadings("/favicon.ico/..%5C..%5Ccheckout").queueReadings).toContain("/checkout");
  });
});

describe("bypass rules", () => {
  const bypasses = bypassMatcher(DEFAULT_BYPASS);

  it("let static assets through on GET and HEAD", () => {
    for (const path of [
      "/style.css",
      "/js/app.js",
      "/img/logo.png",
      "/favicon.ico",
      "/robots.txt",
      "/.well-known/security.txt",
    ]) {
      expect(bypasses("GET", parsed(path)), path).toBe(true);
      expect(bypasses("HEAD", parsed(path)), path).toBe(true);
    }
  });

  it("apply to GET and HEAD only unless the entry names a method", () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      expect(bypasses(method, "/style.css"), method).toBe(false);
    }
    const custom = bypassMatcher(["/*.css", "POST /webhooks/*", "* /api/public/*", "GET /feed"]);
    expect(custom("POST", "/webhooks/stripe")).toBe(true);
    expect(custom("GET", "/webhooks/stripe")).toBe(false);
    expect(custom("DELETE", "/api/public/x")).toBe(true);
    expect(custom("HEAD", "/feed")).toBe(true);
    expect(custom("POST", "/feed")).toBe(false);
  });

  it.each([
    ["GET", "/checkout;.css"],
    ["POST", "/checkout;.css"],
    ["GET", "/checkout;x=1"],
    ["GET", "/.well-known/..%2Fcheckout"],
    ["POST", "/.well-known/..%2Fcheckout"],
    ["GET", "/%2e%2e/checkout"],
    ["GET", "/favicon.ico/..%2F..%2Fcheckout"],
    ["GET", "/.well-known/..;/checkout"],
    ["GET", "/.well-known//..;/checkout"],
    ["GET", "/.well-known/%2e%2e;/checkout"],
    ["GET", "/checkout%3B.css"],
    ["GET", "/checkout%00.css"],
    ["GET", "/checkout/..;/favicon.ico"],
    ["GET", "/.well-known/..%5Ccheckout"],
    ["GET", "/.well-known/..%252Fcheckout"],
    ["GET", "/checkout;/style.css/..;/"],
  ])("do not let %s %s through", (method, raw) => {
    expect(bypasses(method, parsed(raw))).toBe(false);
  });

  it("still let a harmless parameter or dot segment on an asset through", () => {
    expect(bypasses("GET", parsed("/img/./logo.png"))).toBe(true);
    expect(bypasses("GET", parsed("/img/x/../logo.png"))).toBe(true);
  });

  it("are read by one function, for config and matcher alike", () => {
    expect(bypassRule("/*.css")).toEqual({ methods: new Set(["GET", "HEAD"]), pattern: "/*.css" });
    expect(bypassRule("* /x/*")).toEqual({ methods: null, pattern: "/x/*" });
    expect(bypassRule("post /x")).toHaveProperty("problem");
    expect(() => parseConfig({ ...dev, BYPASS_PATHS: "POST /hooks/*,* /api/*" })).not.toThrow();
    expect(() => parseConfig({ ...dev, BYPASS_PATHS: "post /hooks/*" })).toThrow(/BYPASS_PATHS/);
    expect(() => parseConfig({ ...dev, BYPASS_PATHS: "POST hooks" })).toThrow(/BYPASS_PATHS/);
  });
});

describe("queue rules", () => {
  const queues = queueMatcher(["/checkout*", "/cart"]);

  it.each([
    "/checkout",
    "/checkout;jsessionid=1",
    "/CHECKOUT",
    "/shop/..%2Fcheckout",
    "/shop/..;/checkout",
    "/%63heckout",
    "//cart",
    "/cart;x",
    "/x/..%5Ccart",
  ])("queue %s", (raw) => {
    expect(queues(parsed(raw))).toBe(true);
  });

  it("leave other paths alone", () => {
    for (const raw of ["/", "/shop/cart-help", "/about", "/api/files/a%2Fb"]) {
      expect(queues(parsed(raw)), raw).toBe(false);
    }
  });
});
