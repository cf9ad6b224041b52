import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { QUARANTINE_VERSION } from '#core/version';
import { escapeHtml, reportToHtml } from './html.js';
import type { ReportDocument } from './report-document.js';
import { reportToSarif, sarifRuleId } from './sarif.js';

const T0 = 1_796_534_077_000_000_000;
const hostile = '<script>alert(1)</script>"onerror=x \u0007';

function report(over: Partial<ReportDocument> = {}): ReportDocument {
  return {
    analysisId: '6c1a3b0e-1d4b-4a38-9a3c-2f0e0b1b8f11',
    image: 'registry.local:5000/app:1',
    digest: 'sha256:' + 'b'.repeat(64),
    profile: 'default',
    runtime: 'runc',
    verdict: 'malicious',
    score: 87,
    rulesVersion: 'c'.repeat(64),
    scoring: {
      contributions: [
        { rule: 'Stratum Mining Login', priority: 'critical', count: 1, points: 60, share: 0.69 },
        { rule: 'Write Below Etc', priority: 'notice', count: 3, points: 27, share: 0.31 },
      ],
      reasons: ['score 87 = sum of 2 rule contributions'],
      thresholds: { suspicious: 20, malicious: 60 },
    },
    findings: [
      { rule: 'Write Below Etc', priority: 'notice', tags: ['filesystem', 'T1098'], count: 3, firstTs: T0 + 5e6, output: `File below /etc written (file=/etc/${hostile})`, evidence: [{ seq: 2, ts: T0 + 5e6, type: 'openat', pid: 7, proc: { name: 'sh', args: ['sh', '-c', hostile] }, fd: { name: `/etc/${hostile}` } }] },
      { rule: 'Stratum Mining Login', priority: 'critical', tags: ['network', 'T1496', 'T1059.004'], count: 1, firstTs: T0 + 9e6, output: 'Stratum mining login sent', evidence: [{ seq: 9, ts: T0 + 9e6, type: 'net_exchange', pid: 8, proc: { name: 'xmrig', args: ['xmrig', '-o', 'pool.example:3333'] } }] },
    ],
    processTree: [{ pid: 7, name: 'sh', exepath: '/bin/sh', args: ['sh', '-c', hostile], startTs: T0, children: [{ pid: 8, name: 'xmrig', exepath: '/tmp/xmrig', args: ['xmrig'], startTs: T0 + 8e6, execs: [{ exeWritten: true }], exitCode: 0 }] }],
    filesWritten: [{ path: `/etc/${hostile}`, ops: ['create', 'write'], pid: 7, count: 3 }],
    network: { mode: 'simulated', connections: [{ syscall: 'connect', family: 'inet', address: '203.0.113.9', port: 3333, result: 'ok', pid: 8, count: 1 }], dns: [{ name: 'pool.example', type: 'A', count: 1 }] },
    exit: { exitCode: 0, windowExpired: true, runMs: 30_000, window: { endedBy: 'window' } },
    limits: { pidsLimitHits: 2, oomKills: 0, peakPids: 128 },
    output: { stdout: hostile, stderr: '' },
    probe: { name: 'ebpf', events: 1234, lost: 0, unparsed: 0, complete: true, unavailableFields: ['proc.env'], truncatedEvents: 1 },
    rules: { version: 'c'.repeat(64), loaded: 130, notEvaluated: [] },
    startedAt: '2026-12-06T07:00:00.000Z',
    finishedAt: '2026-12-06T07:00:31.000Z',
    ...over,
  };
}

