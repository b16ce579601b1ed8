import { randomBytes } from "node:crypto";
import { generateSigningKey } from "../../worker/tokens/keyring.ts";

/** A pass signing key and a ticket secret for one bench run, as the worker's settings want them. */
export async function fixedKeys(): Promise<{ PASS_SIGNING_KEYS: string; TICKET_SECRET: string }> {
  const { privateJwk } = await generateSigningKey();
  return { PASS_SIGNING_KEYS: JSON.stringify([privateJwk]), TICKET_SECRET: randomBytes(32).toString("hex") };
}
