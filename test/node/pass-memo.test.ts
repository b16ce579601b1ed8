import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { StoreFallback } from "../../worker/gate/fallback.ts";
import { evaluate, type GateDeps } from "../../worker/gate/gate.ts";
import { Memo } from "../../worker/gate/memo.ts";
import { PassMemo } from "../../worker/gate/pass-memo.ts";
import { RoomLink } from "../../worker/gate/room-link.ts";
import { PASS_NBF_TOLERANCE_SECONDS, type PassOptions, readPass, signPass } from "../../worker/tokens/pass.ts";
import { testKey } from "../support/passes.ts";
import { embeddedStore, room, T0 } from "../support/stores.ts";

const SESSION_SECONDS = 600;

/** The pass options of a room, with a fresh key. */
async function passOptions(): Promise<PassOptions> {
  const key = await testKey();
  return { keyring: key.keyring, issuer: "anteroom", audience: "anteroom-origin", room: "main", sessionSeconds: 600 };
}

/** A memo over the real verification, counting the verifications it makes. */
function countingMemo(options: PassOptions, capacity?: number) {
  let verified = 0;
  const memo = new PassMemo(options, capacity, (token, opts, now) => {
    verified += 1;
    return readPass(token, opts, now);
  });
  return { memo, verified: () => verified };
}

/** A counting memo that has verified (and so remembers) one pass, of "v1" at T0. */
async function memoWithOnePass() {
  const options = await passOptions();
  const counted = countingMemo(options);
  const token = await signPass("v1", options, T0);
  const first = await counted.memo.read(token, T0);
  return { options, ...counted, token, first };
}

/** The token with its signature swapped for another key's signature over the very same header and claims. */
async function forgedTwin(token: string, options: PassOptions): Promise<string> {
  const [header = "", payload = ""] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
  const protectedHeader = JSON.parse(Buffer.from(header, "base64url").toString()) as { kid: string };
  const stranger = (await passOptions()).keyring.signing.key;
  const forged = await new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: protectedHeader.kid, typ: "JWT" })
    .sign(stranger);
  expect(forged.split(".").slice(0, 2)).toEqual([header, payload]);
  expect(options.keyring.signing.kid).toBe(protectedHeader.kid);
  return forged;
}

describe("PassMemo: passes an instance has already verified (fixed clock)", () => {
  it("verifies a token once, then answers from memory with the same claims", async () => {
    const { memo, verified, token, first } = await memoWithOnePass();
    expect(first).toMatchObject({ ok: true, claims: { sub: "v1", room: "main" } });
    for (let view = 1; view <= 5; view++) expect(await memo.read(token, T0 + view * 10_000)).toEqual(first);
    expect(verified()).toBe(1);
    expect(memo.size).toBe(1);
  });

  it("verifies any other token in full (a miss)", async () => {
    const { options, memo, verified } = await memoWithOnePass();
    expect(await memo.read(await signPass("v2", options, T0), T0)).toMatchObject({ ok: true, claims: { sub: "v2" } });
    expect(verified()).toBe(2);
    expect(memo.size).toBe(2);
  });

  it("refuses a remembered pass once it expires on the clock, exactly when jose would", async () => {
    const { options, memo, verified, token } = await memoWithOnePass();
    const lastValid = T0 + SESSION_SECONDS * 1000 - 1;
    expect(await memo.read(token, lastValid)).toMatchObject({ ok: true });
    expect(await readPass(token, options, lastValid + 1)).toEqual({ ok: false, reason: "expired" });
    expect(await memo.read(token, lastValid + 1)).toEqual({ ok: false, reason: "expired" });
    expect(verified()).toBe(1);
    expect(memo.size).toBe(0);
    // Not yet valid on a clock more than the nbf tolerance behind its issue (another instance's clock
    // ahead): good within it, refused past it, from memory exactly as in full.
    const issuedAt = T0 + 100_000;
    const later = await signPass("v2", options, issuedAt);
    await memo.read(later, issuedAt);
    const earliest = issuedAt - PASS_NBF_TOLERANCE_SECONDS * 1000;
    expect(await memo.read(later, earliest)).toMatchObject({ ok: true });
    expect(await readPass(later, options, earliest)).toMatchObject({ ok: true });
    expect(await memo.read(later, earliest - 1)).toEqual({ ok: false, reason: "not_yet_valid" });
    expect(await readPass(later, options, earliest - 1)).toEqual({ ok: false, reason: "not_yet_valid" });
  });

  it("never holds more than its capacity, and lets the least recently used go first", async () => {
    const options = await passOptions();
    const { memo, verified } = countingMemo(options, 3);
    const tokens = await Promise.all(["a", "b", "c", "d"].map((sub) => signPass(sub, options, T0)));
    const [a = "", b = "", c = "", d = ""] = tokens;
    for (const token of [a, b, c]) await memo.read(token, T0);
    await memo.read(a, T0); // a is browsing: b is now the least recently used
    await memo.read(d, T0);
    expect(memo.size).toBe(3);
    expect(verified()).toBe(4);
    for (const token of [a, c, d]) await memo.read(token, T0);
    expect(verified()).toBe(4);
    expect(await memo.read(b, T0)).toMatchObject({ ok: true, claims: { sub: "b" } });
    expect(verified()).toBe(5);
    expect(memo.size).toBe(3);
  });

  it("never remembers a token that failed: a forged twin of a remembered pass, or one already expired", async () => {
    const { options, memo, verified, token } = await memoWithOnePass();
    const forged = await forgedTwin(token, options);
    expect(await memo.read(forged, T0)).toEqual({ ok: false, reason: "bad_signature" });
    expect(await memo.read(forged, T0)).toEqual({ ok: false, reason: "bad_signature" });
    const stale = await signPass("v3", options, T0 - SESSION_SECONDS * 1000);
    expect(await memo.read(stale, T0)).toEqual({ ok: false, reason: "expired" });
    expect(verified()).toBe(4);
    expect(memo.size).toBe(1);
  });

  it("refuses a capacity that is not a positive integer", async () => {
    const options = await passOptions();
    expect(() => new PassMemo(options, 0)).toThrow(RangeError);
  });
});