describe('SARIF', () => {
  it('one run of Quarantine: a rule per fired rule with level and security-severity, a result per finding located at the image', () => {
    const log = reportToSarif(report(), { toolVersion: QUARANTINE_VERSION, reportUrl: '/v1/analyses/x/report' });
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-schema-2\.1\.0\.json$/);
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0]!;
    expect(run.tool.driver).toMatchObject({ name: 'Quarantine', version: QUARANTINE_VERSION });
    const rules = run.tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual(['quarantine/write-below-etc', 'quarantine/stratum-mining-login']);
    expect(rules[1]).toMatchObject({ shortDescription: { text: 'Stratum Mining Login' }, defaultConfiguration: { level: 'error' }, helpUri: 'https://attack.mitre.org/techniques/T1496/', properties: { 'security-severity': '9.0' } });
    expect(rules[1]!.properties!.tags).toEqual(expect.arrayContaining(['security', 'T1496', 'T1059.004']));
    const results = run.results!;
    expect(results.map((r) => [r.ruleId, r.level, r.ruleIndex])).toEqual([['quarantine/write-below-etc', 'note', 0], ['quarantine/stratum-mining-login', 'error', 1]]);
    expect(results[0]!.message.text).toContain('(×3)');
    expect(results[0]!.locations![0]!.physicalLocation).toMatchObject({ artifactLocation: { uri: 'registry.local:5000/app:1', index: 0 }, region: { startLine: 1 } });
    expect(results[0]!.locations![0]!.logicalLocations).toEqual([{ name: 'sh', fullyQualifiedName: `pid 7: sh -c ${hostile}`, kind: 'process' }]);
    expect(results[0]!.properties!.evidence).toEqual([{ seq: 2, type: 'openat', pid: 7, process: 'sh', target: `/etc/${hostile}` }]);
    expect(results[1]!.partialFingerprints).toEqual({ 'quarantine/v1': `sha256:${'b'.repeat(64)}:quarantine/stratum-mining-login` });
    expect(run.invocations![0]).toMatchObject({ executionSuccessful: true, properties: { verdict: 'malicious', score: 87 } });
    // Valid JSON round trip, nothing undefined left behind.
    expect(JSON.parse(JSON.stringify(log))).toEqual(log);
  });

  it('a clean report is a valid log with no results; rule ids are stable slugs', () => {
    const log = reportToSarif(report({ verdict: 'clean', findings: [], scoring: { contributions: [] } }), { toolVersion: '1' });
    expect(log.runs[0]!.results).toEqual([]);
    expect(sarifRuleId('  Write below /etc (!)  ')).toBe('quarantine/write-below-etc');
    expect(sarifRuleId('***')).toBe('quarantine/rule');
  });

  it('validates against the SARIF 2.1.0 JSON schema, and the SARIF Multitool finds no error', () => {
    // The schema and the validator of Microsoft's SARIF SDK (npm @microsoft/sarif-multitool-linux): the
    // schema strictly with ajv (draft 2020-12, every error), then the Multitool's own SARIF rules.
    const sdk = join(process.cwd(), 'node_modules/@microsoft/sarif-multitool-linux');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (ajvFormats as unknown as (a: Ajv2020) => Ajv2020)(ajv); // CommonJS default export
    const validate = ajv.compile(JSON.parse(readFileSync(join(sdk, 'sarif-2.1.0.json'), 'utf8')));
    const dir = mkdtempSync(join(tmpdir(), 'q-sarif-'));
    for (const [name, r] of [['malicious', report()], ['clean', report({ verdict: 'clean', findings: [], scoring: { contributions: [] } })], ['bare', {}]] as const) {
      const log = reportToSarif(r, { toolVersion: QUARANTINE_VERSION, reportUrl: '/v1/analyses/x/report' });
      expect({ name, valid: validate(log), errors: validate.errors ?? null }).toEqual({ name, valid: true, errors: null });
      const file = join(dir, `${name}.sarif`);
      writeFileSync(file, JSON.stringify(log));
      const out = join(dir, `${name}.validation.sarif`);
      execFileSync(join(sdk, 'Sarif.Multitool'), ['validate', file, '--output', out], { env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' }, stdio: 'pipe', timeout: 60_000 });
      const results = (JSON.parse(readFileSync(out, 'utf8')) as { runs: { results?: { level?: string; ruleId: string; message: { text?: string } }[] }[] }).runs.flatMap((x) => x.results ?? []);
      expect({ name, errors: results.filter((x) => x.level === 'error').map((x) => `${x.ruleId}: ${x.message.text ?? ''}`) }).toEqual({ name, errors: [] });
    }
    // The schema check is not vacuous: a wrong level is caught.
    const broken = reportToSarif(report(), { toolVersion: '1' });
    (broken.runs[0]!.results![0] as { level: string }).level = 'critical';
    expect(validate(broken)).toBe(false);
  }, 90_000);

  it('the version constant is package.json\'s', () => {
    expect(QUARANTINE_VERSION).toBe(JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')).version);
  });
});

describe('HTML', () => {
  const html = reportToHtml(report(), { generatedAt: '2026-12-06T08:00:00.000Z' });

  it('is one self-contained page: no script, no external asset, a CSP that forbids both', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'`);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/\b(src|srcset)=/i);
    // The only links are ATT&CK technique pages and in-page anchors.
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    for (const h of hrefs) expect(h).toMatch(/^(#[a-z]+|https:\/\/attack\.mitre\.org\/techniques\/T\d{4}(\/\d{3})?\/)$/);
    expect(hrefs).toEqual(expect.arrayContaining(['https://attack.mitre.org/techniques/T1496/', 'https://attack.mitre.org/techniques/T1059/004/']));
  });

  it('escapes everything the sample controls (paths, command lines, output)', () => {
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).not.toContain('"onerror=x');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;&#34;onerror=x \\x07');
    expect(escapeHtml("<a href='x'>`")).toBe('&#60;a href=&#39;x&#39;&#62;&#96;');
  });

  it('shows the verdict with why, findings by points, the process tree, timeline, files, network, probe health and limits', () => {
    expect(html).toContain('<span class="badge v-malicious">malicious</span>');
    const why = html.slice(html.indexOf('id="why"'), html.indexOf('id="findings"'));
    expect(why).toMatch(/Stratum Mining Login.*<b>60<\/b>.*Write Below Etc.*<b>27<\/b>/s);
    const findings = html.slice(html.indexOf('id="findings"'), html.indexOf('id="processes"'));
    expect(findings.indexOf('Stratum Mining Login')).toBeLessThan(findings.indexOf('Write Below Etc'));
    expect(findings).toContain('critical ×1 · +60 pts');
    expect(html).toMatch(/<b>\/tmp\/xmrig<\/b> xmrig.*exec of a file it wrote/);
    const timeline = html.slice(html.indexOf('id="timeline"'), html.indexOf('id="files"'));
    expect(timeline.indexOf('+0.005 s')).toBeLessThan(timeline.indexOf('+0.009 s'));
    expect(html).toContain('<code>203.0.113.9:3333</code>');
    expect(html).toContain('pool.example');
    expect(html).toContain('<code>proc.env</code>');
    expect(html).toMatch(/pids limit hits<\/td><td>2</);
  });

  it('shows drift against the previous run, and prints without the navigation', () => {
    const withDrift = reportToHtml(report({ drift: { previousAnalysisId: 'prev-1', changed: true, digestChanged: true, findings: { added: ['Stratum Mining Login'], removed: [] }, newExecutables: ['/tmp/xmrig'], newFiles: [], newDestinations: ['dns pool.example'], score: { previous: 0, current: 87, delta: 87 }, verdict: { previous: 'clean', current: 'malicious', changed: true } } }));
    const drift = withDrift.slice(withDrift.indexOf('id="drift"'), withDrift.indexOf('id="output"'));
    expect(drift).toContain('behaviour changed');
    expect(drift).toContain('the tag now points at different content');
    expect(drift).toMatch(/verdict clean → <b>malicious<\/b> · score 0 → <b>87<\/b> \(\+87\)/);
    expect(drift).toMatch(/findings added<\/h3><ul><li><code>Stratum Mining Login<\/code>/);
    expect(drift).toContain('<code>/tmp/xmrig</code>');
    expect(html).toContain('no previous run to compare with');
    expect(html).toMatch(/@media print\{body\{[^}]*\}nav\{display:none\}/);
  });

  it('renders a report missing every optional part, and caps what a hostile report could blow up', () => {
    expect(reportToHtml({})).toContain('v-unknown');
    const many = Array.from({ length: 5000 }, (_, i) => ({ path: `/tmp/f${i}`, ops: ['write'], pid: 1, count: 1 }));
    const deep: ReportDocument['processTree'] = [{ pid: 1, children: [] }];
    let node = deep[0]!;
    for (let i = 2; i < 3000; i++) {
      const child = { pid: i, children: [] };
      node.children = [child];
      node = child;
    }
    const t0 = Date.now();
    const big = reportToHtml({ filesWritten: many, processTree: deep, output: { stdout: 'x'.repeat(1 << 20) } });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(big.length).toBeLessThan(1_000_000);
    expect(big).toContain('… 4500 more not shown');
  });
});

describe('vulnerability counts beside the verdict', () => {
  const vulnerabilities = { digest: 'sha256:x', highest: 'critical' as const, reports: [{ scanner: 'grype' as const, scannerVersion: '0.84.0', total: 4, fixable: 2, counts: { critical: 1, high: 0, medium: 1, low: 0, negligible: 2, unknown: 0 }, highest: 'critical' as const, receivedAt: '2026-12-06T10:00:00.000Z' }] };
  it('HTML shows each scanner\'s counts by severity, or says none was uploaded', () => {
    const html = reportToHtml({ verdict: 'clean', vulnerabilities });
    expect(html).toMatch(/<section id="vulnerabilities">.*highest severity: <b>critical<\/b>.*<td>grype <span class="proc">0\.84\.0<\/span><\/td><td><b>1<\/b><\/td><td>0<\/td><td><b>1<\/b><\/td>/s);
    expect(reportToHtml({ verdict: 'clean' })).toContain('no vulnerability report uploaded');
  });
  it('SARIF carries the counts as run properties, not as results', () => {
    const sarif = reportToSarif({ verdict: 'clean', vulnerabilities }, { toolVersion: '0' }) as { runs: { results?: unknown[]; properties: Record<string, unknown> }[] };
    expect(sarif.runs[0].properties.vulnerabilities).toEqual({ highest: 'critical', reports: [{ scanner: 'grype', counts: vulnerabilities.reports[0].counts, total: 4 }] });
    expect(sarif.runs[0].results ?? []).toHaveLength(0);
  });
});
