// The wire contract between the worker and the origin adapter
// (origin-adapter/contract.ts, pass-check.ts): a pass the worker issues,
// tampered with in every way we know, gets the same code from the worker's
// own check (readPass) and from an origin's verifier, and that code is the
// documented one; the cookie and header the worker writes are the ones the
// adapter reads.
import { Hono } from "hono";
import { importJWK, type JWTHeaderParameters, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type AdmissionCode,
  type AdmissionVerifier,
  createAdmissionVerifier,
  findPass,
  HOST_PASS_COOKIE,
  PASS_COOKIE,
} from "../../origin-adapter/index.ts";
import { setPassCookie } from "../../worker/http/cookies.ts";
import { upstreamRequest } from "../../worker/http/proxy.ts";
import { type PassOptions, readPass } from "../../worker/tokens/pass.ts";
import { signTicket } from "../../worker/tokens/ticket.ts";
import { passClaims, publicKeyAsSecrets, resign, type TestKey, testKey, workerPass } from "../support/passes.ts";

let key: TestKey;
let otherKey: TestKey;
let options: PassOptions;
let origin: AdmissionVerifier;

beforeAll(async () => {
  key = await testKey();
  otherKey = await testKey();
  options = {
    keyring: key.keyring,
    issuer: "anteroom",
    audience: "anteroom-origin",
    room: "default",
    sessionSeconds: 600,
  };
  // No clock tolerance: the worker checks against its own clock, with none.
  origin = createAdmissionVerifier({ jwks: key.jwks, clockToleranceSeconds: 0 });
});

/** Signs any header and claims with the worker's own key (or another), as only a key holder could. */
async function signed(header: { kid?: string | null }, claims: Record<string, unknown>, by: TestKey = key) {
  const privateKey = await importJWK(by.privateJwk, "ES256");
  const kid = header.kid === undefined ? key.kid : header.kid;
  const protectedHeader: JWTHeaderParameters = { alg: "ES256", typ: "JWT", ...(kid === null ? {} : { kid }) };
  return new SignJWT(claims).setProtectedHeader(protectedHeader).sign(privateKey);
}

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

function without(claims: Record<string, unknown>, name: string) {
  const { [name]: _dropped, ...rest } = claims;
  return rest;
}

/** The code each side gives a token; the worker's `oversized` is its early form of `malformed`. */
async function bothSides(token: string): Promise<{ worker: string; origin: string }> {
  const read = await readPass(token, options, Date.now());
  const result = await origin.verify(token);
  return {
    worker: read.ok ? "ok" : read.reason === "oversized" ? "malformed" : read.reason,
    origin: result.ok ? "ok" : result.code,
  };
}

