import { OriginAdapterError } from "./errors.ts";
import { passHeader } from "./pass-source.ts";
import type { AdmissionResult, PassSource } from "./types.ts";
import type { AdmissionVerifier, AdmissionVerifierOptions } from "./verifier.ts";
import { createAdmissionVerifier } from "./verifier.ts";

/**
 * What a wrapper does with a request that has no valid pass:
 * - `redirect`: send the browser to the waiting room (`waitingRoomUrl`), which queues it and brings it back;
 * - `deny`: answer `denyStatus` (403, or 429) with a short text body;
 * - `pass-through`: let it through with the result attached, for the app to decide.
 */
export type FailureAction = "redirect" | "deny" | "pass-through";

/** Options every framework wrapper takes, besides the verifier's. */
export interface FailureOptions {
  /** Default `"deny"`: fail closed unless told otherwise. */
  readonly onFailure?: FailureAction;
  /**
   * The public address of the room, e.g. `https://shop.example`: where `redirect` sends the browser.
   * The original path and query are appended (so the visitor lands where it was going once admitted),
   * unless `keepPath` is false.
   */
  readonly waitingRoomUrl?: string | URL;
  /** Append the request's path and query to `waitingRoomUrl`. Default true. */
  readonly keepPath?: boolean;
  /** Status of `deny`. Default 403. */
  readonly denyStatus?: 403 | 429;
  /** A verifier to share between wrappers; when given, no key options may be. */
  readonly verifier?: AdmissionVerifier;
}

/** Options of a framework wrapper: a key source (or a `verifier`) plus a failure action. */
export type GuardOptions = AdmissionVerifierOptions & FailureOptions;

/** What the wrapper should do, framework-neutral. */
export type GuardAction =
  | { readonly kind: "continue" }
  | { readonly kind: "redirect"; readonly status: 302; readonly location: string }
  | { readonly kind: "deny"; readonly status: 403 | 429 };

/** The verdict on one request. */
export interface GuardOutcome {
  readonly result: AdmissionResult;
  readonly action: GuardAction;
}

/** A checked request, framework-neutral: `(request, "/path?query") → outcome`. */
export type Guard = (source: PassSource, pathAndQuery: string) => Promise<GuardOutcome>;

/** Body of a `deny` answer: says what to do, not why (the code is for the app's logs). */
export const DENY_BODY = "Admission required: please enter through the waiting room.";
/** Failure answers depend on the visitor's cookie: no shared cache may keep them. */
export const FAILURE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "cache-control": "private, no-store",
});

const CONTINUE: GuardAction = Object.freeze({ kind: "continue" });

/**
 * The logic the framework wrappers share, so each stays a few lines of
 * translation into its framework's request and response.
 *
 * A request whose pass came in the `anteroom-pass` header went through the
 * worker, which admitted it; if the origin still refuses it (issuer, audience,
 * room or keys configured differently), sending it back to the room would
 * loop, so such a request is denied instead of redirected.
 *
 * @throws {OriginAdapterError} on bad options, naming them.
 * @example
 * ```ts
 * const guard = createGuard({ jwksUrl, onFailure: "redirect", waitingRoomUrl: "https://shop.example" });
 * const { result, action } = await guard(request, "/checkout?step=2");
 * ```
 */
export function createGuard(options: GuardOptions): Guard {
  const onFailure = options.onFailure ?? "deny";
  if (onFailure !== "redirect" && onFailure !== "deny" && onFailure !== "pass-through") {
    throw new OriginAdapterError("onFailure", `must be "redirect", "deny" or "pass-through", got ${String(onFailure)}`);
  }
  const denyStatus = options.denyStatus ?? 403;
  if (denyStatus !== 403 && denyStatus !== 429) throw new OriginAdapterError("denyStatus", "must be 403 or 429");
  let room: URL | null = null;
  if (options.waitingRoomUrl !== undefined) {
    try {
      room = new URL(options.waitingRoomUrl);
    } catch {
      throw new OriginAdapterError("waitingRoomUrl", "must be an absolute URL");
    }
    if (room.protocol !== "https:" && room.protocol !== "http:") {
      throw new OriginAdapterError("waitingRoomUrl", "must be http(s)");
    }
  } else if (onFailure === "redirect") {
    throw new OriginAdapterError("waitingRoomUrl", 'is required with onFailure: "redirect"');
  }
  if (options.verifier !== undefined && (options.jwksUrl ?? options.jwks ?? options.jwk) !== undefined) {
    throw new OriginAdapterError("verifier", "excludes jwksUrl, jwks and jwk: the verifier has its keys");
  }
  const verifier = options.verifier ?? createAdmissionVerifier(options);
  const keepPath = options.keepPath ?? true;
  const deny: GuardAction = Object.freeze({ kind: "deny", status: denyStatus });

  return async function guard(source, pathAndQuery) {
    const result = await verifier.verify(source);
    if (result.ok || onFailure === "pass-through") return { result, action: CONTINUE };
    if (onFailure === "deny" || room === null || passHeader(source) !== "") return { result, action: deny };
    return { result, action: { kind: "redirect", status: 302, location: roomLocation(room, pathAndQuery, keepPath) } };
  };
}

/**
 * The room URL to send a browser to. The request's path is assigned as a
 * path, never resolved as a URL, so a request for `//evil.example/x` cannot
 * turn the redirect into one to another host.
 */
function roomLocation(room: URL, pathAndQuery: string, keepPath: boolean): string {
  if (!keepPath) return room.href;
  const target = new URL(room.href);
  let path = pathAndQuery;
  // Absolute-form request targets (`GET http://host/path`): keep only their path and query.
  if (!path.startsWith("/")) {
    try {
      const parsed = new URL(path);
      path = parsed.pathname + parsed.search;
    } catch {
      path = "/";
    }
  }
  const query = path.indexOf("?");
  const base = target.pathname.replace(/\/$/, "");
  target.pathname = `${base}${query === -1 ? path : path.slice(0, query)}`;
  target.search = query === -1 ? "" : path.slice(query);
  target.hash = "";
  return target.href;
}
