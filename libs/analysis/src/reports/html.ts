import { type ReportDocument, type ReportEvidence, type ReportProcess, attackTechniques, attackUrl } from './report-document.js';

/**
 * One self-contained HTML page for one analysis (no script, no external asset; a CSP that forbids
 * both): verdict and score with why (each finding's points), findings with their evidence and ATT&CK
 * links, the process tree, a timeline, files written, network activity, probe health and what it
 * could not see, sandbox limits hit. Everything the sample controls (command lines, paths, output) is
 * escaped, and every list is capped so a hostile report cannot make a page too big to open.
 */
const MAX_ROWS = 500;
const MAX_TREE = 2000;
const MAX_TEXT = 16 * 1024;

export function escapeHtml(v: unknown): string {
  const s = typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
  return (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (cut)` : s).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const e = escapeHtml;

function nsTime(ns: number | undefined, base: number | undefined): string {
  if (!ns) return '';
  if (base && ns >= base) return `+${((ns - base) / 1e9).toFixed(3)} s`;
  return new Date(Math.floor(ns / 1e6)).toISOString();
}

function argv(args: readonly string[] | undefined, fallback = ''): string {
  return e((args && args.length ? args.join(' ') : fallback).slice(0, 1024));
}

function section(id: string, title: string, body: string, count?: number): string {
  return `<section id="${id}"><h2>${e(title)}${count !== undefined ? ` <span class="n">${count}</span>` : ''}</h2>${body}</section>`;
}

function table(head: string[], rows: string[][], more = 0): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  return `<table><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>${more > 0 ? `<p class="none">… ${more} more not shown</p>` : ''}`;
}

function evidenceLine(ev: ReportEvidence, base: number | undefined): string {
  const target = ev.fd?.name ?? (typeof ev.args?.name === 'string' ? ev.args.name : typeof ev.args?.path === 'string' ? ev.args.path : '');
  return `<li><code>${e(nsTime(ev.ts, base))}</code> <b>${e(ev.type)}</b> ${e(target)} <span class="proc">pid ${e(ev.pid)} ${argv(ev.proc?.args, ev.proc?.name)}</span></li>`;
}

function tree(nodes: readonly ReportProcess[] | undefined, budget: { left: number }, base: number | undefined): string {
  if (!nodes?.length) return '';
  const items: string[] = [];
  for (const n of nodes) {
    if (budget.left-- <= 0) break;
    const flags = (n.execs ?? []).flatMap((x) => [x.fromMemfd ? 'exec from memory' : '', x.exeWritten ? 'exec of a file it wrote' : '']).filter(Boolean);
    items.push(`<li><code>${e(n.pid)}</code> <b>${e(n.exepath || n.name || '?')}</b> ${argv(n.args)}${n.exitCode !== undefined ? ` <span class="proc">exit ${e(n.exitCode)}</span>` : ''}${n.startTs ? ` <span class="proc">${e(nsTime(n.startTs, base))}</span>` : ''}${flags.length ? ` <span class="flag">${e([...new Set(flags)].join(', '))}</span>` : ''}${tree(n.children, budget, base)}</li>`);
  }
  return `<ul>${items.join('')}</ul>`;
}

/** The scanners' counts by severity (uploaded Trivy, Grype, Clair reports), beside the behaviour. */
function vulnerabilitiesHtml(v: ReportDocument['vulnerabilities']): string {
  if (!v || !Array.isArray(v.reports) || v.reports.length === 0) return '<p class="none">no vulnerability report uploaded for this digest (POST /v1/images/:digest/vulnerability-reports)</p>';
  const rows = v.reports.slice(0, 10).map((r) => [e(r.scanner) + (r.scannerVersion ? ` <span class="proc">${e(r.scannerVersion)}</span>` : ''), ...SEVERITY_COLUMNS.map((s) => (r.counts?.[s] ? `<b>${e(r.counts[s])}</b>` : '0')), e(r.total), e(r.fixable), e(r.receivedAt)]);
  return `<p>highest severity: <b>${e(v.highest ?? 'none')}</b></p>${table(['scanner', ...SEVERITY_COLUMNS, 'total', 'fixable', 'uploaded'], rows)}`;
}

const SEVERITY_COLUMNS = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] as const;

/** The static checks section: what the image is, then one row per check that found something (values redacted by the checks). */
function staticHtml(report: ReportDocument): string {
  const s = report.static;
  if (!s) return '<p class="none">not run</p>';
  const img = s.image ?? {};
  const facts = [
    `status <b>${e(s.status)}</b>${s.reason ? ` (${e(s.reason)})` : ''}`,
    `user <code>${e(img.user || '(none: root)')}</code>`,
    img.sizeBytes !== undefined ? `${e((img.sizeBytes / 1024 ** 2).toFixed(1))} MiB, ${e(img.layers)} layer(s)` : '',
    s.os ? `base OS ${e(s.os.name ?? s.os.id)} — end of life ${e(s.os.eol ?? 'unknown')} (${e(s.os.eolStatus)}, checked ${e(s.checkedOn)})` : 'no os-release',
    img.entries !== undefined ? `${e(img.entries)} files read in ${e(s.ms)} ms` : '',
  ].filter(Boolean);
  const rows = (s.results ?? []).slice(0, MAX_ROWS).map((r) => [
    e(r.cis), `${e(r.title ?? r.check)}<br><code>${e(r.check)}</code>`, e(r.priority), e(r.points ?? 0),
    `${e(r.detail)}${r.items?.length ? `<ul>${r.items.slice(0, 20).map((i) => `<li><code>${e(i)}</code></li>`).join('')}</ul>` : ''}`,
  ]);
  return `<p>${facts.join(' · ')}</p>${rows.length ? table(['CIS', 'check', 'priority', 'points', 'found'], rows) : '<p class="none">no static findings</p>'}`;
}

export function reportToHtml(report: ReportDocument, opts: { generatedAt?: string } = {}): string {
  const verdict = report.verdict ?? 'unknown';
  const findings = [...(report.findings ?? [])];
  const base = Math.min(...findings.map((f) => f.firstTs ?? Infinity), ...(report.processTree ?? []).map((p) => p.startTs ?? Infinity));
  const t0 = Number.isFinite(base) ? base : undefined;
  const contributions = report.scoring?.contributions ?? [];
  const points = new Map(contributions.map((c) => [c.rule, c.points ?? 0]));
  findings.sort((a, b) => (points.get(b.rule) ?? 0) - (points.get(a.rule) ?? 0));

  const why = table(
    ['rule', 'priority', 'count', 'points', 'share'],
    contributions.slice(0, MAX_ROWS).map((c) => [e(c.rule), e(c.priority), e(c.count), `<b>${e(c.points)}</b>`, e(c.share !== undefined ? `${Math.round(c.share * 1000) / 10} %` : '')]),
    Math.max(0, contributions.length - MAX_ROWS),
  );
  const reasons = (report.scoring?.reasons ?? []).slice(0, 50).map((r) => `<li>${e(r)}</li>`).join('');

  const findingsHtml = findings.slice(0, MAX_ROWS).map((f) => {
    const techniques = attackTechniques(f.tags).map((t) => `<a href="${e(attackUrl(t))}" rel="noreferrer noopener">${e(t)}</a>`).join(' ');
    const evidence = (f.evidence ?? []).slice(0, 20).map((ev) => evidenceLine(ev, t0)).join('');
    return `<article class="finding p-${e((f.priority ?? '').toLowerCase())}"><h3>${e(f.rule)} <span class="n">${e(f.priority)} ×${e(f.count ?? 1)} · +${e(points.get(f.rule) ?? 0)} pts</span></h3><p>${e(f.output)}</p>${techniques ? `<p>ATT&amp;CK: ${techniques}</p>` : ''}${evidence ? `<details open><summary>evidence</summary><ul class="ev">${evidence}</ul></details>` : ''}</article>`;
  }).join('');

  const timeline = findings
    .flatMap((f) => (f.evidence ?? []).slice(0, 5).map((ev) => ({ ev, rule: f.rule })))
    .sort((a, b) => (a.ev.ts ?? 0) - (b.ev.ts ?? 0))
    .slice(0, MAX_ROWS)
    .map(({ ev, rule }) => [`<code>${e(nsTime(ev.ts, t0))}</code>`, e(rule), e(ev.type), e(ev.fd?.name ?? ev.args?.name ?? ''), argv(ev.proc?.args, ev.proc?.name)]);

  const files = report.filesWritten ?? [];
  const filesHtml = table(['path', 'operations', 'pid', 'count'], files.slice(0, MAX_ROWS).map((f) => [`<code>${e(f.path)}</code>`, e((f.ops ?? []).join(', ')), e(f.pid), e(f.count)]), Math.max(0, files.length - MAX_ROWS) + (report.filesWrittenTruncated ?? 0));

  const net = report.network ?? {};
  const conns = net.connections ?? [];
  const netParts = [
    `<p>network: <b>${e(net.mode ?? report.sandbox?.network ?? 'none')}</b>${net.incomplete ? ` — <span class="flag">incomplete: ${e(net.incomplete)}</span>` : ''}</p>`,
    table(['syscall', 'family', 'address', 'result', 'pid', 'count'], conns.slice(0, MAX_ROWS).map((c) => [e(c.syscall), e(c.family), `<code>${e(c.address)}${c.port ? `:${e(c.port)}` : ''}</code>`, e(c.result), e(c.pid), e(c.count)]), Math.max(0, conns.length - MAX_ROWS)),
  ];
  for (const key of ['dns', 'http', 'tls', 'other', 'downloads', 'luresSent'] as const) {
    const list = net[key];
    if (Array.isArray(list) && list.length) netParts.push(`<h3>${e(key)}</h3><ul>${list.slice(0, MAX_ROWS).map((x) => `<li><code>${e(JSON.stringify(x))}</code></li>`).join('')}</ul>`);
  }

  const probe = report.probe ?? {};
  const unseen = probe.unavailableFields ?? [];
  const probeRows = [
    ['probe', e(probe.name)],
    ['events', e(probe.events)],
    ['complete', probe.complete === false ? '<span class="flag">no: the trace is incomplete</span>' : e(probe.complete)],
    ['lost events', e(probe.lost)],
    ['unparsed lines', e(probe.unparsed)],
    ['truncated events', e(probe.truncatedEvents)],
    ['trace budget exceeded', e(probe.budgetExceeded)],
    ...(probe.startError ? [['start error', `<span class="flag">${e(probe.startError)}</span>`]] : []),
    ['fields it cannot see', unseen.length ? `<code>${e(unseen.join(', '))}</code>` : 'none'],
    ['rules not evaluated', e((report.rules?.notEvaluated ?? []).length)],
  ];
  const exit = report.exit ?? {};
  const limits = report.limits ?? {};
  const limitRows = [
    ['exit code', e(exit.exitCode)],
    ['window', e(exit.window?.endedBy ?? (exit.windowExpired ? 'expired' : 'exit'))],
    ...(exit.window?.dormant ? [['dormant', `<span class="flag">${e(exit.window.detail ?? 'yes')}</span>`]] : []),
    ['OOM killed', e(exit.oomKilled)],
    ['pids limit hits', e(limits.pidsLimitHits)],
    ...Object.entries(limits)
      .filter(([k, v]) => /limitHit|Hits$|Bytes$/.test(k) && k !== 'pidsLimitHits' && typeof v !== 'object')
      .map(([k, v]) => [e(k), e(v)]),
    ['cancelled', e(exit.cancelled)],
    ['run time', e(exit.runMs !== undefined ? `${exit.runMs} ms` : '')],
  ];

  const d = report.drift;
  const list = (xs: string[] | undefined) => (xs?.length ? `<ul>${xs.slice(0, MAX_ROWS).map((x) => `<li><code>${e(x)}</code></li>`).join('')}</ul>` : '<p class="none">none</p>');
  const driftHtml = d
    ? `<p>${d.changed ? '<span class="flag">behaviour changed</span>' : 'no change in behaviour'} since analysis <code>${e(d.previousAnalysisId)}</code>${d.digestChanged ? ' · <span class="flag">the tag now points at different content</span>' : ''} · verdict ${e(d.verdict?.previous)} → <b>${e(d.verdict?.current)}</b> · score ${e(d.score?.previous)} → <b>${e(d.score?.current)}</b> (${(d.score?.delta ?? 0) >= 0 ? '+' : ''}${e(d.score?.delta)})</p>
<h3>findings added</h3>${list(d.findings?.added)}<h3>findings gone</h3>${list(d.findings?.removed)}<h3>new executables</h3>${list(d.newExecutables)}<h3>new files written</h3>${list(d.newFiles)}<h3>new destinations</h3>${list(d.newDestinations)}`
    : '<p class="none">no previous run to compare with</p>';
  const budget = { left: MAX_TREE };
  const vulnsHtml = vulnerabilitiesHtml(report.vulnerabilities);
  const treeHtml = tree(report.processTree, budget, t0) || '<p class="none">none</p>';
  const title = `${verdict.toUpperCase()} · ${report.image ?? ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} — Quarantine</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#1b1f24}
header{border-bottom:1px solid #ddd;padding-bottom:.5rem}h1{margin:.2rem 0;font-size:1.4rem}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:.3rem;color:#fff;font-weight:600;text-transform:uppercase}
.v-clean{background:#1a7f37}.v-suspicious{background:#9a6700}.v-malicious{background:#cf222e}.v-inconclusive{background:#6e7781}.v-error,.v-unknown{background:#57606a}
h2{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #eee}.n{color:#57606a;font-weight:400;font-size:.85em}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.2rem .4rem;text-align:left;vertical-align:top}
code{font:12px ui-monospace,monospace;word-break:break-all}.proc{color:#57606a;font-size:.9em}.flag{color:#cf222e}
.finding{border-left:4px solid #d0d7de;padding:.2rem .8rem;margin:.6rem 0}.finding h3{margin:.2rem 0;font-size:1rem}
.p-critical,.p-alert,.p-emergency{border-color:#cf222e}.p-error{border-color:#e16f24}.p-warning{border-color:#bf8700}
ul ul{padding-left:1.2rem;border-left:1px dotted #ccc}.none{color:#57606a}nav a{margin-right:.8rem}
@media print{body{max-width:none;padding:0;font-size:11px}nav{display:none}.badge{border:1px solid #000;color:#000;background:none!important}section{break-inside:auto}h2{break-after:avoid}tr,.finding{break-inside:avoid}a{color:inherit;text-decoration:none}}
</style></head><body>
<header><h1><span class="badge v-${e(verdict)}">${e(verdict)}</span> ${e(report.image)}</h1>
<p>score <b>${e(report.score)}</b>${report.scoring?.thresholds ? ` (suspicious ≥ ${e(report.scoring.thresholds.suspicious)}, malicious ≥ ${e(report.scoring.thresholds.malicious)})` : ''} · profile ${e(report.profile)} · probe ${e(probe.name)} · runtime ${e(report.runtime ?? report.sandbox?.runtime)}<br>
digest <code>${e(report.digest)}</code><br>analysis <code>${e(report.analysisId)}</code> · ${e(report.startedAt)} → ${e(report.finishedAt)}${report.rescoredAt ? ` · rescored ${e(report.rescoredAt)}` : ''} · rules <code>${e((report.rulesVersion ?? '').slice(0, 12))}</code></p>
<nav><a href="#why">why</a><a href="#findings">findings</a><a href="#static">static</a><a href="#processes">processes</a><a href="#timeline">timeline</a><a href="#files">files</a><a href="#network">network</a><a href="#probe">probe</a><a href="#limits">limits</a><a href="#drift">drift</a><a href="#vulnerabilities">vulnerabilities</a></nav></header>
${section('why', 'Why this verdict', `${why}${reasons ? `<details><summary>scoring</summary><ul>${reasons}</ul></details>` : ''}`)}
${section('findings', 'Findings', findingsHtml || '<p class="none">none</p>', findings.length)}
${section('static', 'Static image checks', staticHtml(report), report.static?.results?.length)}
${section('processes', 'Process tree', `${treeHtml}${(report.processesTruncated ?? 0) > 0 || budget.left < 0 ? `<p class="none">… more processes not shown</p>` : ''}`)}
${section('timeline', 'Timeline of evidence', table(['time', 'rule', 'event', 'target', 'process'], timeline))}
${section('files', 'Files written', filesHtml, files.length)}
${section('network', 'Network', netParts.join(''))}
${section('probe', 'Probe health and what it could not see', table(['', ''], probeRows))}
${section('limits', 'Sandbox limits and exit', table(['', ''], limitRows))}
${section('drift', 'Drift against the previous run', driftHtml)}
${section('vulnerabilities', 'Vulnerability reports for this digest', vulnsHtml)}
${section('output', 'Output', `<details><summary>stdout${report.output?.stdoutTruncated ? ' (cut)' : ''}</summary><pre><code>${e(report.output?.stdout)}</code></pre></details><details><summary>stderr${report.output?.stderrTruncated ? ' (cut)' : ''}</summary><pre><code>${e(report.output?.stderr)}</code></pre></details>`)}
<footer><p class="none">Quarantine report${opts.generatedAt ? `, rendered ${e(opts.generatedAt)}` : ''}. ATT&amp;CK® is a trademark of The MITRE Corporation.</p></footer>
</body></html>
`;
}
