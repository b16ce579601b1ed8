/**
 * Early release in the surge lab (`--release`): each admitted visitor's last
 * page view goes to {@link RELEASE_PATH}, and the lab origin answers that path
 * (when it serves it) with {@link RELEASE_HEADER}, as a shop does when a
 * checkout completes. The worker then ends the visitor's session: it clears
 * the pass cookie, stops counting the visitor as active (MAX_ACTIVE), and
 * strips the header before the visitor sees it.
 */
export const RELEASE_PATH = "/checkout/complete";

/** The response header an origin sets to end the visitor's session (any value): the wire contract's. */
export { RELEASE_HEADER } from "../../origin-adapter/contract.ts";
