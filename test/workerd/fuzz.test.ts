// Issue 6, fuzzing (fast-check) against the real worker in workerd and the
// real Redis: random and hostile cookies, headers, paths, methods and bodies.
//
// The room runs in `queue-all` mode with a clock that never moves, and its
// first place is taken before the fuzzing starts. So the frontier stays at 1,
// every newcomer waits at place 2 or later, and the only way anybody could be
// let in is a forged token being accepted: a forged ticket for place 1, or a
// forged pass. Whatever the input: never a 5xx, never a pass cookie, no
// request to the origin except bypassed paths (and those without a pass
// header), no stack trace or secret in any body.
import fc from "fast-check";
import { SignJWT, UnsecuredJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../worker/config.ts";
import { bypassMatcher } from "../../worker/http/paths.ts";
import { createApp } from "../../worker/index.ts";
import { connectRedis, RedisStore } from "../../worker/store/redis.ts";
import { loadKeyring } from "../../worker/tokens/keyring.ts";
import { signPass } from "../../worker/tokens/pass.ts";
import { signTicket } from "../../worker/tokens/ticket.ts";
import { bindings, signingKeys, T0, testRoom } from "./helpers.ts";

const TICKET_SECRET = "fuzz-ticket-secret-0123456789abcdefghijkl";
const ADMIN_TOKEN = "fuzz-admin-token-0123456789abcdef";
/** Bounded so each property runs in a few seconds on a shared 2-core machine. */
const RUNS = 800;
const ADMIN_RUNS = 400;

interface Upstream {
  readonly method: string;
  readonly url: string;
  readonly pass: string | null;
}

/** Everything one fuzzing room needs: the app, its env, what reached the origin, the secrets to look for. */
interface Target {
  readonly app: ReturnType<typeof createApp>;
  readonly env: Record<string, string>;
  readonly upstream: Upstream[];
  readonly secrets: readonly string[];
  readonly isBypassed: (method: string, pathname: string) => boolean;
}

let target: Target;
/** Tokens an attacker could make: each would let its holder in if the worker accepted it. */
let forged: string[];
/** Real tokens of this room, to be truncated or padded (never sent whole: they are valid). */
let genuine: string[];

async function makeTarget(settings: Record<string, string>): Promise<Target> {
  const keys = await signingKeys("fuzz-key");
  const room = await testRoom({ TICKET_SECRET, PASS_SIGNING_KEYS: keys, ...settings });
  const upstream: Upstream[] = [];
  const app = createApp({
    store: new RedisStore(
      connectRedis({
        url: room.env.UPSTASH_REDIS_REST_URL ?? "",
        token: room.env.UPSTASH_REDIS_REST_TOKEN ?? "",
        timeoutMs: 5000,
      }),
      { now: () => T0 },
    ),
    now: () => T0,
    fetcher: async (request) => {
      upstream.push({ method: request.method, url: request.url, pass: request.headers.get("anteroom-pass") });
      return new Response("origin page", { headers: { "content-type": "text/plain" } });
    },
  });
  const privateD = (JSON.parse(keys) as { d: string }[])[0]?.d ?? "";
  return {
    app,
    env: room.env,
    upstream,
    secrets: [TICKET_SECRET, ADMIN_TOKEN, privateD, bindings.UPSTASH_REDIS_REST_TOKEN ?? ""].filter((s) => s !== ""),
    isBypassed: bypassMatcher(parseConfig(room.env).bypassPaths),
  };
}

/** Forged and genuine tokens for the room: wrong keys, `none`, algorithm confusion, other rooms, expired. */
async function tokensFor(env: Record<string, string>): Promise<{ forged: string[]; genuine: string[] }> {
  const room = env.ROOM ?? "";
  const now = Math.floor(T0 / 1000);
  const ticketOptions = { key: new TextEncoder().encode(TICKET_SECRET), issuer: "anteroom", room, ttlSeconds: 3600 };
  const placeOne = {
    kind: "place" as const,
    room,
    position: 1,
    joinedFrontier: 0,
    visitorId: "v",
    issuedAt: now,
    clientHint: null,
  };
  const wrongKey = { ...ticketOptions, key: new TextEncoder().encode("another-secret-of-enough-length-0123456789") };
  const keyring = await loadKeyring(env.PASS_SIGNING_KEYS ?? "");
  const strangers = await loadKeyring(await signingKeys("fuzz-key"));
  const passOptions = { keyring, issuer: "anteroom", audience: "anteroom-origin", room, sessionSeconds: 600 };
  const ticketClaims = { room, pos: 1, f0: 0 };
  const passClaims = { room, iss: "anteroom", aud: "anteroom-origin", sub: "v", jti: "j" };
  const forgedTokens = [
    await signTicket(placeOne, wrongKey),
    await signTicket({ ...placeOne, room: "another-room" }, { ...ticketOptions, room: "another-room" }),
    await signTicket({ ...placeOne, issuedAt: now - 7200 }, ticketOptions), // expired an hour ago
    new UnsecuredJWT(ticketClaims).setIssuer("anteroom").setAudience("anteroom:ticket").setSubject("v").encode(),
    new UnsecuredJWT(passClaims)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .encode(),
    // A pass HMAC-signed with the ticket secret: algorithm confusion must not work.
    await new SignJWT(passClaims)
      .setProtectedHeader({ alg: "HS256", kid: "fuzz-key" })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 600)
      .sign(ticketOptions.key),
    // Right kid, another key: a bad signature.
    await signPass("v", { ...passOptions, keyring: strangers }, T0),
    await signPass("v", { ...passOptions, room: "another-room" }, T0),
    await signPass("v", { ...passOptions, audience: "someone-else" }, T0),
    await signPass("v", { ...passOptions, issuer: "someone-else" }, T0),
    await signPass("v", passOptions, T0 - 3_600_000), // expired
    await signPass("v", passOptions, T0 + 3_600_000), // not yet valid
  ];
  const genuineTokens = [await signPass("v", passOptions, T0), await signTicket(placeOne, ticketOptions)];
  return { forged: forgedTokens, genuine: genuineTokens };
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
const b64urlSegment = fc.base64String({ maxLength: 120 }).map((s) => s.replace(/=+$/, "").replace(/\+/g, "-"));

/** Cookie values: forged tokens, cut or padded real ones, JWT-shaped noise, huge values, anything printable. */
function tokenArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...forged),
    fc.tuple(fc.constantFrom(...genuine), fc.nat()).map(([token, cut]) => token.slice(0, cut % token.length)), // truncated (never whole)
    fc.tuple(fc.constantFrom(...genuine), printable).map(([token, tail]) => `${token}x${tail}`),
    fc.tuple(fc.constantFrom(...genuine), fc.integer({ min: 2100, max: 20_000 })).map(([t, n]) => t.padEnd(n, "A")),
    fc.tuple(b64urlSegment, b64urlSegment, b64urlSegment).map(([a, b, c]) => `${a}.${b}.${c}`),
    fc.constantFrom("", "null", "undefined", '""', "%00", "%E0%A4%A", "eyJ", "...", "a.b.c", "=", "\\"),
    printable,
  );
}

