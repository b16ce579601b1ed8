// The origin adapter's core: the rejection matrix of issue 3 with inline keys
// (the remote JWKS cases are in origin-jwks.test.ts), where the pass is found,
// and the failure actions the framework wrappers share.
import { type JWK, SignJWT, UnsecuredJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ADMISSION_CODES,
  type AdmissionCode,
  type AdmissionVerifier,
  ANY_ROOM,
  cookieValue,
  createAdmissionVerifier,
  createGuard,
  HOST_PASS_COOKIE,
  MAX_PASS_LENGTH,
  OriginAdapterError,
  PASS_COOKIE,
  PASS_HEADER,
  roomCookieName,
} from "../../origin-adapter/index.ts";
import { signTicket } from "../../worker/tokens/ticket.ts";
import {
  b64url,
  passClaims,
  publicKeyAsSecrets,
  resign,
  strangerToken,
  type TestKey,
  testKey,
  workerPass,
} from "../support/passes.ts";

let key: TestKey;
let otherKey: TestKey;
let verifier: AdmissionVerifier;
/** Codes each test saw, to check the matrix covers every inline-key code. */
const seen = new Set<AdmissionCode>();

beforeAll(async () => {
  key = await testKey();
  otherKey = await testKey();
  verifier = createAdmissionVerifier({ jwks: key.jwks });
});

async function expectCode(token: string, code: AdmissionCode, v: AdmissionVerifier = verifier): Promise<void> {
  const result = await v.verify(token);
  expect(result).toEqual({ ok: false, code });
  seen.add(code);
}

