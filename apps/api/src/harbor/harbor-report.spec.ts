import type { AnalysisRecord } from '#core/storage/analysis.types';
import { reportMediaType } from './harbor.controller.js';
import { HARBOR_MIME, harborReport, severityOfPriority } from './harbor-report.js';

const rec = (verdict: AnalysisRecord['verdict'], findings: { rule: string; priority: string }[] = []): AnalysisRecord =>
  ({ id: 'a1', image: 'h/r@sha256:x', digest: 'sha256:x', profile: 'default', verdict, score: 50, findings: findings.map((f) => ({ ...f, tags: ['T1059.004'], count: 1, points: 0, share: 0, output: `${f.rule} happened` })), labels: {}, finishedAt: '2026-12-06T10:00:00.000Z', error: null }) as unknown as AnalysisRecord;
const build = (r: AnalysisRecord) => harborReport({ record: r, report: null, artifact: { repository: 'lib/app', digest: 'sha256:x' }, scanner: { name: 'Quarantine', vendor: 'Quarantine', version: '0' }, reportUrl: 'https://q.test/v1/analyses/a1/report?format=html' });

describe('Harbor report mapping', () => {
  it('maps Falco priorities deliberately', () => {
    expect(['EMERGENCY', 'Alert', 'critical', 'error', 'warning', 'notice', 'informational', 'info', 'debug', 'bogus', undefined].map(severityOfPriority)).toEqual(['Critical', 'Critical', 'Critical', 'High', 'Medium', 'Low', 'Negligible', 'Negligible', 'Negligible', 'Unknown', 'Unknown']);
  });

  it('a malicious verdict carries a Critical entry even when every finding is rated lower', () => {
    const r = build(rec('malicious', [{ rule: 'Shell spawned', priority: 'warning' }, { rule: 'Odd connect', priority: 'notice' }]));
    expect(r.severity).toBe('Critical');
    expect(r.vulnerabilities.map((v) => [v.id, v.severity])).toEqual([['quarantine-verdict-malicious', 'Critical'], ['Shell spawned', 'Medium'], ['Odd connect', 'Low']]);
    expect(r.vulnerabilities[1].description).toContain('ATT&CK: T1059.004');
    expect(r.vulnerabilities[1].links).toEqual(['https://q.test/v1/analyses/a1/report?format=html', 'https://attack.mitre.org/techniques/T1059/004/']);
  });

  it('suspicious is High, inconclusive Unknown; clean adds no entry and caps its findings at Negligible', () => {
    expect(build(rec('suspicious')).severity).toBe('High');
    expect(build(rec('inconclusive')).vulnerabilities[0]).toMatchObject({ id: 'quarantine-verdict-inconclusive', severity: 'Unknown' });
    const clean = build(rec('clean', [{ rule: 'Package manager run', priority: 'error' }]));
    expect(clean.vulnerabilities.map((v) => v.severity)).toEqual(['Negligible']);
    expect(clean.severity).toBe('Negligible');
    expect(build(rec('clean'))).toMatchObject({ severity: 'Unknown', vulnerabilities: [] });
  });

  it('picks the report media type from Accept', () => {
    expect(reportMediaType(undefined)).toBe(HARBOR_MIME.reportV11);
    expect(reportMediaType('application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0')).toBe(HARBOR_MIME.reportV10);
    expect(reportMediaType('application/vnd.security.vulnerability.report;version=1.1')).toBe(HARBOR_MIME.reportV11);
    expect(reportMediaType('*/*')).toBe(HARBOR_MIME.reportV11);
    expect(reportMediaType('text/html')).toBeNull();
  });
});
