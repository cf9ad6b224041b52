import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { reportToHtml } from './html.js';
import type { ReportDocument } from './report-document.js';
import { reportToSarif } from './sarif.js';

const hostile = '<img src=x onerror=alert(1)>';
const report: ReportDocument = {
  analysisId: 'a1',
  image: 'registry.local:5000/app:1',
  digest: `sha256:${'d'.repeat(64)}`,
  verdict: 'suspicious',
  score: 22,
  findings: [],
  static: {
    status: 'done',
    image: { sizeBytes: 5 * 1024 ** 2, layers: 2, user: '', entries: 80, bytes: 5_000_000 },
    os: { id: 'debian', versionId: '12', name: 'Debian GNU/Linux 12 (bookworm)', eol: '2028-06-30', eolStatus: 'supported' },
    checkedOn: '2026-12-06',
    ms: 120,
    results: [
      { check: 'root-user', cis: '4.1', title: 'Image Runs as Root', priority: 'notice', count: 1, items: ['no USER'], detail: 'the image sets no USER: it runs as root', points: 2 },
      { check: 'secret', cis: '4.10', title: 'Secret in Image Config or History', priority: 'error', count: 1, items: [`ENV ${hostile}: AWS access key id AKIA… (20 chars)`], detail: `1 secret(s): AWS access key id in ENV ${hostile}`, points: 20 },
      { check: 'world-writable-dir', cis: 'Q.1', title: 'World-Writable Directory Without Sticky Bit', priority: 'notice', count: 1, items: ['/srv (0777)'], detail: '1 world-writable directory', points: 0 },
    ],
  },
};

describe('static checks in the HTML and SARIF reports', () => {
  it('HTML: its own section with CIS ids, priorities, points and items, escaped', () => {
    const html = reportToHtml(report);
    expect(html).toContain('<section id="static"><h2>Static image checks <span class="n">3</span></h2>');
    expect(html).toContain('Debian GNU/Linux 12 (bookworm) — end of life 2028-06-30 (supported');
    expect(html).toMatch(/<td>4\.10<\/td><td>Secret in Image Config or History<br><code>secret<\/code><\/td><td>error<\/td><td>20<\/td>/);
    expect(html).not.toContain(hostile);
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(reportToHtml({ ...report, static: null })).toContain('<section id="static"><h2>Static image checks</h2><p class="none">not run</p>');
  });

  it('SARIF: one rule per static check (quarantine/static/<check>) with its CIS id, valid against the 2.1.0 schema', () => {
    const log = reportToSarif(report, { toolVersion: '1', reportUrl: '/v1/analyses/a1/report' });
    const run = log.runs[0]!;
    expect(run.tool.driver.rules!.map((r) => r.id)).toEqual(['quarantine/static/root-user', 'quarantine/static/secret', 'quarantine/static/world-writable-dir']);
    expect(run.tool.driver.rules![1].fullDescription?.text).toBe('Secret in Image Config or History (CIS Docker Benchmark 4.10)');
    expect(run.results!.map((r) => [r.ruleId, r.level, (r.properties as { cis: string }).cis])).toEqual([
      ['quarantine/static/root-user', 'note', '4.1'],
      ['quarantine/static/secret', 'error', '4.10'],
      ['quarantine/static/world-writable-dir', 'note', 'Q.1'],
    ]);
    const sdk = join(process.cwd(), 'node_modules/@microsoft/sarif-multitool-linux');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (ajvFormats as unknown as (a: Ajv2020) => Ajv2020)(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(sdk, 'sarif-2.1.0.json'), 'utf8')));
    expect({ valid: validate(log), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  });
});
