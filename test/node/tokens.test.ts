import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { ephemeralKeyring, generateSigningKey, loadKeyring } from "../../worker/tokens/keyring.ts";
import { needsRenewal, type PassOptions, readPass, signPass } from "../../worker/tokens/pass.ts";
import { readTicket, signTicket, type TicketOptions } from "../../worker/tokens/ticket.ts";

const NOW = 1_800_000_000_000;
const ticketOptions: TicketOptions = {
  key: new TextEncoder().encode("s".repeat(40)),
  issuer: "anteroom",
  room: "main",
  ttlSeconds: 3600,
};
const ticket = {
  kind: "place" as const,
  room: "main",
  position: 42,
  joinedFrontier: 10.5,
  visitorId: "v-1",
  issuedAt: NOW / 1000,
  clientHint: null,
};

describe("queue tickets", () => {
  it("carry the client hint they are bound to", async () => {
    const bound = { ...ticket, clientHint: "abc123" };
    expect(await readTicket(await signTicket(bound, ticketOptions), ticketOptions, NOW)).toEqual({
      ok: true,
      ticket: bound,
    });
  });

  it("round-trip room, position, joined frontier, visitor and issue time", async () => {
    const token = await signTicket(ticket, ticketOptions);
    expect(await readTicket(token, ticketOptions, NOW)).toEqual({ ok: true, ticket });
  });

  it("are refused when expired, from another room, tampered, oversized or garbage", async () => {
    const token = await signTicket(ticket, ticketOptions);
    expect(await readTicket(token, ticketOptions, NOW + 3601_000)).toEqual({ ok: false, reason: "expired" });
    expect(await readTicket(token, { ...ticketOptions, room: "other" }, NOW)).toEqual({
      ok: false,
      reason: "wrong_room",
    });
    const [h, p, s] = token.split(".");
    const tampered = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p ?? "", "base64url").toString()), pos: 1 }),
    );
    expect((await readTicket(`${h}.${tampered.toString("base64url")}.${s}`, ticketOptions, NOW)).ok).toBe(false);
    expect(await readTicket("x".repeat(5000), ticketOptions, NOW)).toEqual({ ok: false, reason: "oversized" });
    expect((await readTicket("not-a-jwt", ticketOptions, NOW)).ok).toBe(false);
  });

  it("are not passes: a ticket never verifies as a pass", async () => {
    const options = await passOptions();
    const token = await signTicket(ticket, ticketOptions);
    expect((await readPass(token, options, NOW)).ok).toBe(false);
  });
});

async function passOptions(): Promise<PassOptions> {
  const { privateJwk } = await generateSigningKey();
  return {
    keyring: await loadKeyring(JSON.stringify([privateJwk])),
    issuer: "anteroom",
    audience: "origin",
    room: "main",
    sessionSeconds: 600,
  };
}

