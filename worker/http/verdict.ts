import type { Context } from "hono";
import { requesterOf } from "../gate/client.ts";
import { evaluate, type Verdict } from "../gate/gate.ts";
import type { AppEnv } from "./app-env.ts";
import { readCredentials, setVerdictCookies } from "./cookies.ts";

/**
 * The gate's verdict on this request, with the cookies it calls for already
 * set: the one path from HTTP to the gate, shared by page requests and
 * status polls so both treat a visitor the same way.
 *
 * @example
 * ```ts
 * const verdict = await judge(c);
 * if (verdict.kind === "queued") return waitingResponse(c, verdict.view, pageSettings);
 * ```
 */
export async function judge(c: Context<AppEnv>): Promise<Verdict> {
  const runtime = c.var.runtime;
  const credentials = readCredentials(c);
  const verdict = await evaluate(credentials, runtime.gate, () => requesterOf(c.req.raw, runtime.config.requester));
  setVerdictCookies(c, verdict, credentials, runtime.config.ticketTtlSeconds);
  return verdict;
}