const COOKIE_NAMES = ["anteroom_pass", "anteroom_ticket", "__Host-anteroom_pass", "__Host-anteroom_ticket"];

function cookieHeaderArbitrary(): fc.Arbitrary<string> {
  const pair = fc
    .tuple(fc.oneof(fc.constantFrom(...COOKIE_NAMES), fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/)), tokenArbitrary())
    .map(([name, value]) => `${name}=${value}`);
  return fc
    .oneof(
      { weight: 4, arbitrary: fc.tuple(fc.array(pair, { maxLength: 6 }), fc.constantFrom("; ", ";", " ; ", ",")) },
      { weight: 1, arbitrary: fc.tuple(fc.constant([]), printable) },
    )
    .map(([pairs, separator]) => (Array.isArray(pairs) && pairs.length > 0 ? pairs.join(separator) : separator));
}

/** Headers a Request can carry (no Host, framing or forbidden names: those would fail in the test, not the worker). */
function headersArbitrary(): fc.Arbitrary<[string, string][]> {
  const names = fc.oneof(
    fc.constantFrom(
      "accept",
      "sec-fetch-mode",
      "sec-fetch-dest",
      "authorization",
      "anteroom-pass",
      "x-forwarded-for",
      "x-forwarded-host",
      "x-forwarded-proto",
      "cf-connecting-ip",
      "referer",
      "origin",
      "user-agent",
      "content-type",
      "accept-language",
      "if-none-match",
      "range",
    ),
    fc
      .stringMatching(/^[a-z][a-z0-9-]{0,20}$/)
      .filter(
        (n) =>
          !/^(host|content-length|transfer-encoding|connection|upgrade|expect|te|trailer|keep-alive|cookie)$/.test(n),
      ),
  );
  const values = fc.oneof(
    printable,
    tokenArbitrary(),
    fc.constantFrom("text/html", "application/json", "*/*", "navigate", "cors", "Bearer x", "1.2.3.4"),
  );
  return fc.array(fc.tuple(names, values), { maxLength: 6 });
}

