import type { AdmissionCode, PassClaims } from "./contract.ts";

/** The outcome of a verification: plain data, never an exception. */
export type AdmissionResult =
  | { readonly ok: true; readonly claims: PassClaims }
  | { readonly ok: false; readonly code: AdmissionCode };

/**
 * Where a pass may be read from: a token string (or nothing), a Fetch API
 * `Request`, or anything with Node-style or Fetch-style headers (Express,
 * Fastify, Koa, `node:http` requests).
 */
export type PassSource = string | null | undefined | { readonly headers: HeadersLike };

/** Fetch API `Headers`, or a Node-style header object with lower-case names (`IncomingHttpHeaders`). */
export type HeadersLike = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
