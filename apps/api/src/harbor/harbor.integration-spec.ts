/**
 * The Harbor Scanner Adapter API (v1.2) through the real Nest app and real Redis (db 8), called by a
 * client of our own that validates every response against the spec's schemas
 * (test/fixtures/harbor/scanner-adapter-v1.2.schema.json, written from goharbor/pluggable-scanner-spec)
 * with ajv. Harbor itself cannot run here: this client stands in for it. No worker runs in this test:
 * the scan's analysis is completed the way the worker completes it, with a report made by the real
 * analysis pipeline (shipped rules, scoring) from a real captured strace trace of a reverse shell.
 */
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace } from '#analysis/pipeline/analyze-trace';
import { parserFor } from '#analysis/probes/parsers';
import { readLines } from '#analysis/probes/trace-parser';
import { compileRules } from '#analysis/rules/index';
import { scoreFindings } from '#analysis/scoring/scoring';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import type { AnalysisRecord } from '#core/storage/analysis.types';
import { ArtifactStore } from '#core/storage/artifact.store';
import { Keys } from '#core/storage/redis-keys';
import { ADMIN_KEY, type ApiApp, startApiApp } from '../../../../test/support/api-app.js';
import { HARBOR_ERROR_MIME, type HarborSchema, harborBody, harborValid } from '../../../../test/support/harbor.js';
import { loadHarborAdapterConfig } from './harbor.config.js';

const TOKEN = 'harbor-test-token-0123456789abcdef';
const PUBLIC = 'https://quarantine.example.test';
const D = (c: string) => `sha256:${c.repeat(64)}`;
/** What Harbor does: send its token, check each answer's status, media type and body against the spec. */
function harborClient(t: ApiApp, token: string | null = TOKEN) {
  const auth = <R extends { set(k: string, v: string): R }>(r: R) => (token === null ? r : r.set('authorization', `Bearer ${token}`));
  const check = (res: { status: number; headers: Record<string, string>; text: string }, schemaName: HarborSchema, mime: RegExp) => {
    expect(res.headers['content-type']).toMatch(mime);
    return harborBody(schemaName, res.text);
  };
  const error = (res: { status: number; headers: Record<string, string>; text: string }) => check(res, 'ErrorResponse', HARBOR_ERROR_MIME).error as { message: string };
  return {
    check,
    error,
    metadata: async () => auth(t.http.get('/api/v1/metadata')),
    scan: async (body: unknown, raw?: string) => {
      if (raw === undefined && !harborValid('ScanRequest', body)) throw new Error('the test sent a ScanRequest the spec would not accept');
      const r = auth(t.http.post('/api/v1/scan')).set('content-type', 'application/vnd.scanner.adapter.scan.request+json; version=1.1');
      return r.send(raw ?? JSON.stringify(body));
    },
    report: async (id: string, accept = 'application/vnd.security.vulnerability.report; version=1.1') => auth(t.http.get(`/api/v1/scan/${id}/report`)).set('accept', accept).redirects(0),
  };
}

const scanRequest = (repository: string, digest: string, tag = 'v1') => ({
  registry: { url: 'http://127.0.0.1:5000', authorization: 'Basic cm9ib3QkaGFyYm9yOnNlY3JldC1wYXNzd29yZA==' },
  artifact: { repository, digest, tag, mime_type: 'application/vnd.docker.distribution.manifest.v2+json' },
});

