// `npm run keys` / `anteroom keys ...`: makes pass signing keys and prints how
// to install them.
//
// Rotation without a gap, in three deploys:
//   1. stage:   `npm run keys -- stage "$CURRENT"` appends a new key: published in
//               the JWKS, not yet signing. Deploy, then wait at least 5 minutes
//               (the JWKS cache) so every origin has it.
//   2. promote: `npm run keys -- promote KID "$CURRENT"` moves it first: it signs
//               from now on. Deploy.
//   3. retire:  after SESSION_MINUTES plus the 5-minute JWKS cache, drop the old key.
import { randomBytes } from "node:crypto";
import { generateSigningKey } from "../worker/tokens/keyring.ts";

function parseKeys(current: string): { kid?: string }[] {
  const parsed: unknown = JSON.parse(current);
  return (Array.isArray(parsed) ? parsed : [parsed]) as { kid?: string }[];
}

const install = (keys: unknown[]) => `  echo '${JSON.stringify(keys)}' | npx wrangler secret put PASS_SIGNING_KEYS`;

/**
 * A first key and ticket secret for a new deployment, or (with the current
 * PASS_SIGNING_KEYS) a new key staged after the current ones.
 *
 * @example
 * ```ts
 * console.log(await newKeysMessage(process.env.PASS_SIGNING_KEYS));
 * ```
 */
export async function newKeysMessage(current?: string): Promise<string> {
  const { privateJwk, kid } = await generateSigningKey();
  if (current) {
    return `New ES256 pass signing key: kid ${kid}, staged after the current keys (published, not signing yet):

${install([...parseKeys(current), privateJwk])}

Deploy, wait at least 5 minutes (the JWKS cache), then make it sign:

  npm run keys -- promote ${kid} "$CURRENT_PASS_SIGNING_KEYS"
`;
  }
  return `New ES256 pass signing key: kid ${kid}

Set it (the private key stays in the secret; /__anteroom/jwks.json publishes the public half):

${install([privateJwk])}

And, once per deployment, a ticket secret:

  echo '${randomBytes(32).toString("base64url")}' | npx wrangler secret put TICKET_SECRET
`;
}

/** Moves the staged key `kid` first, so it signs; the others keep verifying until retired. */
export function promoteMessage(kid: string, current: string): string {
  const keys = parseKeys(current);
  const chosen = keys.find((key) => key.kid === kid);
  if (!chosen) throw new Error(`no key with kid ${kid} in the keys given`);
  return `Key ${kid} signs from the next deploy; the others still verify:

${install([chosen, ...keys.filter((key) => key !== chosen)])}

After SESSION_MINUTES plus 5 minutes (the JWKS cache), remove the old keys the same way.
`;
}

if (import.meta.main) {
  const [command, ...args] = process.argv.slice(2);
  if (command === "promote" && args[0] && args[1]) console.log(promoteMessage(args[0], args[1]));
  else if (command === "stage" && args[0]) console.log(await newKeysMessage(args[0]));
  else if (command === undefined) console.log(await newKeysMessage());
  else {
    console.error('usage: npm run keys [-- stage "$CURRENT_KEYS" | -- promote KID "$CURRENT_KEYS"]');
    process.exit(2);
  }
}
