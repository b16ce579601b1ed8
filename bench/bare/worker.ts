// The baseline of `npm run bench`: a bare worker in the same workerd as the
// room. `/__bare/static` answers a static HTML body of STATIC_BYTES bytes, or
// of `?bytes=N` (the size of the room's answer it stands beside: the holding
// page, a status poll); every other path is passed through to ORIGIN_URL as
// is, with no cookie handling, no token and no store.

interface BareEnv {
  readonly ORIGIN_URL: string;
  readonly STATIC_BYTES?: string;
}

/** Static bodies by size, built once per instance. */
const pages = new Map<number, string>();

function staticPage(bytes: number): string {
  let page = pages.get(bytes);
  if (page === undefined) {
    const shell = "<!doctype html><html><body></body></html>";
    page = shell.replace("<body>", `<body>${"x".repeat(Math.max(0, bytes - shell.length))}`);
    if (pages.size < 64) pages.set(bytes, page);
  }
  return page;
}

export default {
  async fetch(request: Request, env: BareEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/__bare/static") {
      const asked = Number(url.searchParams.get("bytes") ?? env.STATIC_BYTES ?? 4000);
      const bytes = Number.isInteger(asked) && asked > 0 && asked <= 1_000_000 ? asked : 4000;
      return new Response(staticPage(bytes), {
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      });
    }
    const target = new URL(env.ORIGIN_URL);
    target.pathname = url.pathname;
    target.search = url.search;
    return fetch(new Request(target.href, request));
  },
};
