import type { RequestHandler } from "express";
import { createGuard, DENY_BODY, FAILURE_HEADERS, type GuardOptions } from "./guard.ts";
import type { AdmissionResult } from "./types.ts";

declare global {
  // Express types its request through this global namespace; merging into it is how middleware adds fields.
  namespace Express {
    interface Request {
      /** Set by Anteroom's middleware: the verification result of this request's pass. */
      anteroom?: AdmissionResult;
    }
  }
}

/**
 * Connect-style middleware (Express 4 and 5, Connect, Polka) that admits
 * requests carrying a valid Anteroom pass and sets `req.anteroom`. It uses
 * only Node's own response methods, so it needs nothing from Express at run time.
 *
 * @throws {OriginAdapterError} at once on bad options.
 * @example
 * ```ts
 * const app = express();
 * app.use(anteroom({ jwksUrl: "https://shop.example/__anteroom/jwks.json", onFailure: "redirect", waitingRoomUrl: "https://shop.example" }));
 * app.get("/", (req, res) => res.send(`hello ${req.anteroom?.ok ? req.anteroom.claims.sub : "stranger"}`));
 * ```
 */
export function anteroom(options: GuardOptions): RequestHandler {
  const guard = createGuard(options);
  return function anteroom(req, res, next) {
    guard(req, req.originalUrl ?? req.url).then(({ result, action }) => {
      req.anteroom = result;
      if (action.kind === "continue") return next();
      res.statusCode = action.status;
      for (const [name, value] of Object.entries(FAILURE_HEADERS)) res.setHeader(name, value);
      if (action.kind === "redirect") {
        res.setHeader("location", action.location);
        res.end();
      } else {
        res.setHeader("content-type", "text/plain; charset=utf-8");
        res.end(DENY_BODY);
      }
    }, next);
  };
}
