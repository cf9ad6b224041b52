import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { reportToHtml } from '#analysis/reports/html';
import type { ReportDocument } from '#analysis/reports/report-document';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { ApiKeyRepository, type Principal } from '#core/storage/api-key.repository';
import { AnalysesService } from '../analyses/analyses.service.js';
import type { ListAnalysesDto } from '../analyses/dto/list-analyses.dto.js';
import { Public } from '../auth/auth.decorators.js';
import { AuthThrottle } from '../auth/auth-throttle.js';
import { Authorize } from '../auth/policy.js';
import { WatchesService } from '../watches/watches.service.js';
import { WebhooksService } from '../webhooks/webhooks.service.js';
import { ConsoleErrorFilter } from './console-error.filter.js';
import { clearedCookie, csrfToken, sessionCookie } from './console-session.js';
import { CONSOLE_CSP, csrfInput, page, verdictBadge } from './console-views.js';
import { escapeHtml as e } from '#analysis/reports/html';

interface ConsoleRequest {
  principal?: Principal;
  consoleKey?: string;
  ip?: string;
  secure?: boolean;
  socket?: { remoteAddress?: string };
  headers: Record<string, string | string[] | undefined>;
}
interface ConsoleResponse {
  setHeader(name: string, value: string): void;
  redirect(status: number, url: string): void;
}

const uuid = new ParseUUIDPipe({ exceptionFactory: () => DomainException.validation('id', 'must be a UUID') });
const VERDICTS = ['clean', 'suspicious', 'malicious', 'inconclusive', 'error'];
const STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'rejected'];
const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'rejected']);

function html(res: ConsoleResponse): void {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
}

function who(req: ConsoleRequest): { principal: Principal; csrf: string } {
  return { principal: req.principal!, csrf: req.consoleKey ? csrfToken(req.consoleKey) : '' };
}

function str(v: unknown, max = 512): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
}

/**
 * The web console at /ui (docs/console.md): sign in with an API key, list and filter analyses, submit
 * an image, follow it, read its HTML report; watches; webhooks and their deliveries and the queues
 * (bull-board, /ui/queues) for admins. The same guards and policy as the REST API decide who may do
 * what (the session cookie stands for the key); forms carry a CSRF token.
 */
@ApiExcludeController()
@UseFilters(ConsoleErrorFilter)
@Controller('ui')
export class ConsoleController {
  constructor(
    private readonly analyses: AnalysesService,
    private readonly watches: WatchesService,
    private readonly webhooks: WebhooksService,
    private readonly profiles: ProfileRegistry,
    private readonly keys: ApiKeyRepository,
    private readonly throttle: AuthThrottle,
  ) {}

  @Public()
  @Get()
  @HttpCode(302)
  home(@Res({ passthrough: true }) res: ConsoleResponse): void {
    res.redirect(302, '/ui/analyses');
  }

  @Public()
  @Get('login')
  login(@Res({ passthrough: true }) res: ConsoleResponse): string {
    html(res);
    return page('Sign in', `<h1>Sign in</h1><form class="inline" method="post" action="/ui/login"><label>API key<input type="password" name="key" autocomplete="current-password" required size="48"></label><button>Sign in</button></form><p>An admin creates keys with <code>quarantine keys create NAME</code> (docs/cli.md).</p>`);
  }

