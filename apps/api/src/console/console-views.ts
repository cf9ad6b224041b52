import { escapeHtml as e } from '#analysis/reports/html';
import type { Principal } from '#core/storage/api-key.repository';
import { CSRF_FIELD } from './console-session.js';

/**
 * The console's pages: plain server-rendered HTML, one stylesheet inline, no script (a running
 * analysis refreshes itself with <meta http-equiv=refresh>). Everything shown is escaped.
 */
export const CONSOLE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:.6rem 1.5rem;display:flex;gap:1.2rem;align-items:center}
header a{color:#fff;text-decoration:none}header .who{margin-left:auto;opacity:.8}header form{display:inline}
main{max-width:1150px;margin:1rem auto;padding:0 1.5rem}h1{font-size:1.3rem}
table{border-collapse:collapse;width:100%;background:#fff}td,th{border-bottom:1px solid #eaeef2;padding:.35rem .5rem;text-align:left}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:.3rem;color:#fff;font-size:.85em;text-transform:uppercase}
.v-clean{background:#1a7f37}.v-suspicious{background:#9a6700}.v-malicious{background:#cf222e}.v-inconclusive{background:#6e7781}.v-error,.v-none{background:#57606a}
form.inline{display:flex;gap:.5rem;flex-wrap:wrap;align-items:end;margin:.8rem 0;background:#fff;padding:.7rem;border:1px solid #eaeef2}
label{display:flex;flex-direction:column;font-size:.85em;color:#57606a}input,select,button{font:inherit;padding:.3rem .5rem}
button{background:#1f883d;color:#fff;border:0;border-radius:.3rem;cursor:pointer}button.link{background:none;color:#fff;padding:0}
.err{background:#ffebe9;border:1px solid #ff8182;padding:.6rem;margin:.8rem 0}code{font:12px ui-monospace,monospace}`;

export function verdictBadge(v: string | null | undefined): string {
  return `<span class="badge v-${e(v ?? 'none')}">${e(v ?? '—')}</span>`;
}

export function page(title: string, body: string, who?: { principal: Principal; csrf: string }, opts: { refreshSeconds?: number } = {}): string {
  const nav = who
    ? `<a href="/ui/analyses">Analyses</a><a href="/ui/watches">Watches</a>${who.principal.role === 'admin' ? '<a href="/ui/webhooks">Webhooks</a><a href="/ui/queues">Queues</a>' : ''}<span class="who">${e(who.principal.name)} (${e(who.principal.role)})</span><form method="post" action="/ui/logout"><input type="hidden" name="${CSRF_FIELD}" value="${e(who.csrf)}"><button class="link">Sign out</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${opts.refreshSeconds ? `<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : ''}<meta name="referrer" content="no-referrer">
<title>${e(title)} — Quarantine</title><style>${STYLE}</style></head>
<body><header><b>Quarantine</b>${nav}</header><main>${body}</main></body></html>\n`;
}

export function csrfInput(csrf: string): string {
  return `<input type="hidden" name="${CSRF_FIELD}" value="${e(csrf)}">`;
}

export function errorPage(status: number, message: string, signedIn: boolean): string {
  return page(`Error ${status}`, `<h1>${status === 401 ? 'Sign in' : `Error ${status}`}</h1><div class="err">${e(message)}</div><p>${status === 401 || !signedIn ? '<a href="/ui/login">Sign in with an API key</a>' : '<a href="/ui/analyses">Back to the analyses</a>'}</p>`);
}
