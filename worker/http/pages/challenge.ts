import { TURNSTILE_ORIGIN } from "../../tokens/turnstile.ts";
import { escapeHtml, pageStart } from "./page.ts";

/**
 * The Turnstile page: one widget and a button, shown to a newcomer before a
 * ticket is issued (only when TURNSTILE_SITE_KEY is set). The form posts the
 * widget's answer to `/__anteroom/turnstile`, which checks it with Cloudflare
 * and sends the visitor back to `returnPath` (a path on this site only).
 *
 * @example
 * ```ts
 * c.html(renderChallenge({ siteKey, returnPath: "/shop", nonce: securePage(c, TURNSTILE_ORIGIN), notice: "" }));
 * ```
 */
export function renderChallenge(values: {
  readonly siteKey: string;
  readonly returnPath: string;
  readonly nonce: string;
  readonly notice: string;
}): string {
  const nonce = escapeHtml(values.nonce);
  return `${pageStart("One moment")}
<script nonce="${nonce}" src="${TURNSTILE_ORIGIN}/turnstile/v0/api.js" async defer></script>
<style nonce="${nonce}">
body{margin:0;font:1.05rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;display:flex;min-height:100vh;align-items:center;justify-content:center;padding:1rem}
main{max-width:32rem;width:100%}
.notice{border-left:4px solid #b35c00;padding:.25rem .75rem}
.notice:empty{display:none}
</style>
</head>
<body>
<main>
<h1>One moment</h1>
<p>Before you join the line, please confirm you are a person. It keeps automated traffic from taking places in the queue.</p>
<form method="post" action="/__anteroom/turnstile">
<input type="hidden" name="return" value="${escapeHtml(values.returnPath)}">
<div class="cf-turnstile" data-sitekey="${escapeHtml(values.siteKey)}"></div>
<p><button type="submit">Continue</button></p>
</form>
<p class="notice" role="alert">${escapeHtml(values.notice)}</p>
</main>
</body>
</html>`;
}
