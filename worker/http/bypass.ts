import ipaddr from "ipaddr.js";

/**
 * Bypass rules beyond paths (BYPASS_HEADERS, BYPASS_COOKIES, BYPASS_IPS, and
 * a room's `bypassHeaders`, `bypassCookies`, `bypassIps`): a request that
 * carries a shared secret in a header or a cookie, or that Cloudflare saw
 * coming from a listed network, goes straight through the room (no store
 * call, no cookie), like a bypassed path.
 *
 * Only what a client cannot claim counts: a secret it must know (compared in
 * constant time, so its bytes cannot be guessed one at a time from response
 * times) or the address Cloudflare saw (`CF-Connecting-IP`, which clients
 * cannot set through Cloudflare). What a client merely says about itself (a
 * User-Agent of "Googlebot", `X-Forwarded-For`) is never a rule here.
 */

/** A secret a header or cookie must carry: its name and the SHA-256 of its value. */
interface Secret {
  readonly name: string;
  readonly digest: Uint8Array;
}

/** The rules as validated settings hold them (before their secrets are hashed). */
export interface BypassRules {
  /** `Name: value` entries: a request whose header `Name` is exactly `value` bypasses. */
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  /** `name=value` entries: a request whose cookie `name` is exactly `value` bypasses. */
  readonly cookies: readonly { readonly name: string; readonly value: string }[];
  /** CIDR ranges (v4 or v6; a bare address is a range of one): `CF-Connecting-IP` inside one bypasses. */
  readonly networks: readonly string[];
}

/** No rule: nothing bypasses by header, cookie or address. */
export const NO_BYPASS_RULES: BypassRules = Object.freeze({
  headers: Object.freeze([]),
  cookies: Object.freeze([]),
  networks: Object.freeze([]),
});

/** Shortest secret a header or cookie rule accepts: anything shorter could be guessed. */
export const MIN_BYPASS_SECRET_LENGTH = 16;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}$/;

/**
 * One BYPASS_HEADERS entry, `Name: value`, or the problem with it.
 *
 * @example
 * ```ts
 * headerRule("X-Health-Check: 6f1c0c1e7b5d4b8aa1"); // { name: "x-health-check", value: "6f1c0c1e7b5d4b8aa1" }
 * ```
 */
export function headerRule(entry: string): { name: string; value: string } | { problem: string } {
  const colon = entry.indexOf(":");
  const name = entry.slice(0, Math.max(colon, 0)).trim();
  const value = entry.slice(colon + 1).trim();
  if (colon < 0 || !TOKEN.test(name)) {
    return { problem: `entry ${JSON.stringify(redact(entry))} must be "Header-Name: secret value"` };
  }
  if (/^(user-agent|x-forwarded-for|x-real-ip|cf-connecting-ip|host|cookie)$/i.test(name)) {
    return { problem: `header ${name} says what a client claims, not what it knows: it cannot be a bypass` };
  }
  return secretProblem(name, value) ?? { name: name.toLowerCase(), value };
}

/**
 * One BYPASS_COOKIES entry, `name=value`, or the problem with it.
 *
 * @example
 * ```ts
 * cookieRule("staff=Zm9vYmFyYmF6cXV4MTIz"); // { name: "staff", value: "Zm9vYmFyYmF6cXV4MTIz" }
 * ```
 */
export function cookieRule(entry: string): { name: string; value: string } | { problem: string } {
  const eq = entry.indexOf("=");
  const name = entry.slice(0, Math.max(eq, 0)).trim();
  const value = entry.slice(eq + 1).trim();
  if (eq < 0 || !TOKEN.test(name)) {
    return { problem: `entry ${JSON.stringify(redact(entry))} must be "cookie_name=secret value"` };
  }
  return secretProblem(name, value) ?? { name, value };
}

