import type { TestProject } from "vitest/node";
import { startDemoOrigin } from "../../tools/demo-origin.ts";
import { startTurnstileStandIn } from "./turnstile-stand-in.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The demo origin (a real Node HTTP server on loopback) the worker forwards to in tests. */
    originUrl: string;
    /** A local stand-in for Turnstile's siteverify endpoint. */
    turnstileUrl: string;
  }
}

/** Vitest globalSetup: a real origin server for the worker to proxy to. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const origin = await startDemoOrigin();
  const turnstile = await startTurnstileStandIn();
  project.provide("originUrl", origin.url);
  project.provide("turnstileUrl", turnstile.url);
  return async () => {
    await origin.close();
    await turnstile.close();
  };
}
