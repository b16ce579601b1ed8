import { describe, expect, it } from "vitest";
import { PASS_COOKIE } from "../../worker/http/cookies.ts";
import { createApp } from "../../worker/index.ts";
import { testRoom, Visitor } from "./helpers.ts";

/** An origin stand-in that answers every request with `answer()` and counts the requests. */
function origin(answer: () => Response) {
  const seen: Request[] = [];
  const fetcher = async (request: Request) => {
    seen.push(request);
    return answer();
  };
  return { seen, app: createApp({ fetcher }) };
}

const SHOP_HEADERS = (): [string, string][] => [
  ["content-type", "text/html; charset=utf-8"],
  ["cache-control", "public, max-age=60"],
  ["x-origin", "shop"],
  ["set-cookie", "theme=dark; Path=/"],
  ["set-cookie", "cart=1; Path=/; HttpOnly"],
];

describe("proxied answers", () => {
  it("leave exactly as the origin sent them when the room changes nothing (status, reason, headers, body)", async () => {
    const room = await testRoom();
    const shop = origin(
      () => new Response("<h1>Shop</h1>", { status: 203, statusText: "Fine", headers: SHOP_HEADERS() }),
    );
    const visitor = new Visitor();
    expect((await visitor.send(shop.app, room.env, "/products/1")).status).toBe(203); // let in: the pass is set
    for (const path of ["/products/1", "/app.css"]) {
      const res = await visitor.send(shop.app, room.env, path);
      expect(res.status).toBe(203);
      expect(res.statusText).toBe("Fine");
      expect([...res.headers]).toEqual([...new Headers(SHOP_HEADERS())]);
      expect(res.headers.getSetCookie()).toEqual(["theme=dark; Path=/", "cart=1; Path=/; HttpOnly"]);
      expect(await res.text()).toBe("<h1>Shop</h1>");
    }
    // The page view carried the pass to the origin; the bypassed path did not.
    expect(shop.seen.map((request) => request.headers.has("anteroom-pass"))).toEqual([true, true, false]);
  });

  it("that set the pass carry the room's cookie first, then the origin's, with the origin's other headers, as private", async () => {
    const room = await testRoom();
    const shop = origin(() => new Response("<h1>Shop</h1>", { status: 201, headers: SHOP_HEADERS() }));
    const res = await new Visitor().send(shop.app, room.env, "/products/1");
    expect(res.status).toBe(201);
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(3);
    expect(cookies[0]).toMatch(new RegExp(`^${PASS_COOKIE}=ey`));
    expect(cookies.slice(1)).toEqual(["theme=dark; Path=/", "cart=1; Path=/; HttpOnly"]);
    expect(res.headers.get("cache-control")).toBe("private, max-age=60");
    expect(res.headers.get("x-origin")).toBe("shop");
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await res.text()).toBe("<h1>Shop</h1>");
  });

  it("that release the pass on a bypassed path lose the release header and keep the origin's cookies", async () => {
    const room = await testRoom();
    let release = false;
    const shop = origin(() => {
      const headers = new Headers(SHOP_HEADERS());
      if (release) headers.set("anteroom-release", "1");
      return new Response("done", { headers });
    });
    const visitor = new Visitor();
    await visitor.send(shop.app, room.env, "/products/1");
    expect(visitor.cookies.has(PASS_COOKIE)).toBe(true);
    release = true;
    const res = await visitor.send(shop.app, room.env, "/receipt.css");
    expect(res.headers.get("anteroom-release")).toBeNull();
    const cookies = res.headers.getSetCookie();
    expect(cookies[0]).toMatch(new RegExp(`^${PASS_COOKIE}=;.*max-age=0`, "i"));
    expect(cookies.slice(1)).toEqual(["theme=dark; Path=/", "cart=1; Path=/; HttpOnly"]);
    expect(res.headers.get("cache-control")).toBe("private, max-age=60");
    expect(await res.text()).toBe("done");
  });
});

describe("routing (BYPASS_PATHS and QUEUE_PATHS)", () => {
  it("follows each room's own settings and the method, however often a path is asked for", async () => {
    const bypassing = await testRoom({ MODE: "closed", BYPASS_PATHS: "/*.css" });
    const queueing = await testRoom({ MODE: "closed", BYPASS_PATHS: "/*.ico" });
    const shop = origin(() => new Response("<h1>Shop</h1>"));
    // One app (one isolate's worker) serving two rooms: a runtime for each. Closed rooms refuse (403) what they gate.
    const ask = async (env: Record<string, string>, method: string) =>
      (await new Visitor("application/json").send(shop.app, env, "/style.css", { method })).status;
    for (let round = 0; round < 3; round += 1) {
      expect(await ask(bypassing.env, "GET")).toBe(200);
      expect(await ask(queueing.env, "GET")).toBe(403);
      expect(await ask(bypassing.env, "POST")).toBe(403);
      expect(await ask(bypassing.env, "HEAD")).toBe(200);
    }
    expect(shop.seen.map((request) => request.method)).toEqual(["GET", "HEAD", "GET", "HEAD", "GET", "HEAD"]);
  });
});