/** Completes an analysis as the worker does: the record's verdict and findings, and report.json. */
async function complete(t: ApiApp, id: string, trace: string | null, overrides: Partial<AnalysisRecord> = {}) {
  const repo = new AnalysisRepository(t.redis);
  const rec = (await repo.get(id))!;
  let report: Record<string, unknown> = { analysisId: id, image: rec.image, digest: rec.digest, verdict: 'clean', score: 0, findings: [] };
  let patch: Partial<AnalysisRecord> = { verdict: 'clean', score: 0, findings: [] };
  if (trace) {
    const dir = join(process.cwd(), 'sandbox-profiles/rules');
    const rules = compileRules(readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') })));
    const sandbox = { containerId: 'c0ffee', containerName: 'n', image: rec.image, imageRepository: 'r', imageTag: 'v1', imageDigest: rec.digest ?? '', privileged: false, mounts: [] };
    const out = await analyzeTrace({ lines: readLines(createReadStream(join(process.cwd(), 'libs/analysis/src/probes/__fixtures__', trace))), createParser: parserFor('strace'), tracker: { sandbox }, rules });
    const score = scoreFindings(out.findings);
    report = { ...report, verdict: score.verdict, score: score.score, findings: out.findings, scoring: { contributions: score.contributions, reasons: score.reasons } };
    patch = { verdict: score.verdict, score: score.score, findings: out.findings.map((f) => ({ rule: f.rule, priority: f.priority, tags: f.tags, count: f.count, points: 0, share: 0, output: f.output })) };
  }
  await new ArtifactStore(t.config.artifactDir).writeJson(id, 'report.json', report);
  const now = new Date().toISOString();
  await repo.update(id, { status: 'completed', phase: 'done', startedAt: now, finishedAt: now, ...patch, ...overrides });
}

let t: ApiApp;
let harbor: ReturnType<typeof harborClient>;
beforeAll(async () => {
  t = await startApiApp({ db: 8, env: { QUARANTINE_PUBLIC_URL: PUBLIC }, parts: { harbor: loadHarborAdapterConfig({ HARBOR_ADAPTER_TOKEN: TOKEN, HARBOR_ADAPTER_REFRESH_AFTER: '7' }) } });
  harbor = harborClient(t);
}, 30_000);
afterAll(async () => t?.close());

describe('Harbor Scanner Adapter API v1.2 (a client validating against the spec’s schemas)', () => {
  it('GET /api/v1/metadata: scanner, a vulnerability capability for OCI and Docker manifests, both report media types', async () => {
    const res = await harbor.metadata();
    expect(res.status).toBe(200);
    const m = harbor.check(res, 'ScannerAdapterMetadata', /^application\/vnd\.scanner\.adapter\.metadata\+json; version=1\.1/);
    expect(m.scanner).toMatchObject({ name: 'Quarantine', vendor: 'Quarantine', version: expect.any(String) });
    expect(m.capabilities).toEqual([
      {
        type: 'vulnerability',
        consumes_mime_types: ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'],
        produces_mime_types: ['application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0', 'application/vnd.security.vulnerability.report; version=1.1'],
      },
    ]);
  });

  it('a scan of a reverse shell: 202 {id} → 302 Refresh-After while it runs → a report whose malicious verdict is Critical, one entry per finding', async () => {
    const digest = D('a');
    const res = await harbor.scan(scanRequest('harbor/revshell', digest));
    expect(res.status).toBe(202);
    const { id } = harbor.check(res, 'ScanResponse', /^application\/vnd\.scanner\.adapter\.scan\.response\+json; version=1\.0/);
    // It is an analysis of <registry host>/<repository>@<digest>, queued through the normal path, owned by the adapter.
    const rec = (await new AnalysisRepository(t.redis).get(id))!;
    expect(rec).toMatchObject({ image: `127.0.0.1:5000/harbor/revshell@${digest}`, digest, status: 'queued', owner: 'system:harbor', profile: 'default' });
    expect(await t.redis.zscore(Keys.analysesByTime, id)).not.toBeNull();
    // Harbor's registry credential is not kept anywhere in the record.
    expect(JSON.stringify(await t.redis.hgetall(Keys.analysis(id)))).not.toMatch(/Basic|cm9ib3Q/);

    const waiting = await harbor.report(id);
    expect(waiting.status).toBe(302);
    expect(waiting.headers['refresh-after']).toBe('7');

    await complete(t, id, 'revshell.strace');
    const done = await harbor.report(id);
    expect(done.status).toBe(200);
    const report = harbor.check(done, 'HarborVulnerabilityReport', /^application\/vnd\.security\.vulnerability\.report; version=1\.1/);
    const stored = (await new AnalysisRepository(t.redis).get(id))!;
    expect(stored.verdict).toBe('malicious');
    expect(report.severity).toBe('Critical');
    expect(report.artifact).toEqual({ repository: 'harbor/revshell', digest, tag: 'v1', mime_type: 'application/vnd.docker.distribution.manifest.v2+json' });
    expect(report.scanner.name).toBe('Quarantine');
    const url = `${PUBLIC}/v1/analyses/${id}/report?format=html`;
    expect(report.vulnerabilities[0]).toMatchObject({ id: 'quarantine-verdict-malicious', package: 'harbor/revshell', version: 'v1', severity: 'Critical', links: [url] });
    // One entry per finding: the rule as id, the acting process as package, ATT&CK and evidence in the description.
    const rules = stored.findings.map((f) => f.rule);
    expect(report.vulnerabilities.slice(1).map((v: { id: string }) => v.id)).toEqual(rules);
    const shell = report.vulnerabilities.find((v: { description: string }) => /ATT&CK: T\d{4}/.test(v.description) && /Evidence: /.test(v.description));
    expect(shell).toBeDefined();
    expect(shell.links[0]).toBe(url);
    expect(shell.links.slice(1).every((l: string) => l.startsWith('https://attack.mitre.org/techniques/T'))).toBe(true);
    // The same report under the v1.0 media type.
    const v10 = await harbor.report(id, 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0');
    expect(harbor.check(v10, 'HarborVulnerabilityReport', /^application\/vnd\.scanner\.adapter\.vuln\.report\.harbor\+json; version=1\.0/).vulnerabilities).toHaveLength(rules.length + 1);
    // Analysts see the same analysis through the API.
    expect((await t.http.get(`/v1/analyses/${id}`).set('authorization', `Bearer ${ADMIN_KEY}`)).body.verdict).toBe('malicious');
  });

  it('a clean analysis yields no vulnerabilities; a rejected one is the spec’s 500 with the reason', async () => {
    const clean = harbor.check(await harbor.scan(scanRequest('harbor/hello', D('c'))), 'ScanResponse', /scan\.response/).id as string;
    await complete(t, clean, null);
    const r = await harbor.report(clean);
    expect(r.status).toBe(200);
    expect(harbor.check(r, 'HarborVulnerabilityReport', /vulnerability\.report/)).toMatchObject({ severity: 'Unknown', vulnerabilities: [] });

    const rejected = harbor.check(await harbor.scan(scanRequest('harbor/untrusted', D('d'))), 'ScanResponse', /scan\.response/).id as string;
    await new AnalysisRepository(t.redis).update(rejected, { status: 'rejected', finishedAt: new Date().toISOString(), rejection: { code: 'untrusted_registry', reason: 'registry 127.0.0.1:5000 is not in TRUSTED_REGISTRIES' } });
    const failed = await harbor.report(rejected);
    expect(failed.status).toBe(500);
    expect(harbor.error(failed).message).toContain('rejected: registry 127.0.0.1:5000 is not in TRUSTED_REGISTRIES');
  });

  it.each([
    ['no token', () => harborClient(t, null).metadata(), 401, /Authorization/],
    ['a wrong token', () => harborClient(t, 'x'.repeat(34)).metadata(), 401, /wrong/],
    ['an API key instead of the adapter token', () => harborClient(t, ADMIN_KEY).scan(scanRequest('harbor/x', D('e'))), 401, /wrong/],
    ['malformed JSON', () => harbor.scan(null, '{"registry": {'), 400, /JSON/],
    ['a JSON array', () => harbor.scan(null, '[]'), 400, /ScanRequest/],
    ['no artifact', () => harbor.scan(null, JSON.stringify({ registry: { url: 'http://127.0.0.1:5000' } })), 422, /artifact/],
    ['a registry.url that is not http(s)', () => harbor.scan({ ...scanRequest('harbor/x', D('e')), registry: { url: 'ftp://127.0.0.1' } }), 422, /registry\.url/],
    ['an artifact.digest that is not sha256', () => harbor.scan(scanRequest('harbor/x', 'sha256:abc')), 422, /artifact\.digest/],
    ['an artifact.repository with upper case', () => harbor.scan(scanRequest('Harbor/X', D('e'))), 422, /artifact\.repository/],
    ['a digest of the wrong type', () => harbor.scan(null, JSON.stringify({ registry: { url: 'http://h' }, artifact: { repository: 'a', digest: 7 } })), 400, /artifact\.digest/],
    ['an artifact mime type it does not consume', () => harbor.scan({ ...scanRequest('harbor/x', D('e')), artifact: { ...scanRequest('harbor/x', D('e')).artifact, mime_type: 'application/vnd.oci.image.index.v1+json' } }), 422, /mime_type/],
    ['an unknown scan id', () => harbor.report('3fa85f64-5717-4562-b3fc-2c963f66afa6'), 404, /no scan request/],
    ['a scan id that is no id', () => harbor.report('..%2F..%2Fetc'), 404, /no scan request/],
    ['an Accept it cannot produce', () => harbor.report('3fa85f64-5717-4562-b3fc-2c963f66afa6', 'text/html'), 400, /Accept/],
  ])('refuses %s with the spec’s status in the ErrorResponse shape', async (_what, call, status, message) => {
    const res = await call();
    expect(res.status).toBe(status);
    expect(harbor.error(res).message).toMatch(message);
  });

  it('does not serve analyses it did not start', async () => {
    const api = await t.http.post('/v1/analyses').set('authorization', `Bearer ${ADMIN_KEY}`).send({ image: 'quarantine-samples/hello:latest' });
    expect(api.status).toBe(202);
    expect((await harbor.report(api.body.id)).status).toBe(404);
  });
});
