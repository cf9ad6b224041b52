import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent } from 'node:https';
import { Redis } from 'ioredis';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { applyPatch, fixture, httpsCall, selfSignedCert, WORKLOAD_FIXTURES } from '../support/admission.js';
import { pushImage, REGISTRY, registryUp, removeLocalTags, removeTestCopies } from '../support/registry.js';
import { type Stack, startStack, waitFor } from '../support/stack.js';
import { freeLoopbackPort } from '../support/ports.js';

// The real API process (dist/) with its admission HTTPS listener, real Redis (db 18) and the real
// local registry for tag resolution. No Kubernetes API server can run here: reviews are the
// fixtures in test/fixtures/admission, posted as the API server would.
const DB = 18;
const run = `q-adm-${Date.now().toString(36)}`;
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const CLEAN = digest('c');
const BAD = digest('b');
const SUSPECT = digest('5');
const local = (d: string) => `quarantine-samples/thing@${d}`;


async function bootAdmission(db: number, env: NodeJS.ProcessEnv, tlsDir: string) {
  const port = await freeLoopbackPort();
  const tls = selfSignedCert(tlsDir);
  const stack = await startStack({
    db,
    workers: 0,
    env: { ADMISSION_TLS_CERT: tls.cert, ADMISSION_TLS_KEY: tls.key, ADMISSION_PORT: String(port), ADMISSION_HOST: '127.0.0.1', ADMISSION_TLS_RELOAD_MS: '200', ADMISSION_VERDICT_URL: `https://127.0.0.1:${port}`, TRUSTED_REGISTRIES: REGISTRY, ...env },
  });
  await waitFor(async () => (await httpsCall(port, tls.pem, 'GET', '/admission/healthz').catch(() => null))?.status === 200, 15_000, () => stack.logs().slice(-3000));
  return { stack, port, tls };
}

function verdict(d: string, v: string, at = new Date().toISOString()) {
  return { digest: d, verdict: v as never, score: v === 'clean' ? 0 : 85, rulesVersion: 'rv', analysisId: `an-${v}-${d.slice(7, 11)}`, image: 'x', at, topFindings: v === 'clean' ? [] : [{ rule: 'Reverse shell via dup2', priority: 'critical' }, { rule: 'Write below etc', priority: 'error' }] };
}

