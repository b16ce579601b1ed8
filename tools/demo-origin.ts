import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PASS_HEADER, RELEASE_HEADER } from "../origin-adapter/contract.ts";
import { escapeHtml } from "../worker/http/pages/page.ts";

/** A running demo origin. */
export interface DemoOrigin {
  readonly url: string;
  /** Requests seen, newest last: path and whether a pass header came with it. */
  readonly log: readonly { method: string; path: string; passHeader: boolean; at: number }[];
  close(): Promise<void>;
}

/**
 * A small stand-in for the site behind the room, for `npm start` and tests:
 * a home page, a registration form, and a page that shows the pass the worker
 * forwarded (decoded for display only; origins verify it with the origin
 * adapter and the JWKS).
 *
 * @example
 * ```ts
 * const origin = await startDemoOrigin({ port: 0 });
 * ```
 */
export async function startDemoOrigin(options: { port?: number; host?: string } = {}): Promise<DemoOrigin> {
  const log: { method: string; path: string; passHeader: boolean; at: number }[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    const pass = header(req, PASS_HEADER);
    log.push({ method: req.method ?? "GET", path, passHeader: pass !== undefined, at: Date.now() });
    if (log.length > 10_000) log.splice(0, log.length - 10_000);
    route(req, res, path, pass);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function route(req: IncomingMessage, res: ServerResponse, path: string, pass: string | undefined): void {
  const pathname = path.split("?")[0] ?? "/";
  if (pathname.startsWith("/api/echo")) {
    echo(req, res, path, pass);
    return;
  }
  if (req.method === "POST") req.resume();
  const [status, type, body] = render(pathname, req.method ?? "GET", pass);
  // Checkout done: the visitor's place in the room is freed at once (early release, see the README).
  send(res, status, type, body, pathname === "/checkout/complete" ? { [RELEASE_HEADER]: "checkout-complete" } : {});
}

/** Shows tests and curious developers exactly what the worker forwarded. */
function echo(req: IncomingMessage, res: ServerResponse, path: string, pass: string | undefined): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = {
      method: req.method,
      path,
      pass: pass ?? null,
      host: header(req, "host") ?? null,
      cookie: header(req, "cookie") ?? null,
      forwardedHost: header(req, "x-forwarded-host") ?? null,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    // `?release` asks the worker to end the visitor's session, as an origin does after checkout;
    // `?cache-control=...` answers with that header, as a page a CDN may cache does.
    const query = new URL(path, "http://origin.invalid").searchParams;
    const extra: Record<string, string> = query.has("release") ? { [RELEASE_HEADER]: "1" } : {};
    const cacheControl = query.get("cache-control");
    if (cacheControl) extra["cache-control"] = cacheControl;
    send(res, 200, "application/json", JSON.stringify(body), extra);
  });
}

function render(pathname: string, method: string, pass: string | undefined): [number, string, string] {
  if (pathname === "/health") return [200, "text/plain", "ok\n"];
  if (pathname === "/register" && method === "POST") {
    return [200, "text/html", page("Registered", "<p>Thank you, you are registered.</p>", pass)];
  }
  if (pathname === "/register") {
    const form =
      '<form method="post" action="/register"><label>Name <input name="name" required></label> <button>Register</button></form>';
    return [200, "text/html", page("Register", form, pass)];
  }
  if (pathname === "/checkout/complete") {
    return [200, "text/html", page("Order placed", "<p>Thank you! Your place in the waiting room is freed.</p>", pass)];
  }
  if (pathname === "/") {
    const links = '<a href="/register">Register</a> · <a href="/checkout/complete">Complete checkout</a>';
    return [200, "text/html", page("Demo shop", `<p>Welcome! ${links}</p>`, pass)];
  }
  return [404, "text/html", page("Not found", "<p>No such page.</p>", pass)];
}

function page(title: string, body: string, pass: string | undefined): string {
  const claims = pass ? decodeClaims(pass) : null;
  const passInfo = claims
    ? `<p>Admitted by Anteroom: visitor <code>${escapeHtml(String(claims.sub))}</code>, pass valid until ${escapeHtml(new Date(Number(claims.exp) * 1000).toISOString())}.</p>`
    : "<p>No Anteroom pass on this request.</p>";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}<hr>${passInfo}</body></html>`;
}

/** Display only: this demo does not verify the pass (that is the origin adapter's job). */
function decodeClaims(jwt: string): Record<string, unknown> | null {
  try {
    return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": `${type}; charset=utf-8`,
    "content-length": Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}