function pathArbitrary(): fc.Arbitrary<string> {
  const hostile = fc.constantFrom(
    "/",
    "//evil.example",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..;/admin",
    "/%00",
    "/%ZZ",
    "/__anteroom/status",
    "/__anteroom/jwks.json",
    "/__anteroom/admin/stats",
    "/__anteroom/unknown",
    "/__anteroom/../__anteroom/status",
    `/${"a".repeat(5000)}`,
    "/health",
    "/app.css",
  );
  const query = fc.webQueryParameters().map((q) => (q === "" ? "" : `?${q}`));
  return fc
    .tuple(
      fc.oneof(
        hostile,
        fc.webPath().map((p) => (p.startsWith("/") ? p : `/${p}`)),
      ),
      query,
    )
    .map(([path, q]) => `${path}${q}`);
}

const methodArbitrary = fc.constantFrom("GET", "GET", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

const bodyArbitrary: fc.Arbitrary<string | Uint8Array | null> = fc.oneof(
  fc.constant(null),
  printable,
  fc.json(),
  fc.uint8Array({ maxLength: 4096 }),
  fc.integer({ min: 70_000, max: 200_000 }).map((n) => "x".repeat(n)),
);

interface Probe {
  readonly method: string;
  readonly path: string;
  readonly headers: [string, string][];
  readonly cookie: string;
  readonly body: string | Uint8Array | null;
}

function probeArbitrary(): fc.Arbitrary<Probe> {
  return fc.record({
    method: methodArbitrary,
    path: pathArbitrary(),
    headers: headersArbitrary(),
    cookie: cookieHeaderArbitrary(),
    body: bodyArbitrary,
  });
}

async function send(t: Target, probe: Probe, extra: [string, string][] = []): Promise<Response> {
  const headers = new Headers();
  for (const [name, value] of [...probe.headers, ...extra]) headers.append(name, value);
  if (probe.cookie) headers.set("cookie", probe.cookie);
  const hasBody = probe.body !== null && probe.method !== "GET" && probe.method !== "HEAD";
  return t.app.request(
    `https://room.test${probe.path}`,
    { method: probe.method, headers, body: hasBody ? probe.body : null },
    t.env,
  );
}

/** What no answer may contain: a secret, or a stack trace. */
function expectNothingLeaks(t: Target, body: string): void {
  for (const secret of t.secrets) expect(body.includes(secret), "a secret in a response body").toBe(false);
  expect(body).not.toMatch(/\bat [\w.<>$]+ \(?[^)\s]*:\d+:\d+\)?/);
  expect(body).not.toMatch(/"stack"|Error: |TypeError|SyntaxError/);
}

describe("fuzzing the room (queue-all, clock frozen, place 1 taken)", () => {
  beforeAll(async () => {
    target = await makeTarget({ MODE: "queue-all", ADMIT_PER_MINUTE: "60" });
    ({ forged, genuine } = await tokensFor(target.env));
    // Take place 1, the only place within the frontier, so nobody else can be let in honestly.
    const first = await target.app.request(
      "https://room.test/",
      { headers: { accept: "application/json" } },
      target.env,
    );
    expect(first.status).toBe(429);
    expect(((await first.json()) as { position: number }).position).toBe(1);
  });

  it("checks its own premise: a genuine pass is let in, and each forged token alone is not", async () => {
    const [pass] = genuine;
    const ok = await target.app.request(
      "https://room.test/",
      { headers: { cookie: `__Host-anteroom_pass=${pass}` } },
      target.env,
    );
    expect(ok.status).toBe(200);
    expect(target.upstream.splice(0)).toHaveLength(1);
    for (const token of forged) {
      for (const name of COOKIE_NAMES) {
        const res = await target.app.request(
          "https://room.test/api/x",
          { headers: { cookie: `${name}=${token}`, accept: "application/json" } },
          target.env,
        );
        expect(res.status, `${name}=${token.slice(0, 40)}…`).toBe(429);
        expect(res.headers.getSetCookie().some((c) => c.includes("anteroom_pass="))).toBe(false);
      }
    }
    expect(target.upstream).toEqual([]);
  });

  it("random cookies, headers, paths, methods and bodies: never a 5xx, never let in, nothing leaks", async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(probeArbitrary(), async (probe) => {
        const before = target.upstream.length;
        const res = await send(target, probe);
        statuses.add(res.status);
        const body = await res.text();
        expect(
          res.status,
          `${probe.method} ${probe.path.slice(0, 80)} → ${res.status} ${body.slice(0, 200)}`,
        ).toBeLessThan(500);
        for (const line of res.headers.getSetCookie()) {
          expect(/anteroom_pass=[^;]/.test(line), `a pass cookie was set: ${line.slice(0, 60)}`).toBe(false);
        }
        if (res.headers.get("content-type")?.includes("json") && body.startsWith("{")) {
          expect((JSON.parse(body) as { state?: string }).state).not.toBe("admitted");
        }
        for (const reached of target.upstream.slice(before)) {
          const pathname = new URL(reached.url).pathname;
          expect(reached.pass, "the origin got a pass header").toBeNull();
          expect(
            target.isBypassed(reached.method, pathname),
            `a queued request reached the origin: ${reached.method} ${pathname}`,
          ).toBe(true);
        }
        expectNothingLeaks(target, body);
      }),
      { numRuns: RUNS },
    );
    // Not a degenerate run: holding pages, 429s, 404s and bypassed paths were all reached.
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 404, 429]));
    expect(target.upstream.length).toBeGreaterThan(0);
  }, 120_000);
});

