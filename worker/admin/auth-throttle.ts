/**
 * Failed admin authentications, counted per client on one worker instance,
 * so the admin token cannot be guessed at the speed of the network.
 *
 * Per instance, in memory: no store call, so a flood of wrong tokens costs
 * Redis nothing. Cloudflare runs many instances (isolates, in many data
 * centres), and each counts on its own, so a client that reaches n instances
 * gets up to n × `limit` tries a window; one client's requests mostly land on
 * the few instances of its nearest data centre. With the token's 16+
 * characters, even a thousand instances leave guessing hopeless; the limit
 * is there to make a scan loud and slow, not to be the token's strength.
 */

/** Settings of {@link AuthThrottle}. */
export interface AuthThrottleOptions {
  /** Failures a client may have within a window; the next request is refused. Default 10. */
  readonly limit?: number;
  /** The window, ms. Default 60 000. */
  readonly windowMs?: number;
  /** Most clients remembered; past it the longest-known is forgotten. Default 10 000. */
  readonly maxClients?: number;
}

/** Whether a client may try to authenticate now. */
export type AuthAllowance =
  | { readonly kind: "allowed" }
  | { readonly kind: "throttled"; readonly retryAfterSeconds: number };

/**
 * A sliding window of failure times per client. A throttled client is
 * refused before its token is compared, whatever the token, so a right guess
 * made while throttled teaches nothing; its window ends `windowMs` after its
 * oldest counted failure.
 *
 * @example
 * ```ts
 * const throttle = new AuthThrottle();
 * if (throttle.allowance(client, now).kind === "allowed" && !ok) throttle.fail(client, now);
 * ```
 */
export class AuthThrottle {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxClients: number;
  /** Client -> its failure times within the window, oldest first (at most `limit`). */
  readonly #failures = new Map<string, number[]>();

  constructor(options: AuthThrottleOptions = {}) {
    this.#limit = options.limit ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxClients = options.maxClients ?? 10_000;
  }

  allowance(client: string, now: number): AuthAllowance {
    const times = this.#recent(client, now);
    if (times.length < this.#limit) return { kind: "allowed" };
    const oldest = times[0] ?? now;
    return { kind: "throttled", retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.#windowMs - now) / 1000)) };
  }

  fail(client: string, now: number): void {
    const times = this.#recent(client, now);
    if (times.length === 0) this.#makeRoom(now);
    times.push(now);
    // Only the last `limit` matter: the oldest of them says when the client may try again.
    if (times.length > this.#limit) times.splice(0, times.length - this.#limit);
    this.#failures.delete(client);
    this.#failures.set(client, times);
  }

  /** The client's failure times still within the window (the map's own array, pruned). */
  #recent(client: string, now: number): number[] {
    const times = this.#failures.get(client);
    if (!times) return [];
    const kept = times.filter((t) => t > now - this.#windowMs && t <= now);
    if (kept.length === 0) this.#failures.delete(client);
    else this.#failures.set(client, kept);
    return kept;
  }

  /** Before a new client is remembered: drop lapsed clients, then the least recently failed ones, to stay bounded. */
  #makeRoom(now: number): void {
    if (this.#failures.size < this.#maxClients) return;
    for (const [client, times] of this.#failures) {
      if ((times.at(-1) ?? 0) <= now - this.#windowMs) this.#failures.delete(client);
    }
    for (const client of this.#failures.keys()) {
      if (this.#failures.size < this.#maxClients) break;
      this.#failures.delete(client);
    }
  }
}

/**
 * The name a client's failures are counted under: its address as Cloudflare
 * saw it (`CF-Connecting-IP`, which clients cannot set through Cloudflare),
 * IPv6 by its /64 (one subscriber's usual share, so its 2^64 addresses are
 * one client). Kept in memory only. Without the header (local development)
 * every client is one.
 *
 * @example
 * ```ts
 * clientName(new Request("https://x", { headers: { "cf-connecting-ip": "2001:db8::1" } })); // "2001:db8:0:0::/64"
 * ```
 */
export function clientName(request: Request): string {
  const ip = (request.headers.get("cf-connecting-ip") ?? "").trim().toLowerCase().slice(0, 64);
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.split("::", 2);
  const left = head === "" ? [] : head.split(":");
  const right = ip.includes("::") && tail !== "" ? tail.split(":") : [];
  const zeros = ip.includes("::") ? Array.from({ length: Math.max(0, 8 - left.length - right.length) }, () => "0") : [];
  const groups = [...left, ...zeros, ...right].slice(0, 4).map((g) => g.replace(/^0+(?=.)/, ""));
  return `${groups.join(":")}::/64`;
}