describe('admission webhook (real API process, Redis, registry)', () => {
  let stack: Stack;
  let port: number;
  let ca: string;
  let tlsDir: string;
  let repo: AnalysisRepository;
  let appDigest: string;
  const pushed: string[] = [];
  const post = (path: string, body: unknown) => httpsCall(port, ca, 'POST', path, body as object);

  beforeAll(async () => {
    if (!(await registryUp())) throw new Error(`no registry on ${REGISTRY}: run scripts/host-deps.sh`);
    appDigest = pushImage('quarantine-samples/hello:latest', `${run}/app`, '1.0');
    pushed.push(`${REGISTRY}/${run}/app:1.0`);
    tlsDir = mkdtempSync(join(tmpdir(), 'q-adm-tls-'));
    const booted = await bootAdmission(DB, { ADMISSION_MAX_AGE: '1h', ADMISSION_INJECT_INIT: 'true', ADMISSION_INIT_IMAGE: 'quarantine:test' }, tlsDir);
    ({ stack, port } = booted);
    ca = booted.tls.pem;
    // The verdict URL the initContainer gets is this server.
    repo = new AnalysisRepository(stack.redis);
    for (const [d, v] of [[CLEAN, 'clean'], [BAD, 'malicious'], [SUSPECT, 'suspicious'], [appDigest, 'clean']] as const) await repo.setVerdict(verdict(d, v));
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    removeLocalTags(pushed);
    removeTestCopies();
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  });

  it.each(WORKLOAD_FIXTURES)('%s: allowed when every image is clean, denied when one is malicious', async (kind) => {
    const ok = await post('/admission/validate', fixture(kind, { app: local(CLEAN) }));
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { allowed: true } });
    const review = fixture(kind, { app: local(CLEAN), sidecar: local(BAD) });
    const denied = await post('/admission/validate', review);
    expect(denied.json.response.uid).toBe(review.request.uid);
    expect(denied.json.response.allowed).toBe(false);
    expect(denied.json.response.status.code).toBe(403);
    expect(denied.json.response.status.message).toContain(`image ${local(BAD)} (${BAD}) is malicious`);
    expect(denied.json.response.status.message).toContain('Reverse shell via dup2 (critical)');
    expect(denied.json.response.status.message).toContain(`analysis an-malicious-bbbb`);
  });

  it('a pod with mixed verdicts over containers, initContainers and ephemeralContainers: every bad one is named', async () => {
    const unknown = digest('e');
    const r = await post('/admission/validate', fixture('pod', { app: local(CLEAN), sidecar: local(SUSPECT), init: local(unknown), ephemeral: local(BAD) }));
    const msg: string = r.json.response.status.message;
    expect(r.json.response.allowed).toBe(false);
    expect(msg).toContain(`${local(SUSPECT)} (${SUSPECT}) is suspicious`);
    expect(msg).toContain(`${local(BAD)} (${BAD}) is malicious`);
    expect(msg).toContain(`${local(unknown)} (${unknown}) has not been analysed`);
    expect(msg).not.toContain(`${local(CLEAN)} (`);
  });

  it('an unknown digest is denied and queued for analysis exactly once, however many reviews ask', async () => {
    const d = digest('1');
    const replies = await Promise.all(Array.from({ length: 8 }, () => post('/admission/validate', fixture('deployment', { app: local(d) }))));
    for (const r of replies) {
      expect(r.json.response.allowed).toBe(false);
      // The first answers say it was queued; once the queued analysis is recorded, they name it.
      expect(r.json.response.status.message).toMatch(/has not been analysed; (an analysis was queued|analysis [0-9a-f-]{36} is queued)/);
    }
    let ids: string[] = [];
    await waitFor(async () => {
      const all = await stack.redis.zrange('q:analyses', '0', '-1');
      const recs = await Promise.all(all.map((id) => repo.get(id)));
      ids = recs.filter((x) => x?.image === local(d)).map((x) => x!.id);
      return ids.length > 0;
    }, 5000);
    await new Promise((r) => setTimeout(r, 300));
    const again = await post('/admission/validate', fixture('pod', { app: local(d) }));
    expect(again.json.response.allowed).toBe(false);
    const recs = await Promise.all((await stack.redis.zrange('q:analyses', '0', '-1')).map((id) => repo.get(id)));
    const mine = recs.filter((x) => x?.image === local(d));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ status: 'queued', submittedBy: 'admission webhook', profile: 'default' });
    expect(await stack.redis.get(`q:admission:pending:${d}`)).toBe(mine[0]!.id);
    expect(await stack.redis.exists(`q:bull:analysis:detonate-${mine[0]!.id}`)).toBe(1);
    // Later reviews name the queued analysis and its status; a rejected one says why.
    expect(again.json.response.status.message).toContain(`analysis ${mine[0]!.id} is queued`);
    await repo.update(mine[0]!.id, { status: 'rejected', error: 'registry evil is not trusted' });
    const rejected = await post('/admission/validate', fixture('pod', { app: local(d) }));
    expect(rejected.json.response.status.message).toContain(`analysis ${mine[0]!.id} was rejected: registry evil is not trusted`);
  });

  it('a dry run is judged but queues nothing', async () => {
    const d = digest('2');
    const r = await post('/admission/validate', fixture('pod', { app: local(d) }, { dryRun: true }));
    expect(r.json.response.allowed).toBe(false);
    expect(r.json.response.status.message).not.toContain('queued');
    await new Promise((res) => setTimeout(res, 300));
    expect(await stack.redis.exists(`q:admission:pending:${d}`)).toBe(0);
  });

  it('a stale verdict (older than ADMISSION_MAX_AGE) is treated as unknown and re-queued', async () => {
    const d = digest('3');
    await repo.setVerdict(verdict(d, 'clean', new Date(Date.now() - 2 * 3_600_000).toISOString()));
    const r = await post('/admission/validate', fixture('job', { app: local(d) }));
    expect(r.json.response.allowed).toBe(false);
    expect(r.json.response.status.message).toContain('has a stale verdict (clean from');
    expect(r.json.response.status.message).toContain('a new analysis was queued');
    await waitFor(async () => (await stack.redis.get(`q:admission:pending:${d}`)) !== null, 5000);
  });

  it('warn mode from the namespace label: unknown images allowed with warnings, malicious still denied', async () => {
    const ns = await post('/admission/validate', fixture('namespace-warn'));
    expect(ns.json.response.allowed).toBe(true);
    const d = digest('4');
    const warned = await post('/admission/validate', fixture('deployment', { app: local(CLEAN), sidecar: local(d) }, { namespace: 'staging' }));
    expect(warned.json.response.allowed).toBe(true);
    expect(warned.json.response.warnings.join(' ')).toContain(`Quarantine (warn mode): image ${local(d)}`);
    const bad = await post('/admission/validate', fixture('deployment', { app: local(BAD) }, { namespace: 'staging' }));
    expect(bad.json.response.allowed).toBe(false);
    // Other namespaces keep the default (enforce); ?mode=warn (a namespaceSelector-split webhook) overrides it.
    expect((await post('/admission/validate', fixture('pod', { app: local(d) }))).json.response.allowed).toBe(false);
    expect((await post('/admission/validate?mode=warn', fixture('pod', { app: local(d) }))).json.response.allowed).toBe(true);
    // …and so does the mode in the path, as the generated webhook configurations call it.
    expect((await post('/admission/validate/warn', fixture('pod', { app: local(d) }))).json.response.allowed).toBe(true);
    expect((await post('/admission/validate/enforce', fixture('pod', { app: local(d) }))).json.response.allowed).toBe(false);
    expect(await stack.redis.hget('q:admission:namespaces', 'staging')).toBe(JSON.stringify({ mode: 'warn', sandbox: false }));
    // A sandbox namespace (excluded by the configurations' namespaceSelector) is let through with a warning if it reaches us.
    const sb = fixture('namespace-warn');
    sb.request.name = sb.request.object.metadata.name = 'q-sandbox-1';
    sb.request.object.metadata.labels = { 'quarantine.io/sandbox': 'true' };
    await post('/admission/validate', sb);
    const inSandbox = await post('/admission/validate', fixture('pod', { app: local(BAD) }, { namespace: 'q-sandbox-1' }));
    expect(inSandbox.json.response).toMatchObject({ allowed: true, warnings: [expect.stringContaining('sandbox namespace')] });
    // Deleting the namespace forgets it.
    await post('/admission/validate', { ...sb, request: { ...sb.request, uid: 'del-1', operation: 'DELETE', object: null, oldObject: sb.request.object } });
    expect(await stack.redis.hexists('q:admission:namespaces', 'q-sandbox-1')).toBe(0);
  });

  it('a new verdict reaches the in-process cache at once (pub/sub), not after the TTL', async () => {
    const d = digest('6');
    await repo.setVerdict(verdict(d, 'clean'));
    expect((await post('/admission/validate', fixture('pod', { app: local(d) }))).json.response.allowed).toBe(true);
    await repo.setVerdict(verdict(d, 'malicious'));
    await waitFor(async () => (await post('/admission/validate', fixture('pod', { app: local(d) }))).json.response.allowed === false, 1000);
    const health = await httpsCall(port, ca, 'GET', '/admission/healthz');
    expect(health.json).toMatchObject({ status: 'ok', verdictSubscription: true });
  });

  it('resolves tags through the registry: a clean digest behind a tag is admitted; an untrusted registry is not', async () => {
    const img = `${REGISTRY}/${run}/app:1.0`;
    const r = await post('/admission/validate', fixture('statefulset', { app: img }));
    expect(r.json.response).toMatchObject({ allowed: true });
    const missing = await post('/admission/validate', fixture('pod', { app: `${REGISTRY}/${run}/app:nope` }));
    expect(missing.json.response.allowed).toBe(false);
    expect(missing.json.response.status.message).toContain('tag could not be resolved');
    const foreign = await post('/admission/validate', fixture('pod', { app: 'evil.example.com/x/y:1' }));
    expect(foreign.json.response.status.message).toContain('registry evil.example.com is not trusted');
  });

  it('mutate: tags rewritten to the analysed digests, an initContainer injected that checks verdicts at pod start', async () => {
    const review = fixture('deployment', { app: `${REGISTRY}/${run}/app:1.0`, sidecar: local(CLEAN), init: `${REGISTRY}/${run}/app:1.0` });
    const r = await post('/admission/mutate', review);
    expect(r.json.response).toMatchObject({ uid: review.request.uid, allowed: true, patchType: 'JSONPatch' });
    const patch = JSON.parse(Buffer.from(r.json.response.patch, 'base64').toString());
    const pinned = `${REGISTRY}/${run}/app:1.0@${appDigest}`;
    expect(patch).toEqual([
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: pinned },
      { op: 'replace', path: '/spec/template/spec/initContainers/0/image', value: pinned },
      {
        op: 'add',
        path: '/spec/template/spec/initContainers/0',
        value: expect.objectContaining({ name: 'quarantine-verdict-check', image: 'quarantine:test', args: [appDigest, CLEAN].sort(), command: ['node', 'dist/libs/admission/src/verdict-check.js'] }),
      },
    ]);
    // Applied (RFC 6902, in order), the template has pinned images and the check first among its initContainers.
    const spec = applyPatch(review.request.object, patch).spec.template.spec;
    expect(spec.containers.map((c: { image: string }) => c.image)).toEqual([pinned, local(CLEAN)]);
    expect(spec.initContainers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`)).toEqual(['quarantine-verdict-check=quarantine:test', `migrate=${pinned}`]);
    // The pinned review then passes validation by digest.
    const pinnedReview = fixture('deployment', { app: pinned, sidecar: local(CLEAN), init: pinned });
    expect((await post('/admission/validate', pinnedReview)).json.response.allowed).toBe(true);
    // A pod already carrying the check gets no second one; a CronJob's pointer is its job template's.
    const cron = await post('/admission/mutate', fixture('cronjob', { app: `${REGISTRY}/${run}/app:1.0` }));
    const cronPatch = JSON.parse(Buffer.from(cron.json.response.patch, 'base64').toString());
    expect(cronPatch.map((p: { path: string }) => p.path)).toContain('/spec/jobTemplate/spec/template/spec/containers/0/image');
  });

  it('the initContainer program passes cleared digests and fails the pod start otherwise', async () => {
    const exec = promisify(execFile);
    const env = { ...process.env, NODE_OPTIONS: '', QUARANTINE_VERDICT_URL: `https://127.0.0.1:${port}`, NODE_EXTRA_CA_CERTS: join(tlsDir, 'tls.crt') };
    const ok = await exec('node', ['dist/libs/admission/src/verdict-check.js', CLEAN, appDigest], { env });
    expect(ok.stdout).toContain(`cleared ${CLEAN}: clean`);
    const bad = await exec('node', ['dist/libs/admission/src/verdict-check.js', CLEAN, BAD], { env }).then(() => null, (e: { code: number; stdout: string }) => e);
    expect(bad?.code).toBe(1);
    expect(bad?.stdout).toContain(`NOT CLEARED ${BAD}: verdict malicious (analysis an-malicious-bbbb)`);
  });

  it('malformed reviews: a 400 error body or a denial naming the field, never a crash', async () => {
    const notJson = await httpsCall(port, ca, 'POST', '/admission/validate', '{"apiVersion":');
    expect(notJson.status).toBe(400);
    expect(notJson.json).toMatchObject({ code: 'malformed_json', details: [{ field: 'body' }] });
    const noUid = await post('/admission/validate', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { kind: 'Pod' } } });
    expect(noUid.status).toBe(400);
    expect(noUid.json).toMatchObject({ code: 'validation_failed', details: [{ field: 'request.uid' }] });
    const v1beta1 = await post('/admission/mutate', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } });
    expect(v1beta1.json.details[0].field).toBe('apiVersion');
    const broken = fixture('daemonset', { app: local(CLEAN) });
    broken.request.object.spec.template.spec.containers = 'nginx';
    const denied = await post('/admission/validate', broken);
    expect(denied.status).toBe(200);
    expect(denied.json.response).toMatchObject({ uid: broken.request.uid, allowed: false, status: { code: 400 } });
    expect(denied.json.response.status.message).toContain('request.object.spec.template.spec.containers: must be a list of containers');
    const big = await httpsCall(port, ca, 'POST', '/admission/validate', JSON.stringify({ pad: 'x'.repeat(4 * 1024 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.json.code).toBe('body_too_large');
    const get = await httpsCall(port, ca, 'GET', '/admission/validate');
    expect(get.status).toBe(405);
    const badMode = await post('/admission/validate?mode=audit', fixture('pod', { app: local(CLEAN) }));
    expect(badMode.json.details[0].field).toBe('mode');
    expect((await post('/admission/validate', fixture('pod', { app: local(CLEAN) }))).json.response.allowed).toBe(true);
    expect(stack.api.exitCode).toBeNull();
  });

  it('reloads the TLS certificate when its files change', async () => {
    const oldCa = ca;
    const before = await httpsCall(port, oldCa, 'GET', '/admission/healthz');
    const next = selfSignedCert(tlsDir, 'quarantine-admission-rotated');
    expect(next.fingerprint).not.toBe(before.peerFingerprint);
    await waitFor(async () => (await httpsCall(port, next.pem, 'GET', '/admission/healthz').catch(() => null))?.peerFingerprint === next.fingerprint, 5000);
    const after = await httpsCall(port, next.pem, 'POST', '/admission/validate', fixture('pod', { app: local(CLEAN) }));
    expect(after.json.response.allowed).toBe(true);
    ca = next.pem;
    // The old certificate is no longer served: a client trusting only it refuses the connection.
    await expect(httpsCall(port, oldCa, 'GET', '/admission/healthz')).rejects.toThrow();
  });

  it('answers warm-cache reviews in milliseconds', async () => {
    const times: number[] = [];
    for (let i = 0; i < 30; i++) times.push((await post('/admission/validate', fixture('pod', { app: local(CLEAN) }))).ms);
    times.sort((a, b) => a - b);
    // Fresh TLS connection per request included; the benchmark measures the keep-alive path.
    expect(times[15]).toBeLessThan(50);
  });
});

