// wrangler.toml's [[rules]] turn these imports into Text modules: the file's
// contents as a string, in the deployed bundle, `wrangler dev` and vitest's
// workerd alike. TypeScript cannot know that from the file itself.
declare module "*.client.js" {
  const text: string;
  export default text;
}
declare module "*.client.css" {
  const text: string;
  export default text;
}
declare module "uplot/dist/uPlot.iife.min.js" {
  const text: string;
  export default text;
}
declare module "uplot/dist/uPlot.min.css" {
  const text: string;
  export default text;
}