describe("a pass signed by the worker", () => {
  it("verifies and yields the documented claim set", async () => {
    const result = await verifier.verify(await workerPass(key, { visitor: "v-42" }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.keys(result.claims).sort()).toEqual(["adm", "aud", "exp", "iat", "iss", "jti", "nbf", "room", "sub"]);
    expect(result.claims).toMatchObject({ iss: "anteroom", aud: "anteroom-origin", sub: "v-42", room: "default" });
    expect(result.claims.exp - result.claims.iat).toBe(600);
    expect(result.claims.adm).toBe(result.claims.iat);
  });

  it("verifies with the one public JWK given as `jwk`", async () => {
    const one = createAdmissionVerifier({ jwk: key.publicJwk });
    expect((await one.verify(await workerPass(key))).ok).toBe(true);
  });

  it("verifies with custom issuer, audience and one of several rooms", async () => {
    const custom = createAdmissionVerifier({
      jwks: key.jwks,
      issuer: "shop",
      audience: "shop-origin",
      room: ["a", "b"],
    });
    const token = await workerPass(key, { issuer: "shop", audience: "shop-origin", room: "b" });
    expect((await custom.verify(token)).ok).toBe(true);
  });

  it("accepts one room, a list, or any room (ROOMS), and finds each room's pass cookie", async () => {
    const shop = await workerPass(key, { room: "shop" });
    const tickets = await workerPass(key, { room: "tickets" });
    const one = createAdmissionVerifier({ jwks: key.jwks, room: "shop" });
    const list = createAdmissionVerifier({ jwks: key.jwks, room: ["shop", "tickets"] });
    const any = createAdmissionVerifier({ jwks: key.jwks, room: ANY_ROOM });
    expect(await one.verify(shop)).toMatchObject({ ok: true, claims: { room: "shop" } });
    expect(await one.verify(tickets)).toEqual({ ok: false, code: "wrong_room" });
    expect((await list.verify(tickets)).ok).toBe(true);
    expect(await list.verify(await workerPass(key, { room: "other" }))).toEqual({ ok: false, code: "wrong_room" });
    expect(await any.verify(await workerPass(key, { room: "other" }))).toMatchObject({ ok: true });
    // The worker with ROOMS keeps each room's pass in `anteroom_pass__<room>` (`__Host-` on https).
    const cookies = (cookie: string) => new Request("https://shop.example/", { headers: { cookie } });
    expect(
      await one.verify(
        cookies(`${roomCookieName(PASS_COOKIE, "tickets")}=${tickets}; __Host-anteroom_pass__shop=${shop}`),
      ),
    ).toMatchObject({ ok: true, claims: { room: "shop" } });
    expect(await one.verify(cookies(`anteroom_pass__tickets=${tickets}`))).toEqual({ ok: false, code: "missing" });
    expect(await any.verify(cookies(`a=1; anteroom_pass__tickets=${tickets}`))).toMatchObject({
      ok: true,
      claims: { room: "tickets" },
    });
  });

  it("verifies within the clock tolerance on either side", async () => {
    const now = Date.now();
    // Expired 10 s ago, and valid only 10 s from now: both inside the default 30 s.
    expect((await verifier.verify(await workerPass(key, { nowMs: now - 610_000 }))).ok).toBe(true);
    expect((await verifier.verify(await workerPass(key, { nowMs: now + 10_000 }))).ok).toBe(true);
    const strict = createAdmissionVerifier({ jwks: key.jwks, clockToleranceSeconds: 0 });
    await expectCode(await workerPass(key, { nowMs: now - 610_000 }), "expired", strict);
    await expectCode(await workerPass(key, { nowMs: now + 10_000 }), "not_yet_valid", strict);
  });
});

describe("the rejection matrix", () => {
  it("missing: no token, an empty one, a request without header or cookie", async () => {
    for (const source of [undefined, null, "", new Request("http://o.test/"), { headers: {} }]) {
      expect(await verifier.verify(source)).toEqual({ ok: false, code: "missing" });
    }
    seen.add("missing");
  });

  it('alg "none" is refused as bad_signature', async () => {
    const none = new UnsecuredJWT(passClaims()).encode();
    await expectCode(none, "bad_signature");
    // The same with the real kid and typ, as an attacker would send it.
    const withKid = `${b64url({ alg: "none", kid: key.kid, typ: "JWT" })}.${b64url(passClaims())}.`;
    await expectCode(withKid, "bad_signature");
    await expectCode(`${b64url({ alg: "NONE", kid: key.kid })}.${b64url(passClaims())}.`, "bad_signature");
  });

  it("HS256 signed with the public key as the HMAC secret (algorithm confusion) is bad_signature", async () => {
    for (const secret of await publicKeyAsSecrets(key)) {
      const forged = await new SignJWT(passClaims())
        .setProtectedHeader({ alg: "HS256", kid: key.kid, typ: "JWT" })
        .sign(secret);
      await expectCode(forged, "bad_signature");
    }
  });

  it("a tampered payload (other visitor, other room, later expiry) is bad_signature", async () => {
    const token = await workerPass(key);
    await expectCode(
      resign(token, (_, p) => Object.assign(p, { sub: "someone-else" })),
      "bad_signature",
    );
    await expectCode(
      resign(token, (_, p) => Object.assign(p, { exp: (p.exp as number) + 86_400 })),
      "bad_signature",
    );
    // A header edit changes the signed input too.
    await expectCode(
      resign(token, (h) => Object.assign(h, { typ: "jwt" })),
      "bad_signature",
    );
    // A signature cut short, or from another key under this key's kid.
    await expectCode(token.slice(0, -4), "bad_signature");
    const [h, p] = (await workerPass(key)).split(".");
    const [, , foreignSignature] = (await workerPass(otherKey)).split(".");
    await expectCode(`${h}.${p}.${foreignSignature}`, "bad_signature");
  });

  it("an unknown kid is unknown_key", async () => {
    await expectCode(await workerPass(otherKey), "unknown_key");
    await expectCode(await strangerToken("no-such-key"), "unknown_key");
  });

  it("expired is expired, nbf in the future is not_yet_valid", async () => {
    await expectCode(await workerPass(key, { nowMs: Date.now() - 3_600_000 }), "expired");
    await expectCode(await workerPass(key, { nowMs: Date.now() + 120_000 }), "not_yet_valid");
  });

  it("wrong iss, aud or room", async () => {
    await expectCode(await workerPass(key, { issuer: "evil" }), "wrong_issuer");
    await expectCode(await workerPass(key, { audience: "another-origin" }), "wrong_audience");
    await expectCode(await workerPass(key, { room: "other-room" }), "wrong_room");
  });

  it("a queue ticket presented as a pass is refused", async () => {
    const ticketOptions = {
      key: new TextEncoder().encode("t".repeat(32)),
      issuer: "anteroom",
      room: "default",
      ttlSeconds: 600,
    };
    const ticket = {
      kind: "place" as const,
      clientHint: null,
      room: "default",
      position: 1,
      joinedFrontier: 0,
      visitorId: "v-1",
      issuedAt: Math.floor(Date.now() / 1000),
    };
    // As the worker signs it: typ anteroom-ticket+jwt, HS256.
    await expectCode(await signTicket(ticket, ticketOptions), "malformed");
    // Even signed with a published pass key, the ticket typ alone refuses it.
    const { privateKey } = { privateKey: key.keyring.signing.key };
    const asPass = await new SignJWT(passClaims())
      .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "anteroom-ticket+jwt" })
      .sign(privateKey);
    await expectCode(asPass, "malformed");
    // With the typ stripped, it is still HS256: not a pass algorithm.
    const stripped = resign(await signTicket(ticket, ticketOptions), (h) => {
      delete h.typ;
      h.kid = key.kid;
    });
    await expectCode(stripped, "bad_signature");
  });

  it("garbage strings are malformed", async () => {
    const garbage = [
      "x",
      "not.a.jwt",
      "..",
      "a.b.c.d.e",
      "eyJ.eyJ.",
      "🙂",
      " ",
      "Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig",
      `${b64url("[1,2]")}.${b64url({})}.x`,
      `${b64url({ alg: "ES256", kid: key.kid })}.%%%%.x`,
      `${b64url({ alg: "ES256", kid: key.kid })}.${b64url("not json")}.x`,
      `${b64url({ alg: "ES256" })}.${b64url(passClaims())}.x`, // no kid: never signed by the worker
      "\u0000\u0001\u0002",
    ];
    for (const token of garbage) await expectCode(token, "malformed");
  });

  it("a 100 KB token is malformed, and so is anything over the limit", async () => {
    const real = await workerPass(key);
    const padded = resign(real, (_, p) => Object.assign(p, { pad: "x".repeat(100_000) }));
    expect(padded.length).toBeGreaterThan(100_000);
    await expectCode(padded, "malformed");
    await expectCode("a".repeat(100 * 1024), "malformed");
    await expectCode("a".repeat(MAX_PASS_LENGTH + 1), "malformed");
    expect(real.length).toBeLessThan(MAX_PASS_LENGTH / 10);
  });

  it("claims of the wrong type or missing make a signed token malformed", async () => {
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" }).sign(key.keyring.signing.key);
    const { room: _room, ...noRoom } = passClaims();
    const { jti: _jti, ...noJti } = passClaims();
    const { exp: _exp, ...noExp } = passClaims();
    await expectCode(await sign(noRoom), "malformed");
    await expectCode(await sign(noJti), "malformed");
    await expectCode(await sign(noExp), "malformed");
    await expectCode(await sign({ ...passClaims(), room: 7 }), "malformed");
    await expectCode(await sign({ ...passClaims(), nbf: "soon" }), "malformed");
  });

  it("a pass granting a longer session than maxSessionSeconds is malformed: a ten-year exp, or too long after adm", async () => {
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" }).sign(key.keyring.signing.key);
    const now = Math.floor(Date.now() / 1000);
    const tenYears = await sign({ ...passClaims(now), exp: now + 10 * 365 * 86_400 });
    await expectCode(tenYears, "malformed");
    // A renewed pass counts from the admission: issued now for 10 minutes, admitted 50 minutes ago is the most.
    await expectCode(await sign({ ...passClaims(now), adm: now - 3001 }), "malformed");
    expect((await verifier.verify(await sign({ ...passClaims(now), adm: now - 3000 }))).ok).toBe(true);
    // A pass without adm (signed before the claim existed) counts from iat.
    expect((await verifier.verify(await sign({ ...passClaims(now), exp: now + 3600 }))).ok).toBe(true);
    await expectCode(await sign({ ...passClaims(now), exp: now + 3601 }), "malformed");
    // An origin whose room allows longer sessions says so.
    const longer = createAdmissionVerifier({ jwks: key.jwks, maxSessionSeconds: 4 * 3600 });
    expect((await longer.verify(await sign({ ...passClaims(now), exp: now + 4 * 3600 }))).ok).toBe(true);
    expect(await longer.verify(tenYears)).toEqual({ ok: false, code: "malformed" });
  });

  it("never throws, whatever it is given", async () => {
    const odd: unknown[] = [42, {}, { headers: null }, { headers: { "anteroom-pass": 5 } }, [], Symbol("x"), () => 1];
    for (const source of odd) {
      const result = await verifier.verify(source as never);
      expect(result.ok).toBe(false);
    }
  });

  it("covers every code but jwks_unavailable (origin-jwks.test.ts has that one)", () => {
    expect([...seen].sort()).toEqual(ADMISSION_CODES.filter((code) => code !== "jwks_unavailable").sort());
  });
});

