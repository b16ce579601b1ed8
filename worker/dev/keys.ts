// `npm run keys`: makes a new pass signing key and a ticket secret, and prints
// how to install them. Rotation: put the new key FIRST in PASS_SIGNING_KEYS,
// keep the old one after it for one session length, then drop the old one.
import { randomBytes } from "node:crypto";
import { generateSigningKey } from "../keyring.ts";

const { privateJwk, kid } = await generateSigningKey();
const previous = process.argv[2];
let keys = [privateJwk];
if (previous) {
  // `npm run keys -- "$OLD_PASS_SIGNING_KEYS"` prepends the new key to the existing set.
  const parsed: unknown = JSON.parse(previous);
  keys = [privateJwk, ...(Array.isArray(parsed) ? parsed : [parsed])];
}
const value = JSON.stringify(keys);
const ticketSecret = randomBytes(32).toString("base64url");

console.log(`New ES256 pass signing key: kid ${kid}

Set it (the private key stays in the secret; /__anteroom/jwks.json publishes the public half):

  echo '${value}' | npx wrangler secret put PASS_SIGNING_KEYS

${previous ? "The old keys follow the new one, so passes they signed keep working. Remove them after one SESSION_MINUTES.\n" : ""}And, once per deployment, a ticket secret:

  echo '${ticketSecret}' | npx wrangler secret put TICKET_SECRET
`);
