import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectFormat, parseVulnerabilityReport } from './parse.js';
import { TOP_ENTRIES, VulnerabilityReportError, atOrAbove, summarize } from './types.js';

const DIR = join(process.cwd(), 'test/fixtures/vulnerability-reports');
const load = (name: string): unknown => JSON.parse(readFileSync(join(DIR, name), 'utf8'));
const MANIFEST = 'sha256:3c5e1d8b0f2a4c6e8a0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c';
const IMAGE_ID = 'sha256:9a7b5c3d1e0f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a1b';
const OTHER = `sha256:${'e'.repeat(64)}`;

function refusal(fn: () => unknown): VulnerabilityReportError {
  try {
    fn();
  } catch (e) {
    if (e instanceof VulnerabilityReportError) return e;
    throw e;
  }
  throw new Error('expected a VulnerabilityReportError');
}

describe('vulnerability report parsers (fixtures written from the documented formats)', () => {
  it('Trivy: counts distinct findings by severity, fixable ones, the most severe first', () => {
    const r = parseVulnerabilityReport(load('trivy.json'), MANIFEST);
    expect(r.scanner).toBe('trivy');
    expect(r.counts).toEqual({ critical: 1, high: 1, medium: 2, low: 2, negligible: 0, unknown: 1 });
    expect(r.total).toBe(7);
    expect(r.fixable).toBe(3);
    expect(r.highest).toBe('critical');
    expect(r.top[0]).toMatchObject({ id: 'CVE-2024-45491', package: 'libexpat1', installedVersion: '2.5.0-1', fixedVersion: '2.5.0-1+deb12u1', severity: 'critical' });
    expect(r.top.map((e) => e.severity)).toEqual(['critical', 'high', 'medium', 'medium', 'low', 'low', 'unknown']);
    // Fixable first within a severity.
    expect(r.top[2].id).toBe('CVE-2024-35195');
    expect(r.generatedAt).toBe('2026-11-30T10:04:11.123Z');
    expect(r.reportDigests).toEqual([IMAGE_ID, MANIFEST]);
  });

  it('Trivy: the image id the report names is accepted as the digest too', () => {
    expect(parseVulnerabilityReport(load('trivy.json'), IMAGE_ID).total).toBe(7);
  });

  it('Grype: severities, fix versions and the scanner version from descriptor', () => {
    const r = parseVulnerabilityReport(load('grype.json'), MANIFEST);
    expect(r.scanner).toBe('grype');
    expect(r.scannerVersion).toBe('0.84.0');
    expect(r.counts).toEqual({ critical: 1, high: 0, medium: 1, low: 0, negligible: 2, unknown: 0 });
    expect(r.fixable).toBe(2);
    expect(r.top[0]).toMatchObject({ id: 'CVE-2024-45491', fixedVersion: '2.5.0-1+deb12u1', severity: 'critical' });
  });

  it('Clair v4: one finding per (package, vulnerability) pair, named by the vulnerability name', () => {
    const r = parseVulnerabilityReport(load('clair.json'), MANIFEST);
    expect(r.scanner).toBe('clair');
    expect(r.counts).toEqual({ critical: 1, high: 1, medium: 1, low: 1, negligible: 0, unknown: 0 });
    expect(r.top.map((e) => `${e.id}/${e.package}`)).toEqual(['CVE-2024-45491/libexpat1', 'CVE-2024-45490/libexpat1', 'CVE-2024-13176/openssl', 'CVE-2023-50495/libncursesw6']);
  });

  it.each([
    ['trivy.json', 'Metadata.ImageID'],
    ['grype.json', 'source.target.manifestDigest'],
    ['clair.json', 'manifest_hash'],
  ])('%s for another digest is refused naming %s', (file, field) => {
    const e = refusal(() => parseVulnerabilityReport(load(file), OTHER));
    expect(e.field).toBe(field);
    expect(e.message).toContain(OTHER);
  });

  it.each([
    ['malformed-trivy-severity.json', 'Results[0].Vulnerabilities[1].Severity'],
    ['malformed-trivy-schema.json', 'SchemaVersion'],
    ['malformed-grype-artifact.json', 'matches[2].artifact.name'],
    ['malformed-clair-dangling.json', 'vulnerabilities.999'],
  ])('%s is refused naming %s', (file, field) => {
    expect(refusal(() => parseVulnerabilityReport(load(file), MANIFEST)).field).toBe(field);
  });

  it('refuses what is no report at all, and reports over the entry limit, naming the field', () => {
    expect(refusal(() => detectFormat([])).field).toBe('body');
    expect(refusal(() => detectFormat({ hello: 1 })).field).toBe('body');
    expect(refusal(() => parseVulnerabilityReport({ matches: 'x' }, MANIFEST)).field).toBe('matches');
    expect(refusal(() => parseVulnerabilityReport({ SchemaVersion: 2, Results: [{ Vulnerabilities: [{ PkgName: 'a', Severity: 'LOW' }] }] }, MANIFEST)).field).toBe('Results[0].Vulnerabilities[0].VulnerabilityID');
    expect(refusal(() => parseVulnerabilityReport({ SchemaVersion: 2, Metadata: { RepoDigests: ['repo@md5:abc'] } }, MANIFEST)).field).toBe('Metadata.RepoDigests[0]');
    const many = { matches: Array.from({ length: 11 }, (_, i) => ({ vulnerability: { id: `CVE-${i}`, severity: 'Low' }, artifact: { name: 'p', version: '1' } })) };
    expect(refusal(() => parseVulnerabilityReport(many, MANIFEST, { maxEntries: 10 })).field).toBe('matches');
    expect(parseVulnerabilityReport(many, MANIFEST, { maxEntries: 11 }).total).toBe(11);
  });

  it('keeps at most TOP_ENTRIES entries, the most severe, and cuts long text', () => {
    const sev = ['Low', 'Critical', 'Medium', 'High'];
    const doc = { matches: Array.from({ length: 200 }, (_, i) => ({ vulnerability: { id: `CVE-2024-${String(i).padStart(5, '0')}${'x'.repeat(i === 1 ? 500 : 0)}`, severity: sev[i % 4] }, artifact: { name: `pkg${i}`, version: '1' } })) };
    const r = parseVulnerabilityReport(doc, MANIFEST);
    expect(r.total).toBe(200);
    expect(r.top).toHaveLength(TOP_ENTRIES);
    expect(r.top.every((e) => e.severity === 'critical')).toBe(true);
    expect(r.top[0].id.length).toBe(200);
  });

  it('summarizes every scanner and answers "at or above" (unknown never counts)', () => {
    const s = summarize(MANIFEST, [parseVulnerabilityReport(load('grype.json'), MANIFEST), parseVulnerabilityReport(load('clair.json'), MANIFEST)])!;
    expect(s.highest).toBe('critical');
    expect(s.reports.map((r) => r.scanner)).toEqual(['grype', 'clair']);
    expect(atOrAbove(s, 'critical')).toMatchObject({ severity: 'critical', scanner: 'grype' });
    const onlyUnknown = summarize(MANIFEST, [parseVulnerabilityReport({ matches: [{ vulnerability: { id: 'X', severity: 'whatever' }, artifact: { name: 'p' } }] }, MANIFEST)]);
    expect(onlyUnknown!.highest).toBe('unknown');
    expect(atOrAbove(onlyUnknown, 'low')).toBeNull();
    expect(summarize(MANIFEST, [])).toBeNull();
  });
});