describe("where the pass is read from", () => {
  it("reads the __Host- cookie the worker sets on https, and prefers it to the plain one", async () => {
    const good = await workerPass(key);
    const bad = await workerPass(otherKey);
    expect((await verifier.verify({ headers: { cookie: `theme=dark; ${HOST_PASS_COOKIE}=${good}` } })).ok).toBe(true);
    expect(
      (await verifier.verify(new Request("https://o.test/", { headers: { cookie: `${HOST_PASS_COOKIE}=${good}` } })))
        .ok,
    ).toBe(true);
    // Prefixed first, whatever the order in the header.
    expect(
      await verifier.verify({ headers: { cookie: `${PASS_COOKIE}=${good}; ${HOST_PASS_COOKIE}=${bad}` } }),
    ).toEqual({ ok: false, code: "unknown_key" });
    expect(
      (await verifier.verify({ headers: { cookie: `${PASS_COOKIE}=${bad}; ${HOST_PASS_COOKIE}=${good}` } })).ok,
    ).toBe(true);
    // An empty prefixed cookie counts as absent, so the plain one is still read.
    expect((await verifier.verify({ headers: { cookie: `${HOST_PASS_COOKIE}=; ${PASS_COOKIE}=${good}` } })).ok).toBe(
      true,
    );
  });

  it("refuses a pass cookie longer than MAX_PASS_LENGTH as malformed", async () => {
    const huge = `${await workerPass(key)}${"A".repeat(MAX_PASS_LENGTH)}`;
    expect(await verifier.verify({ headers: { cookie: `${HOST_PASS_COOKIE}=${huge}` } })).toEqual({
      ok: false,
      code: "malformed",
    });
  });

  it("reads the header first, then the cookie, from Fetch and Node-style headers", async () => {
    const good = await workerPass(key);
    const bad = await workerPass(otherKey);
    const cookie = `theme=dark; ${PASS_COOKIE}=${good}; other=1`;
    expect((await verifier.verify(new Request("http://o.test/", { headers: { cookie } }))).ok).toBe(true);
    expect((await verifier.verify({ headers: { cookie } })).ok).toBe(true);
    expect((await verifier.verify({ headers: { [PASS_HEADER]: good } })).ok).toBe(true);
    // The header wins over the cookie, both ways.
    expect(await verifier.verify({ headers: { [PASS_HEADER]: bad, cookie } })).toEqual({
      ok: false,
      code: "unknown_key",
    });
    const badCookie = `${PASS_COOKIE}=${bad}`;
    expect(
      (await verifier.verify(new Request("http://o.test/", { headers: { [PASS_HEADER]: good, cookie: badCookie } })))
        .ok,
    ).toBe(true);
  });

  it("refuses two passes in the header (repeated or joined) as malformed", async () => {
    const good = await workerPass(key);
    expect(await verifier.verify({ headers: { [PASS_HEADER]: [good, good] } })).toEqual({
      ok: false,
      code: "malformed",
    });
    const joined = new Headers();
    joined.append(PASS_HEADER, good);
    joined.append(PASS_HEADER, good);
    expect(await verifier.verify({ headers: joined })).toEqual({ ok: false, code: "malformed" });
  });

  it("looks cookies up by exact name", () => {
    expect(cookieValue("anteroom_pass=abc", "anteroom_pass")).toBe("abc");
    expect(cookieValue("a=1;anteroom_pass=abc;b=2", "anteroom_pass")).toBe("abc");
    expect(cookieValue('a=1; anteroom_pass="abc"', "anteroom_pass")).toBe("abc");
    expect(cookieValue("x_anteroom_pass=no; anteroom_pass_old=no", "anteroom_pass")).toBe("");
    expect(cookieValue("anteroom_pass=first; anteroom_pass=second", "anteroom_pass")).toBe("first");
    expect(cookieValue("anteroom_pass=a=b", "anteroom_pass")).toBe("a=b");
    expect(cookieValue("anteroom_pass", "anteroom_pass")).toBe("");
    expect(cookieValue("", "anteroom_pass")).toBe("");
    expect(cookieValue(" ;; ; anteroom_pass = v ", "anteroom_pass")).toBe("v");
  });

  it("does not percent-decode cookie values", async () => {
    const [h, p, s] = (await workerPass(key)).split(".");
    expect(await verifier.verify({ headers: { cookie: `${PASS_COOKIE}=${h}%2E${p}%2E${s}` } })).toEqual({
      ok: false,
      code: "malformed",
    });
  });
});