describe('admission with Redis hung or gone (private redis-server, never the shared one)', () => {
  let redisProc: ChildProcess;
  let boot: Awaited<ReturnType<typeof bootAdmission>>;
  let tlsDir: string;
  const BUDGET = 200;

  beforeAll(async () => {
    const rport = await freeLoopbackPort();
    redisProc = spawn('redis-server', ['--port', String(rport), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const probe = new Redis(`redis://127.0.0.1:${rport}`, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await waitFor(async () => (await probe.ping().catch(() => null)) === 'PONG', 5000);
    await new AnalysisRepository(probe).setVerdict(verdict(CLEAN, 'clean'));
    probe.disconnect();
    tlsDir = mkdtempSync(join(tmpdir(), 'q-adm-tls-'));
    boot = await bootAdmission(DB, { REDIS_URL: `redis://127.0.0.1:${rport}`, ADMISSION_BUDGET_MS: String(BUDGET) }, tlsDir);
  }, 60_000);

  afterAll(async () => {
    if (redisProc?.pid) {
      try {
        process.kill(redisProc.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
      redisProc.kill('SIGKILL');
    }
    await boot?.stack.stop();
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  });

  it('a hung Redis: cached verdicts still answer; lookups that need Redis are denied within the budget (fail closed)', async () => {
    // Keep-alive connections opened beforehand (as the API server keeps them): the latencies below are the webhook's, not TLS handshakes'.
    const agent = new Agent({ keepAlive: true, maxSockets: 10, ca: boot.tls.pem });
    const post = (body: unknown) => httpsCall(boot.port, boot.tls.pem, 'POST', '/admission/validate', body as object, agent);
    await Promise.all(Array.from({ length: 10 }, () => post(fixture('pod', { app: local(CLEAN) }))));
    expect((await post(fixture('pod', { app: local(CLEAN) }))).json.response.allowed).toBe(true);
    process.kill(redisProc.pid!, 'SIGSTOP');
    const warm = await post(fixture('pod', { app: local(CLEAN) }));
    expect(warm.json.response.allowed).toBe(true);
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => post(fixture('pod', { app: local(digest(String(i))) }))));
    for (const r of replies) {
      expect(r.json.response.allowed).toBe(false);
      expect(r.json.response.status.code).toBe(503);
      expect(r.json.response.status.message).toContain(`could not decide within ${BUDGET} ms`);
      expect(r.ms).toBeLessThan(BUDGET + 50);
    }
    agent.destroy();
  });

  it('Redis gone: the in-process cache is dropped (invalidations could be missed) and every answer is a denial within the budget', async () => {
    redisProc.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const post = (body: unknown) => httpsCall(boot.port, boot.tls.pem, 'POST', '/admission/validate', body as object);
    for (const app of [local(CLEAN), local(digest('9'))]) {
      const r = await post(fixture('deployment', { app }));
      expect(r.json.response.allowed).toBe(false);
      expect(r.ms).toBeLessThan(BUDGET + 150);
    }
    expect(boot.stack.api.exitCode).toBeNull();
  });
});
