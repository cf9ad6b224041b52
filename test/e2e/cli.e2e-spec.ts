import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { e2eProfilesDir } from '../support/profiles.js';
import { freeLoopbackPort } from '../support/ports.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { type Stack, startStack } from '../support/stack.js';

// The real `quarantine` CLI (dist/apps/cli/src/main.js, the package's bin) against the real API and
// worker: exit codes a pipeline gates on, progress on stderr, one-line errors naming what to fix.
let stack: Stack;
let home: string;
let analystKey: string;
let metricsPort: number;
const METRICS_TOKEN = 'e2e-metrics-token-0123456789';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      'node',
      ['dist/apps/cli/src/main.js', ...args],
      { env: { PATH: process.env.PATH, HOME: home, QUARANTINE_URL: stack.base, QUARANTINE_API_KEY: analystKey, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'q-cli-home-'));
  metricsPort = await freeLoopbackPort();
  stack = await startStack({ db: 29, workers: 1, env: { PROFILES_DIR: e2eProfilesDir('3s'), WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32', METRICS_PORT: String(metricsPort), METRICS_TOKEN } });
  const created = await cli(['keys', 'create', 'ci-pipeline', '--role', 'analyst'], { QUARANTINE_API_KEY: stack.adminKey });
  expect(created.code).toBe(0);
  analystKey = created.stdout.trim().split(' ')[2]!;
  expect(analystKey).toMatch(/^qk_/);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('quarantine CLI', () => {
  it('submit --wait gates a pipeline: 0 clean, 3 at or above --fail-on, 4 inconclusive; progress lines on stderr, the result on stdout', async () => {
    const [clean, bad, dormant] = await Promise.all([
      cli(['submit', 'quarantine-samples/hello:latest', '--profile', 'e2e', '--wait', '--fail-on', 'suspicious', '--format', 'json', '--label', 'ci=42']),
      cli(['submit', 'quarantine-samples/shadow-reader:latest', '--profile', 'e2e', '--wait', '--fail-on', 'malicious']),
      cli(['submit', 'quarantine-samples/integrity-dormant:latest', '--profile', 'e2e', '--wait']),
    ]);
    expect({ code: clean.code, stderr: clean.stderr }).toMatchObject({ code: 0 });
    const a = JSON.parse(clean.stdout);
    expect(a).toMatchObject({ status: 'completed', verdict: 'clean', labels: { ci: '42' }, image: 'quarantine-samples/hello:latest' });
    // Not a terminal: plain progress lines (submitted, then each stage once), no cursor control.
    expect(clean.stderr).toMatch(new RegExp(`submitted ${a.id}`));
    expect(clean.stderr).toMatch(/ completed\n/);
    expect(clean.stderr).not.toContain('\x1b[');

    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/verdict {2}malicious/);
    expect(bad.stdout).toMatch(/Password Hash File Read/);
    expect(bad.stderr).toMatch(/finding: .*Password Hash File Read/);

    expect(dormant.code).toBe(4);
    expect(dormant.stdout).toMatch(/verdict {2}inconclusive/);
  }, 120_000);

  it('Prometheus metrics of both processes after the detonations (API at /metrics, the worker on its own port), behind the metrics token', async () => {
    const auth = { authorization: `Bearer ${METRICS_TOKEN}` };
    expect((await fetch(`${stack.base}/metrics`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(401);
    const apiRes = await fetch(`${stack.base}/metrics`, { headers: auth });
    expect(apiRes.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const api = await apiRes.text();
    expect(api).toMatch(/^quarantine_analyses_submitted_total\{profile="e2e",process="api"\} [3-9]$/m);
    expect(api).toMatch(/^quarantine_queue_jobs\{queue="analysis",state="completed",process="api"\} \d+$/m);
    expect(api).toContain('quarantine_dependency_up{dependency="redis",process="api"} 1');
    expect(api).toContain('quarantine_dependency_up{dependency="docker",process="api"} 1');
    const worker = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: auth })).text();
    expect(worker).toMatch(/^quarantine_analyses_finished_total\{status="completed",verdict="clean",profile="e2e",probe="strace",process="worker"\} [1-9]$/m);
    expect(worker).toMatch(/^quarantine_analyses_finished_total\{status="completed",verdict="malicious",profile="e2e",probe="strace",process="worker"\} [1-9]$/m);
    expect(worker).toMatch(/^quarantine_detonation_phase_seconds_count\{process="worker",phase="run"\} [3-9]$/m);
    expect(worker).toMatch(/^quarantine_probe_events_total\{probe="strace",process="worker"\} [1-9]\d*$/m);
  });

  it('status, report, list and cancel', async () => {
    const listed = await cli(['list', '--verdict', 'malicious', '--format', 'json']);
    expect(listed.code).toBe(0);
    const items = JSON.parse(listed.stdout).items as { id: string; verdict: string }[];
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.verdict === 'malicious')).toBe(true);
    const id = items[0]!.id;
    const status = await cli(['status', id]);
    expect(status.stdout).toContain(id);
    const out = join(home, 'report.json');
    expect((await cli(['report', id, '--output', out])).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ verdict: 'malicious' });
    // The API's renderings: SARIF 2.1.0 for code scanning, one self-contained HTML page.
    const sarif = await cli(['report', id, '--format', 'sarif']);
    const log = JSON.parse(sarif.stdout);
    expect(log).toMatchObject({ version: '2.1.0', runs: [{ tool: { driver: { name: 'Quarantine' } }, invocations: [{ properties: { verdict: 'malicious' } }] }] });
    expect(log.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toContain('quarantine/password-hash-file-read');
    const page = await cli(['report', id, '--format', 'html']);
    expect(page.stdout).toMatch(/^<!doctype html>/);
    expect(page.stdout).toContain('<span class="badge v-malicious">malicious</span>');
    expect(page.stdout).toContain('Password Hash File Read');
    const raw = await fetch(`${stack.base}/v1/analyses/${id}/report?format=html`, { headers: { authorization: `Bearer ${analystKey}` } });
    expect(raw.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(raw.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    const sarifRaw = await fetch(`${stack.base}/v1/analyses/${id}/report?format=sarif`, { headers: { authorization: `Bearer ${analystKey}` } });
    expect(sarifRaw.headers.get('content-type')).toBe('application/sarif+json; charset=utf-8');
    const bad = await fetch(`${stack.base}/v1/analyses/${id}/report?format=pdf`, { headers: { authorization: `Bearer ${analystKey}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { details: { field: string }[] }).details.map((d) => d.field)).toContain('format');

    const table = await cli(['list', '--limit', '2']);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +STATUS +VERDICT +SCORE +CREATED +IMAGE$/);

    const queued = await cli(['submit', 'quarantine-samples/sleeper:latest', '--profile', 'e2e', '--format', 'json']);
    const qid = JSON.parse(queued.stdout).id as string;
    const cancelled = await cli(['cancel', qid]);
    expect(cancelled).toMatchObject({ code: 0, stdout: `${qid} cancelled\n` });
    const again = await cli(['cancel', qid]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^quarantine: .*already cancelled/);
  }, 60_000);

  it('seccomp and networkpolicy of a clean analysis (docs/hardening.md); a malicious one is refused with the reason', async () => {
    const clean = JSON.parse((await cli(['list', '--verdict', 'clean', '--format', 'json'])).stdout).items[0].id as string;
    const seccomp = await cli(['seccomp', clean]);
    expect({ code: seccomp.code, stderr: seccomp.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(seccomp.stdout)).toMatchObject({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ action: 'SCMP_ACT_ALLOW', names: expect.arrayContaining(['execve', 'write']) }] });
    const spo = JSON.parse((await cli(['seccomp', clean, '--format', 'spo', '--namespace', 'ci'])).stdout);
    expect(spo).toMatchObject({ kind: 'SeccompProfile', metadata: { namespace: 'ci' } });
    const np = await cli(['networkpolicy', clean, '--selector', 'app=hello']);
    expect(JSON.parse(np.stdout)).toMatchObject({ kind: 'NetworkPolicy', spec: { podSelector: { matchLabels: { app: 'hello' } }, policyTypes: ['Ingress', 'Egress'] } });
    const badSelector = await cli(['networkpolicy', clean, '--selector', 'app!=hello']);
    expect({ code: badSelector.code, stderr: badSelector.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/selector/) });
    const malicious = JSON.parse((await cli(['list', '--verdict', 'malicious', '--format', 'json'])).stdout).items[0].id as string;
    const refused = await cli(['seccomp', malicious]);
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/malicious, not clean/) });
  });

  it('usage errors exit 2 with one readable line naming what to fix; an unreachable API exits 1', async () => {
    const noKey = await cli(['list'], { QUARANTINE_API_KEY: '' });
    expect(noKey).toMatchObject({ code: 2, stderr: 'quarantine: no API key: set --api-key or QUARANTINE_API_KEY (or "apiKey" in the config file)\n' });
    const badKey = await cli(['list'], { QUARANTINE_API_KEY: 'qk_nope' });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/refused the key \(401\)/);
    const badField = await cli(['submit', 'Not An Image']);
    expect(badField.code).toBe(2);
    expect(badField.stderr).toMatch(/field: image/);
    expect((await cli(['submit', 'x', '--fail-on', 'bad'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    const down = await cli(['list', '--url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the API at http:\/\/127\.0\.0\.1:9 .*set --url or QUARANTINE_URL/);
  }, 30_000);

  it('reads the URL and key from the config file; watch, webhook and key commands; rules validate; completion', async () => {
    const dir = join(home, '.config', 'quarantine');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ url: stack.base, apiKey: stack.adminKey }));
    const env = { QUARANTINE_URL: '', QUARANTINE_API_KEY: '' };
    const added = await cli(['watch', 'add', 'quarantine-samples/hello:latest', '--schedule', '0 3 * * *'], env);
    expect(added.code).toBe(0);
    const wid = added.stdout.split(' ')[0]!;
    expect((await cli(['watch', 'list'], env)).stdout).toContain(wid);
    expect((await cli(['watch', 'rm', wid], env)).code).toBe(0);
    const receiver = new WebhookReceiver(await freeLoopbackPort());
    await receiver.start();
    const hook = await cli(['webhook', 'add', `${receiver.url}/hook`, '--event', 'analysis.completed', '--min-verdict', 'suspicious'], env);
    expect({ code: hook.code, stderr: hook.stderr }).toEqual({ code: 0, stderr: '' });
    const hid = hook.stdout.split('\n')[0]!;
    expect(hook.stdout).toMatch(/secret \(shown once\): whsec_/);
    expect((await cli(['webhook', 'list'], env)).stdout).toContain(hid);
    // A signed test event now: the receiver verifies it with the secret shown at creation.
    receiver.secrets = [hook.stdout.match(/whsec_\S+/)![0]];
    const tested = await cli(['webhook', 'test', hid], env);
    expect(tested).toMatchObject({ code: 0, stdout: expect.stringMatching(/^delivered: 200 in \d+ ms/) });
    expect(receiver.at('/hook').map((r) => [r.json?.type, r.verifiedBy])).toEqual([['webhook.test', [0]]]);
    await receiver.stop();
    const down = await cli(['webhook', 'test', hid], env);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^not delivered: request failed/);
    expect((await cli(['webhook', 'rm', hid], env)).code).toBe(0);

    const rules = join(home, 'r.yaml');
    writeFileSync(rules, '- rule: x\n  desc: d\n  condition: evt.type = open and\n  output: o\n  priority: ERROR\n');
    const invalid = await cli(['rules', 'validate', rules]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toMatch(/INVALID/);
    expect((await cli(['rules', 'validate', 'sandbox-profiles/rules/network.yaml'])).code).toBe(0);

    const completion = await cli(['completion', 'bash']);
    expect(completion.stdout).toContain('complete -F _quarantine quarantine');
    expect(completion.stdout).toContain('"watch") words="add list rm');
  }, 30_000);
});
