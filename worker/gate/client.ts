/** How tickets are tied to the client that took them (TICKET_BINDING). */
export const TICKET_BINDINGS = ["none", "ip-prefix", "user-agent"] as const;
export type TicketBinding = (typeof TICKET_BINDINGS)[number];

/** What the gate knows of who is asking, as hashes (raw addresses never reach Redis or tickets). */
export interface Requester {
  /** Name the per-client limit counts a newcomer under; null: not limited. */
  readonly client: string | null;
  /** Hint a ticket is bound to; null: tickets are not bound. */
  readonly hint: string | null;
}

/** Nobody in particular: no limit, no binding (tests, internal calls). */
export const ANONYMOUS: Requester = Object.freeze({ client: null, hint: null });

/**
 * Who is asking. The IP is the one Cloudflare saw (`CF-Connecting-IP`, which
 * clients cannot set through Cloudflare); without it (local development) the
 * per-client limit does not apply. The binding hint is the IP's network
 * (an IPv4 /24 or an IPv6 /48, so a phone moving between addresses of one
 * carrier keeps its place) or the User-Agent, hashed; a missing source binds
 * to its absence.
 *
 * @example
 * ```ts
 * const requester = await requesterOf(c.req.raw, { perIpLimit: 10, binding: "ip-prefix" });
 * ```
 */
export async function requesterOf(
  request: Request,
  options: { readonly perIpLimit: number; readonly binding: TicketBinding },
): Promise<Requester> {
  const ip = request.headers.get("cf-connecting-ip")?.trim() ?? "";
  const usableIp = ip !== "" && ip.length <= 64 ? ip : null;
  const client = options.perIpLimit > 0 && usableIp ? await digest(`ip:${usableIp}`) : null;
  let hint: string | null = null;
  if (options.binding === "ip-prefix") hint = await digest(`net:${networkOf(usableIp ?? "")}`);
  if (options.binding === "user-agent")
    hint = await digest(`ua:${(request.headers.get("user-agent") ?? "").slice(0, 512)}`);
  return { client, hint };
}

/** The network part of an address: IPv4 /24, IPv6 /48; anything else as is. */
function networkOf(ip: string): string {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip.split(".").slice(0, 3).join(".");
  if (ip.includes(":")) return ip.toLowerCase().split(":").slice(0, 3).join(":");
  return ip;
}

async function digest(value: string): Promise<string> {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(bytes).slice(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
