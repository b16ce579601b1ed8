/** The secret the Turnstile stand-in accepts (see turnstile-stand-in.ts), and the answers it knows. */
export const STAND_IN_SECRET = "turnstile-stand-in-secret";
export const GOOD_TOKEN = "stand-in-good-token";
/** A token the stand-in answers with HTTP 500, as an outage of the real endpoint would. */
export const OUTAGE_TOKEN = "stand-in-outage";
