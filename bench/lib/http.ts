import { Agent, request } from "undici";

/**
 * A browser's cookie jar for one site, reduced to what Anteroom uses: name=value
 * pairs with Path=/, removed by Max-Age=0 or an Expires in the past.
 */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** The Cookie request header, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.#cookies.size === 0) return undefined;
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** Applies the Set-Cookie headers of a response. */
  store(setCookie: string | string[] | undefined): void {
    if (!setCookie) return;
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair = "", ...attributes] = line.split(";");
      const at = pair.indexOf("=");
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      let expired = value === "";
      for (const attribute of attributes) {
        const [key = "", raw = ""] = attribute.split("=");
        const k = key.trim().toLowerCase();
        if (k === "max-age" && Number(raw) <= 0) expired = true;
        if (k === "expires" && Date.parse(raw.trim()) <= Date.now()) expired = true;
      }
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
}

/** What a browser sends for a top-level navigation. */
export const NAVIGATE_HEADERS = {
  accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "sec-fetch-mode": "navigate",
  "sec-fetch-dest": "document",
  "user-agent": "anteroom-surge/1",
} as const;

/** What the holding page's script sends when it polls. */
export const POLL_HEADERS = {
  accept: "application/json",
  "sec-fetch-mode": "cors",
  "sec-fetch-dest": "empty",
  "user-agent": "anteroom-surge/1",
} as const;

/** One response, read whole. `status` 0 is a network error or timeout. */
export interface Fetched {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly ms: number;
  readonly error?: string;
}

/** Keep-alive connections for many virtual visitors; every request has a timeout. */
export function visitorAgent(connections: number, timeoutMs: number): Agent {
  return new Agent({
    connections,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: timeoutMs,
  });
}

/** GET with the jar's cookies; stores the response's cookies in the jar. */
export async function get(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  jar: CookieJar,
  signal?: AbortSignal,
  redirects?: number,
): Promise<Fetched> {
  const start = performance.now();
  const cookie = jar.header();
  try {
    const res = await request(url, {
      method: "GET",
      headers: cookie ? { ...headers, cookie } : headers,
      dispatcher: agent,
      ...(signal ? { signal } : {}),
    });
    const body = await res.body.text();
    jar.store(res.headers["set-cookie"]);
    // Like a browser: follow a redirect to a path on the same site (the room's cookie check), cookies included.
    const location = res.headers.location;
    if (res.statusCode >= 301 && res.statusCode <= 308 && typeof location === "string" && location.startsWith("/")) {
      if ((redirects ?? 0) < 3) {
        const next = await get(agent, new URL(location, url).href, headers, jar, signal, (redirects ?? 0) + 1);
        return { ...next, ms: performance.now() - start };
      }
    }
    return { status: res.statusCode, headers: res.headers, body, ms: performance.now() - start };
  } catch (error) {
    return {
      status: 0,
      headers: {},
      body: "",
      ms: performance.now() - start,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}

/** A header's first value. */
export function header(fetched: Fetched, name: string): string | undefined {
  const value = fetched.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The payload of a JWT, decoded without verification (the bench reads its own tickets' positions). */
export function jwtPayload(token: string | undefined): Record<string, unknown> | null {
  if (!token) return null;
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
}
