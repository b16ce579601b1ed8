import type { JSONWebKeySet, JWK } from "jose";
import { ANY_ROOM, DEFAULT_SESSION_MAX_MINUTES } from "./contract.ts";
import { OriginAdapterError } from "./errors.ts";
import { inlineKeys, type KeyResolver, remoteKeys } from "./key-source.ts";
import { checkPass } from "./pass-check.ts";
import { findPass } from "./pass-source.ts";
import type { AdmissionResult, PassSource } from "./types.ts";

/** Options of {@link createAdmissionVerifier}. Give exactly one key source: `jwksUrl`, `jwks` or `jwk`. */
export interface AdmissionVerifierOptions {
  /** The worker's JWKS, e.g. `https://shop.example/__anteroom/jwks.json`. Fetched lazily, cached, re-fetched on rotation. */
  readonly jwksUrl?: string | URL;
  /** The public keys inline (the JSON the JWKS endpoint serves); no network. */
  readonly jwks?: JSONWebKeySet;
  /** One public key inline (with its `kid`); no network. */
  readonly jwk?: JWK;
  /** Expected `iss`: the worker's PASS_ISSUER. Default `"anteroom"`. */
  readonly issuer?: string;
  /** Expected `aud`: the worker's PASS_AUDIENCE. Default `"anteroom-origin"`. */
  readonly audience?: string;
  /**
   * Room (or rooms) whose passes admit: the worker's ROOM, or names from its
   * ROOMS; `"*"` ({@link ANY_ROOM}) admits a pass of any room of the worker.
   * Default `"default"`.
   */
  readonly room?: string | readonly string[];
  /** Allowed clock difference between worker and origin for `nbf` and `exp`. Default 30. */
  readonly clockToleranceSeconds?: number;
  /**
   * Longest session a pass may grant, seconds: a pass whose `exp` lies further
   * after its admission (`adm`, else `iat`) is refused as `malformed`. Default
   * 3600, the worker's SESSION_MAX_MINUTES default (60) in seconds: set it to
   * SESSION_MAX_MINUTES x 60 if the room's is longer.
   */
  readonly maxSessionSeconds?: number;
  /** `jwksUrl` only: give up on a JWKS fetch after this long. Default 2000. */
  readonly jwksTimeoutMs?: number;
  /** `jwksUrl` only: keep fetched keys this long. Default 300000, the endpoint's own `max-age`. */
  readonly jwksCacheMaxAgeMs?: number;
  /** `jwksUrl` only: after a fetch, an unknown `kid` triggers no new fetch for this long. Default 30000. */
  readonly jwksCooldownMs?: number;
  /** `jwksUrl` only: after a failed fetch, answer `jwks_unavailable` without trying for this long. Default 5000. */
  readonly jwksRetryMs?: number;
  /** `jwksUrl` only: the fetch to use (a Workers service binding's `fetch`, a proxy agent, a test double). */
  readonly fetch?: typeof fetch;
}

/** Checks admission passes; build one per process and share it (it holds the key cache). */
export interface AdmissionVerifier {
  /**
   * Verifies the pass of a request (the `anteroom-pass` header, else the
   * `__Host-anteroom_pass` cookie, else `anteroom_pass`) or a token string.
   * Never throws and never rejects.
   */
  verify(source: PassSource): Promise<AdmissionResult>;
}

/**
 * Builds a verifier for Anteroom admission passes. Options are checked here,
 * so a misconfiguration fails at start-up; verification itself only ever
 * returns a result.
 *
 * @throws {OriginAdapterError} when an option is missing or invalid (the message names it).
 * @example
 * ```ts
 * const verifier = createAdmissionVerifier({ jwksUrl: "https://shop.example/__anteroom/jwks.json" });
 * const result = await verifier.verify(request);
 * if (!result.ok) return new Response(null, { status: 403 });
 * result.claims.sub; // the visitor id
 * ```
 */
export function createAdmissionVerifier(options: AdmissionVerifierOptions): AdmissionVerifier {
  if (typeof options !== "object" || options === null) throw new OriginAdapterError("options", "must be an object");
  const keys = keySource(options);
  const issuer = nonEmpty(options.issuer ?? "anteroom", "issuer");
  const audience = nonEmpty(options.audience ?? "anteroom-origin", "audience");
  const rooms =
    options.room === ANY_ROOM
      ? null
      : new Set(
          (typeof options.room === "string" || options.room === undefined
            ? [options.room ?? "default"]
            : options.room
          ).map((room) => nonEmpty(room, "room")),
        );
  if (rooms?.size === 0) throw new OriginAdapterError("room", "must name at least one room");
  const expect = {
    issuer,
    audience,
    rooms,
    clockToleranceSeconds: duration(options.clockToleranceSeconds, 30, "clockToleranceSeconds", true),
    maxSessionSeconds: duration(options.maxSessionSeconds, DEFAULT_SESSION_MAX_MINUTES * 60, "maxSessionSeconds", true),
  };

  return Object.freeze({
    async verify(source: PassSource): Promise<AdmissionResult> {
      try {
        const found = findPass(source, rooms);
        return found ? await checkPass(found.token, keys, expect) : { ok: false, code: "missing" };
      } catch {
        // Unreachable by design (every step above returns a result); kept so a
        // surprise in a dependency still cannot turn a bad request into a 500.
        return { ok: false, code: "malformed" };
      }
    },
  });
}

function keySource(options: AdmissionVerifierOptions): KeyResolver {
  const given = (["jwksUrl", "jwks", "jwk"] as const).filter((name) => options[name] !== undefined);
  if (given.length !== 1) {
    throw new OriginAdapterError(
      given.length === 0 ? "jwksUrl" : given.join(" and "),
      given.length === 0
        ? "(or jwks, or jwk) is required: where the public keys come from"
        : "are exclusive: give one key source",
    );
  }
  if (options.jwks !== undefined) return inlineKeys(options.jwks, "jwks");
  if (options.jwk !== undefined) return inlineKeys({ keys: [options.jwk] }, "jwk");
  let url: URL;
  try {
    url = new URL(options.jwksUrl ?? "");
  } catch {
    throw new OriginAdapterError("jwksUrl", `must be an absolute URL, got ${JSON.stringify(String(options.jwksUrl))}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new OriginAdapterError("jwksUrl", "must be http(s)");
  if (options.fetch !== undefined && typeof options.fetch !== "function") {
    throw new OriginAdapterError("fetch", "must be a function");
  }
  return remoteKeys(url, {
    timeoutMs: Math.ceil(duration(options.jwksTimeoutMs, 2000, "jwksTimeoutMs", true)),
    cacheMaxAgeMs: duration(options.jwksCacheMaxAgeMs, 300_000, "jwksCacheMaxAgeMs"),
    cooldownMs: duration(options.jwksCooldownMs, 30_000, "jwksCooldownMs"),
    retryMs: duration(options.jwksRetryMs, 5000, "jwksRetryMs"),
    fetch: options.fetch,
    now: Date.now,
  });
}

function nonEmpty(value: unknown, option: string): string {
  if (typeof value !== "string" || value === "") throw new OriginAdapterError(option, "must be a non-empty string");
  return value;
}

function duration(value: number | undefined, fallback: number, option: string, finite = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0 || (finite && !Number.isFinite(value))) {
    throw new OriginAdapterError(option, `must be a ${finite ? "finite " : ""}number >= 0, got ${String(value)}`);
  }
  return value;
}
