import { fixture, WORKLOAD_FIXTURES } from '../../../test/support/admission.js';
import { loadAdmissionConfig } from './admission.config.js';
import { AdmissionReviewError, parseReview, reviewResponse } from './admission-review.js';
import { AdmissionService, type Assessment, decide } from './admission.service.js';

const images = { app: 'reg.local:5000/team/app:1', sidecar: 'reg.local:5000/team/side@sha256:' + 'a'.repeat(64), init: 'reg.local:5000/team/init:2', ephemeral: 'reg.local:5000/team/debug:3' };
const pointers: Record<string, string> = {
  pod: '/spec',
  deployment: '/spec/template/spec',
  replicaset: '/spec/template/spec',
  statefulset: '/spec/template/spec',
  daemonset: '/spec/template/spec',
  job: '/spec/template/spec',
  cronjob: '/spec/jobTemplate/spec/template/spec',
};

describe('parseReview', () => {
  it.each(WORKLOAD_FIXTURES)('finds every container, initContainer and ephemeralContainer image of a %s', (name) => {
    const r = parseReview(fixture(name, images));
    expect(r.podSpecPointer).toBe(pointers[name]);
    const expected = [
      { image: images.init, container: 'migrate', list: 'initContainers', pointer: `${pointers[name]}/initContainers/0/image` },
      { image: images.app, container: 'app', list: 'containers', pointer: `${pointers[name]}/containers/0/image` },
      { image: images.sidecar, container: 'sidecar', list: 'containers', pointer: `${pointers[name]}/containers/1/image` },
    ];
    if (name === 'pod') expected.push({ image: images.ephemeral, container: 'debugger', list: 'ephemeralContainers', pointer: '/spec/ephemeralContainers/0/image' });
    expect(r.images).toEqual(expected);
    expect(r).toMatchObject({ namespace: 'shop', name: 'web', operation: 'CREATE', dryRun: false });
  });

  it('an UPDATE is judged on the images it adds or changes only', () => {
    const doc = fixture('deployment', images, { operation: 'UPDATE' });
    doc.request.oldObject = JSON.parse(JSON.stringify(doc.request.object));
    doc.request.object.spec.replicas = 10;
    expect(parseReview(doc).images).toEqual([]);
    doc.request.object.spec.template.spec.containers[0].image = 'reg.local:5000/team/app:2';
    expect(parseReview(doc).images.map((u) => u.image)).toEqual(['reg.local:5000/team/app:2']);
    doc.request.oldObject = 'garbage';
    expect(parseReview(doc).images).toHaveLength(3);
  });

  it('reads a namespace review’s labels', () => {
    const r = parseReview(fixture('namespace-warn'));
    expect(r.namespaceName).toBe('staging');
    expect(r.namespaceLabels?.['quarantine.io/admission-mode']).toBe('warn');
    expect(r.images).toEqual([]);
  });

  it('lets deletes and other kinds through without looking at images', () => {
    expect(parseReview(fixture('pod', images, { operation: 'DELETE' })).images).toEqual([]);
    const cm = fixture('pod', images);
    cm.request.kind.kind = 'ConfigMap';
    expect(parseReview(cm).images).toEqual([]);
  });

  it.each([
    [null, 'body', false],
    [{ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } }, 'apiVersion', false],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'Pod' }, 'kind', false],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'request', false],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: '' } }, 'request.uid', false],
  ])('rejects an unreadable review %#, naming %s', (body, field, hasUid) => {
    try {
      parseReview(body);
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(AdmissionReviewError);
      expect((e as AdmissionReviewError).field).toBe(field);
      expect(!!(e as AdmissionReviewError).uid).toBe(hasUid);
    }
  });

  it.each([
    [(d: any) => (d.request.object.spec.template.spec.containers = 'nginx'), 'request.object.spec.template.spec.containers'],
    [(d: any) => (d.request.object.spec.template.spec.containers[1].image = 42), 'request.object.spec.template.spec.containers[1].image'],
    [(d: any) => delete d.request.object.spec.template, 'request.object.spec.template'],
    [(d: any) => (d.request.object.spec.template.spec.initContainers[0] = 'x'), 'request.object.spec.template.spec.initContainers[0]'],
    [(d: any) => delete d.request.kind, 'request.kind.kind'],
  ])('names the field of a malformed workload %#, keeping the uid to answer with', (mutate, field) => {
    const doc = fixture('deployment', images);
    mutate(doc);
    try {
      parseReview(doc);
      throw new Error('expected an error');
    } catch (e) {
      expect((e as AdmissionReviewError).field).toBe(field);
      expect((e as AdmissionReviewError).uid).toBe(doc.request.uid);
    }
  });
});

