import { readStamp, type StampRead, signStamp } from "./stamp.ts";
import { MAX_TOKEN_LENGTH } from "./ticket.ts";

/** Cloudflare's server-side check of a Turnstile answer. */
export const SITEVERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
/** Where the widget's script and frame come from (the challenge page's CSP allows this origin only). */
export const TURNSTILE_ORIGIN = "https://challenges.cloudflare.com";

/** Turnstile settings; null in Config when it is off. */
export interface TurnstileOptions {
  readonly siteKey: string;
  readonly secretKey: string;
  readonly verifyUrl: string;
  /** Signs the "solved" cookie; the ticket key, so no extra secret to manage. */
  readonly proofKey: Uint8Array;
  readonly issuer: string;
  readonly room: string;
  /** How long a solved challenge lets its holder take a ticket. */
  readonly proofSeconds: number;
}

/** The outcome of a siteverify call: a value, never an exception. */
export type TurnstileCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: "rejected" | "unavailable"; readonly codes: readonly string[] };

/**
 * Asks siteverify whether `token` (the widget's answer) is good, with the
 * visitor's IP when known. A network failure or a strange answer is
 * `unavailable`: the visitor is asked again, nobody is let through unchecked.
 *
 * @example
 * ```ts
 * const check = await verifyTurnstile(form.get("cf-turnstile-response"), ip, options, fetch);
 * ```
 */
export async function verifyTurnstile(
  token: string,
  ip: string | null,
  options: Pick<TurnstileOptions, "secretKey" | "verifyUrl">,
  fetcher: (request: Request) => Promise<Response>,
): Promise<TurnstileCheck> {
  if (token === "" || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "rejected", codes: ["bad-input"] };
  const body = new URLSearchParams({ secret: options.secretKey, response: token });
  if (ip) body.set("remoteip", ip);
  try {
    const res = await fetcher(
      new Request(options.verifyUrl, { method: "POST", body, signal: AbortSignal.timeout(5000) }),
    );
    const answer = (await res.json()) as { success?: unknown; "error-codes"?: unknown };
    const codes = Array.isArray(answer["error-codes"]) ? answer["error-codes"].map(String) : [];
    if (answer.success === true) return { ok: true };
    return { ok: false, reason: res.ok ? "rejected" : "unavailable", codes };
  } catch (error) {
    return { ok: false, reason: "unavailable", codes: [error instanceof Error ? error.name : "error"] };
  }
}

/**
 * The short-lived proof that this browser solved the challenge (a cookie), so
 * its next request may take a ticket. It buys one ticket (the store records
 * its id as spent with the place) and is bound to `hint`, the client it was
 * solved from (`Requester.proofHint`): a copy elsewhere is refused.
 */
export function signProof(options: TurnstileOptions, nowMs: number, hint: string | null): Promise<string> {
  return signStamp("human", proofKey(options), nowMs, options.proofSeconds, hint);
}

/** Reads a proof cookie: genuine, for this room, fresh and presented by the client `hint` it was solved from. Never throws. */
export function readProof(
  token: string | undefined,
  options: TurnstileOptions,
  nowMs: number,
  hint: string | null,
): Promise<StampRead> {
  return readStamp("human", token, proofKey(options), nowMs, hint);
}

function proofKey(options: TurnstileOptions) {
  return { key: options.proofKey, issuer: options.issuer, room: options.room };
}

/**
 * Where to go after the challenge: a path on this site, never another origin
 * (`//evil.example`, `https://…`, backslashes and control characters are refused).
 */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== "string" || value.length > 2048) return "/";
  const unsafe = [...value].some((ch) => ch === "\\" || ch.charCodeAt(0) < 0x20);
  if (!value.startsWith("/") || value.startsWith("//") || unsafe) return "/";
  return value;
}
