import type { TestProject } from "vitest/node";
import { startDemoOrigin } from "../../worker/dev/demo-origin.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The demo origin (a real Node HTTP server on loopback) the worker forwards to in tests. */
    originUrl: string;
  }
}

/** Vitest globalSetup: a real origin server for the worker to proxy to. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const origin = await startDemoOrigin();
  project.provide("originUrl", origin.url);
  return () => origin.close();
}