describe("passes", () => {
  it("carry the documented claims and verify", async () => {
    const options = await passOptions();
    const read = await readPass(await signPass("v-1", options, NOW), options, NOW);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.claims).toMatchObject({ iss: "anteroom", aud: "origin", sub: "v-1", room: "main", iat: NOW / 1000 });
    expect(read.claims.exp - read.claims.iat).toBe(600);
    expect(read.claims.nbf).toBe(read.claims.iat);
  });

  it("are refused with a reason for every kind of bad pass", async () => {
    const options = await passOptions();
    const token = await signPass("v-1", options, NOW);
    const reason = async (t: string, o = options, now = NOW) => {
      const read = await readPass(t, o, now);
      return read.ok ? "ok" : read.reason;
    };
    expect(await reason(token, options, NOW + 601_000)).toBe("expired");
    expect(await reason(token, options, NOW - 120_000)).toBe("not_yet_valid");
    expect(await reason(token, { ...options, issuer: "someone" })).toBe("wrong_issuer");
    expect(await reason(token, { ...options, audience: "other" })).toBe("wrong_audience");
    expect(await reason(token, { ...options, room: "other" })).toBe("wrong_room");
    const impostor = await generateSigningKey();
    const sameKid = { ...impostor.privateJwk, kid: options.keyring.signing.kid };
    expect(await reason(token, { ...options, keyring: await loadKeyring(JSON.stringify([sameKid])) })).toBe(
      "bad_signature",
    );

    const unknownKid = await signPass("v-1", { ...(await passOptions()) }, NOW);
    expect(await reason(unknownKid)).toBe("unknown_key");

    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${token.split(".")[1]}.`;
    // The origin adapter's code for it (one check on both sides, pass-check.ts): an algorithm other than ES256.
    expect(await reason(none)).toBe("bad_signature");

    // Algorithm confusion: HS256 keyed with the public key must not pass as ES256.
    const publicJwk = options.keyring.jwks.keys[0];
    const confused = await new SignJWT({ room: "main" })
      .setProtectedHeader({ alg: "HS256", kid: publicJwk?.kid ?? "" })
      .setIssuer("anteroom")
      .setAudience("origin")
      .setSubject("x")
      .setIssuedAt(NOW / 1000)
      .setNotBefore(NOW / 1000)
      .setExpirationTime(NOW / 1000 + 600)
      .setJti("j")
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    expect(await reason(confused)).not.toBe("ok");
    expect(await reason("garbage")).toBe("malformed");
    expect(await reason("a".repeat(100_000))).toBe("oversized");
  });

  it("renewed on a clock 30 s behind the admitting instance's, stay valid (never issued before their admission)", async () => {
    const options = await passOptions();
    const admittedAt = NOW / 1000 + 30;
    const renewed = await signPass("v", options, NOW, { admittedAt, hint: null });
    const read = await readPass(renewed, options, NOW);
    expect(read).toMatchObject({ ok: true, claims: { adm: admittedAt, iat: admittedAt, nbf: NOW / 1000 } });
  });

  it("are renewed once half their life is gone", async () => {
    const options = await passOptions();
    const read = await readPass(await signPass("v", options, NOW), options, NOW);
    if (!read.ok) throw new Error("pass should verify");
    expect(needsRenewal(read.claims, NOW + 299_000)).toBe(false);
    expect(needsRenewal(read.claims, NOW + 300_000)).toBe(true);
  });
});

describe("keys", () => {
  it("publish every configured key without its private part; the first one signs", async () => {
    const a = await generateSigningKey();
    const b = await generateSigningKey();
    const keyring = await loadKeyring(JSON.stringify([a.privateJwk, b.privateJwk]));
    expect(keyring.signing.kid).toBe(a.kid);
    expect(keyring.jwks.keys.map((k) => k.kid)).toEqual([a.kid, b.kid]);
    for (const key of keyring.jwks.keys) expect(key).not.toHaveProperty("d");
  });

  it("let a pass signed by the previous key verify while that key is still listed (rotation)", async () => {
    const old = await generateSigningKey();
    const next = await generateSigningKey();
    const base = { issuer: "anteroom", audience: "origin", room: "main", sessionSeconds: 600 };
    const before = { ...base, keyring: await loadKeyring(JSON.stringify([old.privateJwk])) };
    const during = { ...base, keyring: await loadKeyring(JSON.stringify([next.privateJwk, old.privateJwk])) };
    const after = { ...base, keyring: await loadKeyring(JSON.stringify([next.privateJwk])) };
    const token = await signPass("v", before, NOW);
    expect((await readPass(token, during, NOW)).ok).toBe(true);
    expect(await readPass(token, after, NOW)).toEqual({ ok: false, reason: "unknown_key" });
  });

  it("reject bad key material with a clear error that does not echo it", async () => {
    await expect(loadKeyring("{not json")).rejects.toThrow(/PASS_SIGNING_KEYS is not valid JSON/);
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    await expect(loadKeyring(JSON.stringify([await exportJWK(privateKey)]))).rejects.toThrow(/EC P-256/);
    await expect(loadKeyring("[]")).rejects.toThrow(/at least one key/);
    const secretish = JSON.stringify([{ kty: "EC", crv: "P-256", d: "SECRETVALUE", x: "bad", y: "bad" }]);
    await expect(loadKeyring(secretish)).rejects.not.toThrow(/SECRETVALUE/);
  });

  it("make an ephemeral key for development", async () => {
    const keyring = await ephemeralKeyring();
    expect(keyring.ephemeral).toBe(true);
    expect(keyring.signing.kid).toMatch(/^ephemeral-/);
  });
});