describe("options", () => {
  const expectOptionError = (build: () => unknown, option: string) => {
    let caught: unknown;
    try {
      build();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OriginAdapterError);
    expect((caught as OriginAdapterError).code).toBe("option_invalid");
    expect((caught as OriginAdapterError).option).toBe(option);
  };

  it("require exactly one key source", () => {
    expectOptionError(() => createAdmissionVerifier({}), "jwksUrl");
    expectOptionError(() => createAdmissionVerifier({ jwks: key.jwks, jwk: key.publicJwk }), "jwks and jwk");
  });

  it("refuse private keys, other key types, bad URLs and bad durations", () => {
    expectOptionError(() => createAdmissionVerifier({ jwks: { keys: [key.privateJwk] } }), "jwks.keys[0]");
    expectOptionError(() => createAdmissionVerifier({ jwk: { kty: "oct", k: "c2VjcmV0", kid: "x" } }), "jwk");
    expectOptionError(() => createAdmissionVerifier({ jwk: withoutKid(key.publicJwk) }), "jwk");
    expectOptionError(() => createAdmissionVerifier({ jwks: { keys: [] } }), "jwks");
    expectOptionError(() => createAdmissionVerifier({ jwksUrl: "/relative" }), "jwksUrl");
    expectOptionError(() => createAdmissionVerifier({ jwksUrl: "ftp://x.test/jwks" }), "jwksUrl");
    expectOptionError(
      () => createAdmissionVerifier({ jwks: key.jwks, clockToleranceSeconds: -1 }),
      "clockToleranceSeconds",
    );
    expectOptionError(
      () => createAdmissionVerifier({ jwksUrl: "https://x.test/", jwksTimeoutMs: Number.POSITIVE_INFINITY }),
      "jwksTimeoutMs",
    );
    expectOptionError(() => createAdmissionVerifier({ jwks: key.jwks, room: [] }), "room");
    expectOptionError(
      () => createAdmissionVerifier({ jwks: key.jwks, maxSessionSeconds: Number.NaN }),
      "maxSessionSeconds",
    );
    expectOptionError(() => createAdmissionVerifier({ jwks: key.jwks, issuer: "" }), "issuer");
  });

  it("of the wrappers are checked when the guard is built", () => {
    expectOptionError(() => createGuard({ jwks: key.jwks, onFailure: "redirect" }), "waitingRoomUrl");
    expectOptionError(() => createGuard({ jwks: key.jwks, onFailure: "block" as never }), "onFailure");
    expectOptionError(() => createGuard({ jwks: key.jwks, denyStatus: 401 as never }), "denyStatus");
    expectOptionError(() => createGuard({ jwks: key.jwks, waitingRoomUrl: "javascript:alert(1)" }), "waitingRoomUrl");
    expectOptionError(() => createGuard({ jwks: key.jwks, verifier }), "verifier");
  });
});