describe("fuzzing the admin API", () => {
  let guarded: Target;
  let absent: Target;

  beforeAll(async () => {
    [guarded, absent] = await Promise.all([
      makeTarget({ ADMIN_TOKEN, MODE: "queue-all" }),
      makeTarget({ MODE: "queue-all" }),
    ]);
  });

  const adminPath = fc
    .tuple(
      fc.constantFrom("", "/", "/stats", "/settings", "/events", "/events/1", "/events/../stats", "/dashboard", "/x"),
      fc.webSegment(),
    )
    .map(([base, segment]) => `/__anteroom/admin${base}${segment && base.endsWith("/") ? segment : ""}`);

  /** Authorization values that are never the right one. */
  const wrongAuth = fc.oneof(
    fc.constant(null),
    printable.filter((s) => !s.includes(ADMIN_TOKEN)).map((s) => `Bearer ${s}`),
    fc.constantFrom(
      `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
      `Bearer ${ADMIN_TOKEN}x`,
      `bearer ${ADMIN_TOKEN}`,
      `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`,
      ADMIN_TOKEN,
      `Bearer ${ADMIN_TOKEN.toUpperCase()}`,
      "Bearer ",
    ),
  );

  /** Built when a test runs: the token arbitraries need the room's tokens. */
  const adminProbe = (): fc.Arbitrary<Probe> =>
    fc.record({
      method: methodArbitrary,
      path: adminPath,
      // The API reads bodies as text whatever their type; the type is varied below, from a short list,
      // because workerd logs a warning for every non-text type it is asked to read as text.
      headers: headersArbitrary().map((h) => h.filter(([name]) => name !== "authorization" && name !== "content-type")),
      cookie: fc.constant(""),
      body: bodyArbitrary,
    });

  it("without the right token: 401 (429 once throttled; 404 where no API exists), never a 5xx, nothing leaks", async () => {
    await fc.assert(
      fc.asyncProperty(adminProbe(), wrongAuth, fc.boolean(), async (probe, auth, withToken) => {
        const t = withToken ? guarded : absent;
        const extra: [string, string][] = auth === null ? [] : [["authorization", auth]];
        const res = await send(t, probe, extra);
        const body = await res.text();
        // Failed authentications are throttled per client (admin/auth-throttle.ts): most probes share one.
        expect(
          [401, 404, 429],
          `${probe.method} ${probe.path} (${auth}) → ${res.status} ${body.slice(0, 120)}`,
        ).toContain(res.status);
        if (!withToken) expect(res.status).toBe(404);
        expect(body).not.toMatch(/queueLength|frontier|perMinute/);
        expectNothingLeaks(t, body);
      }),
      { numRuns: ADMIN_RUNS },
    );
  }, 120_000);

  it("with the right token, random bodies and content types: never a 5xx, nothing leaks", async () => {
    const statuses = new Set<number>();
    const body = fc.oneof(
      bodyArbitrary,
      fc.json(),
      fc
        .record(
          {
            perMinute: fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null)),
            mode: fc.oneof(fc.constantFrom("auto", "queue-all", "paused", "closed", "nope"), fc.string()),
            sessionMinutes: fc.oneof(fc.double(), fc.constant(null), fc.constant(-1)),
            startsAt: fc.oneof(
              fc.string(),
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            ),
            endsAt: fc.string(),
            ratePerMinute: fc.oneof(fc.integer(), fc.double()),
          },
          { requiredKeys: [] },
        )
        .map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(
        adminProbe(),
        body,
        fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", ""),
        async (probe, payload, contentType) => {
          // A client of its own: the probes above, most without an address, are throttled by now.
          const extra: [string, string][] = [
            ["authorization", `Bearer ${ADMIN_TOKEN}`],
            ["cf-connecting-ip", "192.0.2.200"],
          ];
          if (contentType) extra.push(["content-type", contentType]);
          const headers = probe.headers.filter(([name]) => name !== "cf-connecting-ip");
          const res = await send(guarded, { ...probe, headers, body: payload }, extra);
          statuses.add(res.status);
          const text = await res.text();
          expect(res.status, `${probe.method} ${probe.path} → ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500);
          expectNothingLeaks(guarded, text);
        },
      ),
      { numRuns: ADMIN_RUNS },
    );
    // The handlers themselves were reached: answers, refusals of bad input, unknown paths.
    expect([...statuses]).toEqual(expect.arrayContaining([200, 400, 404]));
  }, 120_000);
});