describe("a worker pass, tampered with, gets the same code from the worker and from an origin", () => {
  const cases: [string, () => Promise<string>, AdmissionCode | "ok"][] = [
    ["as issued", () => workerPass(key), "ok"],
    ["expired", () => workerPass(key, { nowMs: Date.now() - 601_000 }), "expired"],
    // Beyond both clock tolerances (the worker accepts nbf up to 60 s ahead, PASS_NBF_TOLERANCE_SECONDS; an origin 30 s).
    ["not yet valid", () => workerPass(key, { nowMs: Date.now() + 120_000 }), "not_yet_valid"],
    ["another issuer", () => workerPass(key, { issuer: "someone" }), "wrong_issuer"],
    ["another audience", () => workerPass(key, { audience: "elsewhere" }), "wrong_audience"],
    ["another room", () => workerPass(key, { room: "other" }), "wrong_room"],
    [
      "claims edited (other visitor)",
      async () => resign(await workerPass(key), (_, c) => (c.sub = "x")),
      "bad_signature",
    ],
    [
      "claims edited (later expiry)",
      async () => resign(await workerPass(key), (_, c) => (c.exp = 9e9)),
      "bad_signature",
    ],
    ["signature cut short", async () => (await workerPass(key)).slice(0, -10), "bad_signature"],
    ["signed by another key under the room's kid", () => signed({}, passClaims(), otherKey), "bad_signature"],
    ["signed by a key the room does not publish", () => workerPass(otherKey), "unknown_key"],
    ["alg none", async () => resign(await workerPass(key), (h) => (h.alg = "none")), "bad_signature"],
    [
      "HS256 keyed with the public key",
      async () => {
        const [secret] = await publicKeyAsSecrets(key);
        return new SignJWT(passClaims())
          .setProtectedHeader({ alg: "HS256", kid: key.kid, typ: "JWT" })
          .sign(secret ?? new Uint8Array(32));
      },
      "bad_signature",
    ],
    ["no kid", () => signed({ kid: null }, passClaims()), "malformed"],
    ["an empty kid", () => signed({ kid: "" }, passClaims()), "malformed"],
    ["no iss claim", () => signed({}, without(passClaims(), "iss")), "malformed"],
    ["no aud claim", () => signed({}, without(passClaims(), "aud")), "malformed"],
    ["no room claim", () => signed({}, without(passClaims(), "room")), "malformed"],
    ["no jti claim", () => signed({}, without(passClaims(), "jti")), "malformed"],
    ["nbf not a number", () => signed({}, { ...passClaims(), nbf: "soon" }), "malformed"],
    ["exp not a number", () => signed({}, { ...passClaims(), exp: "later" }), "malformed"],
    ["sub not a string", () => signed({}, { ...passClaims(), sub: 42 }), "malformed"],
    ["room not a string", () => signed({}, { ...passClaims(), room: ["default"] }), "malformed"],
    [
      "a queue ticket",
      () =>
        signTicket(
          {
            kind: "place",
            room: "default",
            position: 1,
            joinedFrontier: 1,
            visitorId: "v",
            issuedAt: Date.now() / 1000,
            clientHint: null,
          },
          { key: new TextEncoder().encode("s".repeat(40)), issuer: "anteroom", room: "default", ttlSeconds: 60 },
        ),
      "malformed",
    ],
    ["signed before adm existed (no adm claim)", () => signed({}, passClaims()), "ok"],
    ["a ten-year exp", () => signed({}, { ...passClaims(), exp: nowS() + 10 * 365 * 86_400 }), "malformed"],
    [
      "a session longer than the maximum, counted from adm",
      () => signed({}, { ...passClaims(), adm: nowS() - 3001, exp: nowS() + 600 }),
      "malformed",
    ],
    ["a session of exactly the maximum", () => signed({}, { ...passClaims(), adm: nowS() - 3000 }), "ok"],
    ["adm after iat", () => signed({}, { ...passClaims(), adm: nowS() + 5 }), "malformed"],
    ["adm not a number", () => signed({}, { ...passClaims(), adm: "earlier" }), "malformed"],
    ["cb not a string", () => signed({}, { ...passClaims(), cb: 42 }), "malformed"],
    ["garbage", async () => "garbage", "malformed"],
    ["three dots of nothing", async () => "a.b.c", "malformed"],
    ["oversized", async () => `${await workerPass(key)}${"A".repeat(9000)}`, "malformed"],
  ];

  it.each(cases)("%s", async (_name, token, code) => {
    expect(await bothSides(await token())).toEqual({ worker: code, origin: code });
  });
});

describe("the names on the wire", () => {
  /** The Set-Cookie the worker writes for a pass on this URL's scheme, as a browser would send it back. */
  async function passCookie(url: string): Promise<string> {
    const app = new Hono().get("/", (c) => {
      setPassCookie(c, "the-pass", 600);
      return c.body(null);
    });
    const line = (await app.request(url)).headers.getSetCookie()[0] ?? "";
    return line.split(";", 1)[0] ?? "";
  }

  it("the worker's pass cookie is the one the adapter reads, on https and on plain http", async () => {
    expect(await passCookie("https://room.test/")).toBe(`${HOST_PASS_COOKIE}=the-pass`);
    expect(await passCookie("http://room.test/")).toBe(`${PASS_COOKIE}=the-pass`);
    for (const cookie of [await passCookie("https://room.test/"), await passCookie("http://room.test/")]) {
      expect(findPass({ headers: { cookie: `theme=dark; ${cookie}` } })).toEqual({ token: "the-pass", from: "cookie" });
    }
  });

  it("the header the worker forwards the pass in is the one the adapter reads, and the client's copy is dropped", () => {
    const client = new Request("https://room.test/account", { headers: { "anteroom-pass": "made-up" } });
    const upstream = upstreamRequest(client, new URL("https://origin.internal"), "the-pass");
    expect(findPass(upstream)).toEqual({ token: "the-pass", from: "header" });
    expect(findPass(upstreamRequest(client, new URL("https://origin.internal"), null))).toBeNull();
  });
});
