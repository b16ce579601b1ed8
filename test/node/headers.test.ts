// The security headers of the worker's own pages (worker/headers.ts) and the
// FRAME_ANCESTORS setting they use. The headers on real responses are checked
// in test/workerd/security.test.ts, and in Chromium in test/e2e/security.test.ts.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../worker/config.ts";
import { ConfigError } from "../../worker/errors.ts";
import { contentSecurityPolicy, newNonce } from "../../worker/http/headers.ts";

describe("contentSecurityPolicy", () => {
  it("allows inline script and style by the nonce only, and nothing from elsewhere", () => {
    expect(contentSecurityPolicy("abc", "'none'")).toBe(
      "default-src 'none'; script-src 'nonce-abc'; style-src 'nonce-abc'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  it("keeps every directive with operators' frame ancestors", () => {
    const policy = contentSecurityPolicy("n0nce", "'self' https://shop.example");
    expect(policy).toContain("script-src 'nonce-n0nce'");
    expect(policy).not.toContain("unsafe-inline");
    expect(policy).toMatch(/frame-ancestors 'self' https:\/\/shop\.example$/);
  });
});

describe("newNonce", () => {
  it("is 128 random bits in base64url, different every time", () => {
    const nonces = Array.from({ length: 1000 }, newNonce);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(nonces).size).toBe(nonces.length);
  });
});

describe("FRAME_ANCESTORS", () => {
  const parse = (value?: string) =>
    parseConfig({
      ANTEROOM_ENV: "development",
      UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
      UPSTASH_REDIS_REST_TOKEN: "local-dev-token",
      ...(value === undefined ? {} : { FRAME_ANCESTORS: value }),
    });

  it("defaults to 'none'", () => {
    expect(parse().frameAncestors).toBe("'none'");
  });

  it("takes 'self' and https origins, space-separated (wildcard subdomains and ports included)", () => {
    expect(parse("'self'").frameAncestors).toBe("'self'");
    expect(parse("  'self'   https://shop.example  https://*.cdn.example:8443 ").frameAncestors).toBe(
      "'self' https://shop.example https://*.cdn.example:8443",
    );
  });

  it("refuses anything else with an error naming FRAME_ANCESTORS", () => {
    const bad = [
      "self", // unquoted keyword
      "*",
      "http://shop.example", // not https
      "https://shop.example/path",
      "https://shop.example?x=1",
      "'none' 'self'", // 'none' with others would be ignored by browsers
      "'self'; script-src *", // a second directive smuggled in
      "'self',https://shop.example",
      "data:",
      "'unsafe-inline'",
      "https://",
    ];
    for (const value of bad) {
      let error: unknown;
      try {
        parse(value);
      } catch (caught) {
        error = caught;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      expect((error as Error).message, value).toMatch(/FRAME_ANCESTORS must be 'none'/);
    }
  });

  it("is a known setting, so a typo near it is caught", () => {
    expect(() => parseConfig({ ANTEROOM_ENV: "development", FRAME_ANCESTOR: "'self'" })).toThrow(
      /did you mean FRAME_ANCESTORS/,
    );
  });
});
