/**
 * The name the per-client limit counts a newcomer under: a hash of the IP
 * Cloudflare saw (`CF-Connecting-IP`, which clients cannot set through
 * Cloudflare), so raw addresses never reach Redis. Null when the limit is
 * off or the address is unknown (local development without Cloudflare):
 * such newcomers are not limited.
 *
 * @example
 * ```ts
 * const client = await clientOf(c.req.raw, config.newTicketsPerIpPerMinute);
 * ```
 */
export async function clientOf(request: Request, limitPerMinute: number): Promise<string | null> {
  if (limitPerMinute <= 0) return null;
  const ip = request.headers.get("cf-connecting-ip")?.trim();
  if (!ip || ip.length > 64) return null;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(ip));
  return [...new Uint8Array(digest).slice(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
