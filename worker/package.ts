// The package's main entry (`import ... from "anteroom"`): the room as a Hono
// middleware for a site's own worker, and the whole worker's app.
export { createApp } from "./index.ts";
export { type AnteroomOptions, type AnteroomSettings, type AnteroomVariables, anteroom } from "./middleware.ts";
export type { RuntimeOverrides } from "./runtime.ts";
