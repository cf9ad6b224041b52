/**
 * Admission overrides in the audit log: a workload admitted although an image is not cleared (warn
 * mode here) is recorded with the Kubernetes user who asked; a denial, a clean answer and a dry run
 * are not. Real Nest app with its admission HTTPS listener, real Redis (db 25).
 */
import { loadAdmissionConfig } from '#admission/admission.config';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, httpsCall, selfSignedCert } from '../../../../test/support/admission.js';
import { freeLoopbackPort } from '../../../../test/support/ports.js';
import { ADMIN_KEY, type ApiApp, startApiApp } from '../../../../test/support/api-app.js';

let t: ApiApp;
let port: number;
let pem: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'q-it-adm-'));
  const tls = selfSignedCert(dir);
  pem = tls.pem;
  port = await freeLoopbackPort();
  t = await startApiApp({ db: 25, env: { WEBHOOK_ALLOW_HOSTS: '127.0.0.1', AUTH_FAILURE_LIMIT: '100000' }, parts: { admission: loadAdmissionConfig({ ADMISSION_TLS_CERT: tls.cert, ADMISSION_TLS_KEY: tls.key, ADMISSION_PORT: String(port), ADMISSION_HOST: '127.0.0.1' }) } });
}, 30_000);
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

const digest = (c: string) => `127.0.0.1:5000/never/analysed@sha256:${c.repeat(64)}`;
const overrides = async () => (await t.http.get('/v1/audit?action=admission.override').set('authorization', `Bearer ${ADMIN_KEY}`)).body.items as { actor: { keyId: string; role: string }; resource: { id: string }; detail: string }[];

it('records a warn-mode admission of an unanalysed image, with the Kubernetes user, and nothing for a denial or a dry run', async () => {
  const review = fixture('deployment', { app: digest('a') });
  const user = review.request.userInfo.username as string;
  const warn = await httpsCall(port, pem, 'POST', '/admission/validate/warn', review);
  expect(warn.json.response).toMatchObject({ allowed: true });
  expect(warn.json.response.warnings.length).toBeGreaterThan(0);
  let items: Awaited<ReturnType<typeof overrides>> = [];
  for (let i = 0; i < 50 && items.length === 0; i++) {
    items = await overrides();
    if (items.length === 0) await new Promise((r) => setTimeout(r, 20));
  }
  expect(items).toHaveLength(1);
  expect(items[0]).toMatchObject({ actor: { keyId: user, role: 'kubernetes' } });
  expect(items[0].detail).toMatch(/warn mode/);

  const enforce = await httpsCall(port, pem, 'POST', '/admission/validate/enforce', fixture('deployment', { app: digest('b') }));
  expect(enforce.json.response.allowed).toBe(false);
  const dry = await httpsCall(port, pem, 'POST', '/admission/validate/warn', fixture('deployment', { app: digest('c') }, { dryRun: true }));
  expect(dry.json.response.allowed).toBe(true);
  await new Promise((r) => setTimeout(r, 200));
  expect(await overrides()).toHaveLength(1);

  // The same reviews in the API's metrics: by decision and mode, with their latency.
  const metrics = (await t.http.get('/metrics')).text;
  expect(metrics).toMatch(/^quarantine_admission_reviews_total\{decision="allowed",mode="warn",process="api"\} 2$/m);
  expect(metrics).toMatch(/^quarantine_admission_reviews_total\{decision="denied",mode="enforce",process="api"\} 1$/m);
  expect(metrics).toMatch(/^quarantine_admission_review_seconds_count\{process="api",decision="allowed"\} 2$/m);
});