/**
 * One BYPASS_IPS entry: a CIDR range or a single address, v4 or v6; null when
 * valid, else the problem.
 *
 * @example
 * ```ts
 * networkProblem("203.0.113.0/24"); // null
 * networkProblem("2001:db8::/129"); // "\"2001:db8::/129\" is not an IP address or CIDR range ..."
 * ```
 */
export function networkProblem(entry: string): string | null {
  if (ipaddr.isValidCIDR(entry) || ipaddr.isValid(entry)) return null;
  return `${JSON.stringify(entry)} is not an IP address or CIDR range (e.g. 203.0.113.0/24 or 2001:db8::/32)`;
}

function secretProblem(name: string, value: string): { problem: string } | null {
  if (value.length < MIN_BYPASS_SECRET_LENGTH) {
    return {
      problem: `the value for ${name} must be a secret of at least ${MIN_BYPASS_SECRET_LENGTH} characters (generate one with \`openssl rand -base64 24\`)`,
    };
  }
  return null;
}

/** An entry as a problem shows it: the name, never the secret. */
function redact(entry: string): string {
  return entry.length > 12 ? `${entry.slice(0, 12)}…` : entry;
}

/**
 * Builds the test of a request against the rules: hashes the secrets once,
 * parses the ranges once. Rules are validated first (config.ts); an entry
 * that still cannot be read bypasses nothing.
 *
 * @example
 * ```ts
 * const bypasses = await bypassChecker({ headers: [], cookies: [], networks: ["10.0.0.0/8"] });
 * await bypasses(request, "staff=...; other=1"); // true when CF-Connecting-IP is 10.x.x.x
 * ```
 */
export async function bypassChecker(
  rules: BypassRules,
): Promise<((request: Request, cookieValue: (name: string) => string | undefined) => Promise<boolean>) | null> {
  if (rules.headers.length + rules.cookies.length + rules.networks.length === 0) return null;
  const headers: Secret[] = await Promise.all(
    rules.headers.map(async (r) => ({ name: r.name, digest: await sha256(r.value) })),
  );
  const cookies: Secret[] = await Promise.all(
    rules.cookies.map(async (r) => ({ name: r.name, digest: await sha256(r.value) })),
  );
  const networks = rules.networks.flatMap((entry) => {
    try {
      return [ipaddr.isValidCIDR(entry) ? ipaddr.parseCIDR(entry) : rangeOfOne(ipaddr.parse(entry))];
    } catch {
      return [];
    }
  });
  return async function bypasses(request, cookieValue) {
    if (networks.length > 0 && inNetworks(request.headers.get("cf-connecting-ip"), networks)) return true;
    for (const rule of headers) {
      const presented = request.headers.get(rule.name);
      if (presented !== null && (await sameSecret(presented, rule.digest))) return true;
    }
    for (const rule of cookies) {
      const presented = cookieValue(rule.name);
      if (presented !== undefined && (await sameSecret(presented, rule.digest))) return true;
    }
    return false;
  };
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function rangeOfOne(address: ipaddr.IPv4 | ipaddr.IPv6): Range {
  return [address, address.kind() === "ipv4" ? 32 : 128];
}

/** Whether the address Cloudflare saw is in a range; an IPv4-mapped IPv6 address counts as its IPv4 one. */
function inNetworks(ip: string | null, networks: readonly Range[]): boolean {
  if (!ip) return false;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip.trim());
  } catch {
    return false;
  }
  return networks.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
}

async function sha256(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
}

/**
 * Hash-then-compare: both sides are 32-byte digests, so the platform's
 * constant-time comparison applies whatever the presented value's length, and
 * the time taken says nothing about how much of the secret was right.
 */
async function sameSecret(presented: string, expected: Uint8Array): Promise<boolean> {
  return (crypto.subtle as ConstantTimeSubtle).timingSafeEqual(await sha256(presented), expected);
}

/** workerd's SubtleCrypto extension (declared by the Workers types, not by the Node ones the tests also compile with). */
type ConstantTimeSubtle = SubtleCrypto & { timingSafeEqual(a: ArrayBufferView, b: ArrayBufferView): boolean };
