/** How tickets (TICKET_BINDING) and passes (PASS_BINDING) are tied to the client that took them. */
export const TICKET_BINDINGS = ["none", "ip-prefix", "user-agent"] as const;
export type TicketBinding = (typeof TICKET_BINDINGS)[number];

/** What the gate knows of who is asking, as hashes (raw addresses never reach Redis or tickets). */
export interface Requester {
  /** Name the per-client limit counts a newcomer under; null: not limited. */
  readonly client: string | null;
  /** Hint a ticket is bound to; null: tickets are not bound. */
  readonly hint: string | null;
  /** Hint a pass is bound to (PASS_BINDING); null: passes are not bound. */
  readonly passHint: string | null;
  /**
   * Hint a Turnstile proof is bound to, whatever the bindings: the network
   * and the User-Agent, hashed. A proof is used within minutes by the browser
   * that solved the challenge, so binding it tightly costs real visitors
   * nothing; null: not bound (tests, internal calls).
   */
  readonly proofHint: string | null;
}

/** Nobody in particular: no limit, no binding (tests, internal calls). */
export const ANONYMOUS: Requester = Object.freeze({ client: null, hint: null, passHint: null, proofHint: null });

/**
 * Who is asking. The IP is the one Cloudflare saw (`CF-Connecting-IP`, which
 * clients cannot set through Cloudflare); without it (local development) the
 * per-client limit does not apply. The binding hint is the IP's network
 * (an IPv4 /24 or an IPv6 /48, so a phone moving between addresses of one
 * carrier keeps its place) or the User-Agent, hashed; a missing source binds
 * to its absence. Tickets and passes are bound by the same rule, each with
 * its own setting.
 *
 * @example
 * ```ts
 * const requester = await requesterOf(c.req.raw, { perIpLimit: 10, binding: "ip-prefix", passBinding: "none" });
 * ```
 */
export async function requesterOf(
  request: Request,
  options: { readonly perIpLimit: number; readonly binding: TicketBinding; readonly passBinding: TicketBinding },
): Promise<Requester> {
  const ip = request.headers.get("cf-connecting-ip")?.trim() ?? "";
  const usableIp = ip !== "" && ip.length <= 64 ? ip : null;
  const client = options.perIpLimit > 0 && usableIp ? await digest(`ip:${usableIp}`) : null;
  const hint = await hintOf(request, usableIp, options.binding);
  const passHint =
    options.passBinding === options.binding ? hint : await hintOf(request, usableIp, options.passBinding);
  const proofHint = await digest(
    `proof:${networkOf(usableIp ?? "")}|${(request.headers.get("user-agent") ?? "").slice(0, 512)}`,
  );
  return { client, hint, passHint, proofHint };
}

/** The hint a token is bound to under `binding`; null when unbound. */
async function hintOf(request: Request, ip: string | null, binding: TicketBinding): Promise<string | null> {
  switch (binding) {
    case "none":
      return null;
    case "ip-prefix":
      return digest(`net:${networkOf(ip ?? "")}`);
    case "user-agent":
      return digest(`ua:${(request.headers.get("user-agent") ?? "").slice(0, 512)}`);
  }
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