  @Public()
  @Post('login')
  @HttpCode(303)
  async signIn(@Body() body: Record<string, unknown>, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<void> {
    const address = req.ip ?? req.socket?.remoteAddress ?? '';
    await this.throttle.check(address);
    const key = str(body?.key);
    const principal = key && /^[\x21-\x7e]+$/.test(key) ? await this.keys.authenticate(key) : null;
    if (!principal) {
      await this.throttle.failed(address);
      throw new DomainException(ErrorCode.Unauthorized, 401, 'unknown API key', [{ field: 'key', message: 'unknown key' }]);
    }
    res.setHeader('Set-Cookie', sessionCookie(key!, req.secure === true));
    res.redirect(303, '/ui/analyses');
  }

  @Public()
  @Post('logout')
  @HttpCode(303)
  logout(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): void {
    res.setHeader('Set-Cookie', clearedCookie(req.secure === true));
    res.redirect(303, '/ui/login');
  }

  @Get('analyses')
  @Authorize('analysis.list')
  async list(@Query() q: Record<string, unknown>, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const filter: ListAnalysesDto = { limit: 50 };
    if (VERDICTS.includes(q.verdict as string)) filter.verdict = q.verdict as ListAnalysesDto['verdict'];
    if (STATUSES.includes(q.status as string)) filter.status = q.status as ListAnalysesDto['status'];
    const image = str(q.image);
    if (image) filter.image = image;
    const cursor = str(q.cursor, 200);
    if (cursor && /^\d+:[A-Za-z0-9_-]+$/.test(cursor)) filter.cursor = cursor;
    const pageOf = await this.analyses.list(filter);
    const label = str(q.label, 256);
    const [lk, lv] = label?.includes('=') ? [label.slice(0, label.indexOf('=')), label.slice(label.indexOf('=') + 1)] : [undefined, undefined];
    const items = lk ? pageOf.items.filter((a) => a.labels?.[lk] === lv) : pageOf.items;
    const w = who(req);
    const opt = (vals: string[], cur: unknown) => `<option value="">any</option>${vals.map((v) => `<option${v === cur ? ' selected' : ''}>${e(v)}</option>`).join('')}`;
    const rows = items.map((a) => `<tr><td><a href="/ui/analyses/${e(a.id)}"><code>${e(a.id.slice(0, 8))}</code></a></td><td>${e(a.image)}</td><td>${e(a.status)}</td><td>${verdictBadge(a.verdict)}</td><td>${e(a.score ?? '')}</td><td>${e(a.profile)}</td><td>${e(Object.entries(a.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(' '))}</td><td>${e(a.createdAt)}</td></tr>`).join('');
    const next = pageOf.nextCursor ? `<p><a href="/ui/analyses?${new URLSearchParams({ ...(filter.verdict ? { verdict: filter.verdict } : {}), ...(filter.status ? { status: filter.status } : {}), ...(image ? { image } : {}), ...(label ? { label } : {}), cursor: pageOf.nextCursor })}">Older →</a></p>` : '';
    html(res);
    return page('Analyses', `<h1>Analyses</h1>
<form class="inline" method="post" action="/ui/analyses">${csrfInput(w.csrf)}<label>Image<input name="image" required size="48" placeholder="registry.example/app@sha256:…"></label><label>Profile<select name="profile">${this.profiles.list().map((p) => `<option${p.name === 'default' ? ' selected' : ''}>${e(p.name)}</option>`).join('')}</select></label><button>Submit</button></form>
<form class="inline" method="get" action="/ui/analyses"><label>Verdict<select name="verdict">${opt(VERDICTS, filter.verdict)}</select></label><label>Status<select name="status">${opt(STATUSES, filter.status)}</select></label><label>Image<input name="image" value="${e(image ?? '')}"></label><label>Label<input name="label" placeholder="key=value" value="${e(label ?? '')}"></label><button>Filter</button></form>
<table><thead><tr><th>id</th><th>image</th><th>status</th><th>verdict</th><th>score</th><th>profile</th><th>labels</th><th>created</th></tr></thead><tbody>${rows || '<tr><td colspan="8">none</td></tr>'}</tbody></table>${next}`, w);
  }

  @Post('analyses')
  @Authorize('analysis.create')
  @HttpCode(303)
  async submit(@Body() body: Record<string, unknown>, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<void> {
    const image = str(body?.image, 512)?.trim();
    if (!image) throw DomainException.validation('image', 'is required');
    const profile = str(body?.profile, 64);
    const rec = await this.analyses.submit({ image, ...(profile ? { profile } : {}) } as Parameters<AnalysesService['submit']>[0], req.principal!);
    res.redirect(303, `/ui/analyses/${rec.id}`);
  }

  @Get('analyses/:id')
  @Authorize('analysis.read')
  async analysis(@Param('id', uuid) id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const a = await this.analyses.get(id);
    const done = TERMINAL.has(a.status);
    const findings = a.findings.map((f) => `<tr><td>${e(f.priority)}</td><td>${e(f.rule)}</td><td>${e(f.count)}</td><td>+${e(f.points)}</td><td>${e(f.tags.filter((t) => /^T\d{4}/.test(t)).join(' '))}</td></tr>`).join('');
    html(res);
    return page(`${a.image}`, `<h1>${verdictBadge(a.verdict)} ${e(a.image)}</h1>
<p>status <b id="status">${e(a.status)}</b>${done ? '' : ` (${e(a.phase)}; this page refreshes itself)`} · score ${e(a.score ?? '—')} · profile ${e(a.profile)} · probe ${e(a.probe)}<br>id <code>${e(a.id)}</code>${a.digest ? ` · digest <code>${e(a.digest)}</code>` : ''}${a.error ? `<br><span class="err">${e(a.error)}</span>` : ''}</p>
${a.status === 'completed' ? `<p><a id="report" href="/ui/analyses/${e(a.id)}/report">Open the report</a></p>` : ''}
<table><thead><tr><th>priority</th><th>rule</th><th>count</th><th>points</th><th>ATT&amp;CK</th></tr></thead><tbody>${findings || '<tr><td colspan="5">no findings</td></tr>'}</tbody></table>`, who(req), { refreshSeconds: done ? undefined : 2 });
  }

  @Get('analyses/:id/report')
  @Authorize('analysis.read')
  async report(@Param('id', uuid) id: string, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const report = (await this.analyses.report(id, 'json')) as ReportDocument;
    html(res);
    return reportToHtml(report, { generatedAt: new Date().toISOString() });
  }

  @Get('watches')
  @Authorize('watch.list')
  async watchList(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const { items } = (await this.watches.list()) as { items: { id: string; image: string; schedule: string; profile: string; nextRunAt?: string; lastRunAt?: string }[] };
    html(res);
    return page('Watches', `<h1>Watches</h1><table><thead><tr><th>id</th><th>image</th><th>schedule</th><th>profile</th><th>next run</th></tr></thead><tbody>${items.map((w) => `<tr><td><code>${e(w.id.slice(0, 8))}</code></td><td>${e(w.image)}</td><td><code>${e(w.schedule)}</code></td><td>${e(w.profile)}</td><td>${e(w.nextRunAt ?? '')}</td></tr>`).join('') || '<tr><td colspan="5">none</td></tr>'}</tbody></table>`, who(req));
  }

  @Get('webhooks')
  @Authorize('webhook.list')
  async webhookList(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const { items } = (await this.webhooks.list()) as { items: { id: string; url: string; events: string[]; enabled: boolean; format?: string }[] };
    const sections = await Promise.all(
      items.slice(0, 50).map(async (w) => {
        const d = await this.webhooks.deliveries(w.id, 10);
        const rows = d.items.map((x) => `<tr><td><code>${e(x.id.slice(0, 12))}</code></td><td>${e(x.event)}</td><td>${e(x.status)}</td><td>${e(x.attempts.length)}</td><td>${e(x.lastError ?? '')}</td><td>${e(x.createdAt)}</td></tr>`).join('');
        return `<h2>${e(w.url)} <small>${w.enabled ? 'enabled' : 'disabled'} · ${e(w.format ?? 'generic')} · ${e(w.events.join(', '))}</small></h2><table><thead><tr><th>delivery</th><th>event</th><th>status</th><th>attempts</th><th>last error</th><th>created</th></tr></thead><tbody>${rows || '<tr><td colspan="6">no deliveries</td></tr>'}</tbody></table>`;
      }),
    );
    html(res);
    return page('Webhooks', `<h1>Webhooks</h1>${sections.join('') || '<p>none</p>'}`, who(req));
  }
}