describe("the gate with its pass memo", () => {
  /** A room's gate at a settable time, as the runtime wires it, its pass memo counting verifications. */
  async function gate() {
    let now = T0;
    const clock = () => now;
    const spec = { ...room(60), sessionMs: SESSION_SECONDS * 1000 };
    const store = embeddedStore(clock);
    const pass = { ...(await passOptions()), room: spec.room };
    const stamps = { key: new TextEncoder().encode("s".repeat(40)), issuer: "anteroom", room: spec.room };
    const { memo, verified } = countingMemo(pass);
    const deps: GateDeps = {
      room: spec,
      store,
      link: new RoomLink(store, spec, clock),
      passes: memo,
      fallback: new StoreFallback({ mode: "closed", rateShare: 1 }, spec),
      pass,
      ticket: { ...stamps, ttlSeconds: 3600 },
      now: clock,
      offerSeconds: 300,
      turnstile: null,
      probe: { ...stamps, mode: "off" },
      placements: new Memo(),
      spentStamps: new Memo(),
    };
    return { deps, verified, setNow: (ms: number) => (now = ms) };
  }

  it("lets a memoised pass through without a second signature check, and refuses it once released", async () => {
    const { deps, verified } = await gate();
    const token = await signPass("shopper", deps.pass, T0);
    expect(await evaluate({ pass: token, ticket: undefined }, deps)).toMatchObject({
      kind: "pass",
      subject: "shopper",
    });
    expect(await evaluate({ pass: token, ticket: undefined }, deps)).toMatchObject({
      kind: "pass",
      subject: "shopper",
    });
    expect(verified()).toBe(1);
    deps.link.recordRelease("shopper");
    const after = await evaluate({ pass: token, ticket: undefined }, deps);
    expect(after.kind).not.toBe("pass");
    // Still remembered, still refused: the release is checked on every request.
    expect(deps.passes.size).toBe(1);
    expect((await evaluate({ pass: token, ticket: undefined }, deps)).kind).not.toBe("pass");
  });

  it("never lets a forged twin of a memoised pass through", async () => {
    const { deps } = await gate();
    const token = await signPass("shopper", deps.pass, T0);
    expect(await evaluate({ pass: token, ticket: undefined }, deps)).toMatchObject({ kind: "pass" });
    const forged = await forgedTwin(token, deps.pass);
    const verdict = await evaluate({ pass: forged, ticket: undefined }, deps);
    expect(verdict.kind).not.toBe("pass");
    expect(verdict).not.toHaveProperty("subject", "shopper");
  });

  it("renews a memoised pass at half its life, and then refuses the old one when it expires", async () => {
    const { deps, setNow } = await gate();
    const token = await signPass("shopper", deps.pass, T0);
    expect(await evaluate({ pass: token, ticket: undefined }, deps)).toMatchObject({ kind: "pass", renewed: null });
    setNow(T0 + 299_000);
    expect(await evaluate({ pass: token, ticket: undefined }, deps)).toMatchObject({ kind: "pass", renewed: null });
    setNow(T0 + 300_000);
    const renewal = await evaluate({ pass: token, ticket: undefined }, deps);
    if (renewal.kind !== "pass" || renewal.renewed === null) throw new Error(`no renewal: ${renewal.kind}`);
    expect(await evaluate({ pass: renewal.renewed, ticket: undefined }, deps)).toMatchObject({
      kind: "pass",
      subject: "shopper",
      renewed: null,
    });
    setNow(T0 + 600_000);
    expect((await evaluate({ pass: token, ticket: undefined }, deps)).kind).not.toBe("pass");
    expect(await evaluate({ pass: renewal.renewed, ticket: undefined }, deps)).toMatchObject({ kind: "pass" });
  });
});
