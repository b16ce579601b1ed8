import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { GOOD_TOKEN, OUTAGE_TOKEN, STAND_IN_SECRET } from "./turnstile-tokens.ts";

/**
 * A local stand-in for Cloudflare's Turnstile siteverify endpoint (tests have
 * no internet). It speaks the same protocol: a form POST of secret, response
 * and remoteip; JSON `{ success, "error-codes" }` back.
 */
export async function startTurnstileStandIn(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const form = new URLSearchParams(body);
      const reply = (status: number, json: object) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      if (req.method !== "POST") return reply(405, { success: false, "error-codes": ["bad-request"] });
      if (form.get("response") === OUTAGE_TOKEN)
        return reply(500, { success: false, "error-codes": ["internal-error"] });
      if (form.get("secret") !== STAND_IN_SECRET)
        return reply(200, { success: false, "error-codes": ["invalid-input-secret"] });
      if (form.get("response") !== GOOD_TOKEN)
        return reply(200, { success: false, "error-codes": ["invalid-input-response"] });
      return reply(200, { success: true, "error-codes": [], hostname: "room.test" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/turnstile/v0/siteverify`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