describe("failure actions", () => {
  const room = "https://shop.example";

  it("redirect to the room with the original path and query", async () => {
    const guard = createGuard({ jwks: key.jwks, onFailure: "redirect", waitingRoomUrl: room });
    const outcome = await guard({ headers: {} }, "/checkout?step=2&x=%20y");
    expect(outcome).toEqual({
      result: { ok: false, code: "missing" },
      action: { kind: "redirect", status: 302, location: "https://shop.example/checkout?step=2&x=%20y" },
    });
  });

  it("never redirect to another host, whatever the path", async () => {
    const guard = createGuard({ jwks: key.jwks, onFailure: "redirect", waitingRoomUrl: `${room}/shop/` });
    for (const path of [
      "//evil.example/x",
      "/\\evil.example",
      "http://evil.example/y?z=1",
      "evil",
      "/%2F%2Fevil.example",
    ]) {
      const { action } = await guard({ headers: {} }, path);
      expect(action.kind).toBe("redirect");
      if (action.kind !== "redirect") continue;
      expect(new URL(action.location).host).toBe("shop.example");
      expect(new URL(action.location).pathname.startsWith("/shop/")).toBe(true);
    }
  });

  it("redirect to the room URL itself with keepPath false", async () => {
    const guard = createGuard({
      jwks: key.jwks,
      onFailure: "redirect",
      waitingRoomUrl: `${room}/queue`,
      keepPath: false,
    });
    const { action } = await guard({ headers: {} }, "/checkout");
    expect(action).toEqual({ kind: "redirect", status: 302, location: "https://shop.example/queue" });
  });

  it("deny instead of redirect when the refused pass came through the worker (no redirect loop)", async () => {
    const guard = createGuard({ jwks: key.jwks, onFailure: "redirect", waitingRoomUrl: room });
    const viaWorker = { headers: { [PASS_HEADER]: await workerPass(key, { room: "other" }) } };
    expect(await guard(viaWorker, "/")).toEqual({
      result: { ok: false, code: "wrong_room" },
      action: { kind: "deny", status: 403 },
    });
  });

  it("deny with 403 or 429, pass through with the result, continue when admitted", async () => {
    expect((await createGuard({ jwks: key.jwks })({ headers: {} }, "/")).action).toEqual({ kind: "deny", status: 403 });
    expect((await createGuard({ jwks: key.jwks, denyStatus: 429 })({ headers: {} }, "/")).action).toEqual({
      kind: "deny",
      status: 429,
    });
    const through = await createGuard({ jwks: key.jwks, onFailure: "pass-through" })("garbage", "/");
    expect(through).toEqual({ result: { ok: false, code: "malformed" }, action: { kind: "continue" } });
    const admitted = await createGuard({ verifier, onFailure: "deny" })(await workerPass(key), "/");
    expect(admitted.result.ok).toBe(true);
    expect(admitted.action).toEqual({ kind: "continue" });
  });
});

function withoutKid(jwk: JWK): JWK {
  const { kid: _kid, ...rest } = jwk;
  return rest;
}
