// The baseline of `npm run bench`: a bare worker in the same workerd as the
// room. `/__bare/static` answers a static HTML body of STATIC_BYTES bytes (the
// size of the room's holding page); every other path is passed through to
// ORIGIN_URL as is, with no cookie handling, no token and no store.

interface BareEnv {
  readonly ORIGIN_URL: string;
  readonly STATIC_BYTES?: string;
}

let page: string | null = null;

export default {
  async fetch(request: Request, env: BareEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/__bare/static") {
      page ??= `<!doctype html><html><body>${"x".repeat(Math.max(0, Number(env.STATIC_BYTES ?? 4000) - 40))}</body></html>`;
      return new Response(page, {
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      });
    }
    const target = new URL(env.ORIGIN_URL);
    target.pathname = url.pathname;
    target.search = url.search;
    return fetch(new Request(target.href, request));
  },
};