describe('decide', () => {
  const review = parseReview(fixture('pod', images));
  const entry = (verdict: string, extra: object = {}) => ({ digest: 'sha256:' + 'b'.repeat(64), verdict, score: 80, rulesVersion: 'r', analysisId: 'an-1', image: 'x', at: new Date().toISOString(), topFindings: [{ rule: 'Reverse shell', priority: 'critical' }], ...extra }) as any;
  const clean: Assessment = { image: images.app, state: 'clean', digest: 'sha256:1', entry: entry('clean') };
  const bad: Assessment = { image: images.sidecar, state: 'malicious', digest: 'sha256:2', entry: entry('malicious') };
  const unknown: Assessment = { image: images.init, state: 'unknown', digest: 'sha256:3', enqueued: true };

  it('allows when every image is clean', () => {
    expect(decide('u', review, [clean], 'enforce', 1000).response).toEqual({ uid: 'u', allowed: true });
  });

  it('denies a malicious image in every mode, naming image, verdict, findings and analysis', () => {
    for (const mode of ['enforce', 'warn'] as const) {
      const r = decide('u', review, [clean, bad, unknown], mode, 1000).response;
      expect(r.allowed).toBe(false);
      expect(r.status?.message).toContain(`image ${images.sidecar} (sha256:2) is malicious`);
      expect(r.status?.message).toContain('Reverse shell (critical)');
      expect(r.status?.message).toContain('analysis an-1');
      expect(r.status?.message).not.toContain(images.app);
    }
  });

  it('unknown: denied in enforce mode, allowed with a warning in warn mode', () => {
    const e = decide('u', review, [clean, unknown], 'enforce', 1000).response;
    expect(e.allowed).toBe(false);
    expect(e.status?.message).toContain('has not been analysed; an analysis was queued');
    const w = decide('u', review, [clean, unknown], 'warn', 1000).response;
    expect(w.allowed).toBe(true);
    expect(w.warnings?.[0]).toContain(images.init);
  });

  it('the response carries a base64 JSONPatch and caps warnings', () => {
    const r = reviewResponse('u', true, { patch: [{ op: 'replace', path: '/spec/containers/0/image', value: 'x@sha256:1' }], warnings: ['w'.repeat(400)] }).response;
    expect(JSON.parse(Buffer.from(r.patch!, 'base64').toString())).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: 'x@sha256:1' }]);
    expect(r.patchType).toBe('JSONPatch');
    expect(r.warnings?.[0].length).toBeLessThanOrEqual(250);
  });
});

describe('AdmissionService.timeoutResponse (the fail policy)', () => {
  const review = parseReview(fixture('pod', images));
  const svc = (env: Record<string, string>) => new AdmissionService(loadAdmissionConfig({ ADMISSION_TLS_CERT: 'c', ADMISSION_TLS_KEY: 'k', ...env }), null as never, null as never, null as never, null as never, null as never, []);
  it('fails closed by default, open when configured, and warn-mode namespaces are never blocked', () => {
    const closed = svc({}).timeoutResponse(review, 'enforce', 'validate').response;
    expect(closed).toMatchObject({ allowed: false, status: { code: 503 } });
    expect(closed.status?.message).toContain('within 200 ms');
    expect(svc({ ADMISSION_FAIL_OPEN: 'true' }).timeoutResponse(review, 'enforce', 'validate').response).toMatchObject({ allowed: true, warnings: [expect.stringContaining('fail-open')] });
    expect(svc({}).timeoutResponse(review, 'warn', 'validate').response.allowed).toBe(true);
    expect(svc({}).timeoutResponse(review, 'enforce', 'mutate', 'connection closed').response).toMatchObject({ allowed: true, warnings: [expect.stringContaining('connection closed')] });
  });
});

describe('loadAdmissionConfig', () => {
  it('is off without TLS files and validates every variable by name', () => {
    expect(loadAdmissionConfig({}).enabled).toBe(false);
    expect(loadAdmissionConfig({ ADMISSION_TLS_CERT: 'c', ADMISSION_TLS_KEY: 'k', ADMISSION_MAX_AGE: '12h' })).toMatchObject({ enabled: true, port: 8443, budgetMs: 200, failOpen: false, maxAgeMs: 12 * 3_600_000, defaultMode: 'enforce' });
    expect(() => loadAdmissionConfig({ ADMISSION_TLS_CERT: 'c' })).toThrow(/ADMISSION_TLS_KEY/);
    expect(() => loadAdmissionConfig({ ADMISSION_BUDGET_MS: 'fast' })).toThrow(/ADMISSION_BUDGET_MS/);
    expect(() => loadAdmissionConfig({ ADMISSION_DEFAULT_MODE: 'audit' })).toThrow(/ADMISSION_DEFAULT_MODE/);
    expect(() => loadAdmissionConfig({ ADMISSION_FAIL_OPEN: 'maybe' })).toThrow(/ADMISSION_FAIL_OPEN/);
    expect(() => loadAdmissionConfig({ ADMISSION_INJECT_INIT: 'true' })).toThrow(/ADMISSION_VERDICT_URL/);
  });
});
