// Secrets and optional settings are not in wrangler.toml, so `wrangler types`
// cannot see them; they are layered onto the generated Env here.
interface Env {
  PASS_SIGNING_KEYS?: string;
  TICKET_SECRET?: string;
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  ORIGIN_URL?: string;
  HOLDING_PAGE_TEMPLATE?: string;
  ADMIN_TOKEN?: string;
  METRICS_TOKEN?: string;
  TURNSTILE_SITE_KEY?: string;
  TURNSTILE_SECRET_KEY?: string;
  TURNSTILE_VERIFY_URL?: string;
}
