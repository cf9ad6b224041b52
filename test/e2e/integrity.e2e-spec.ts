import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { ArtifactStore } from '../../libs/core/src/storage/artifact.store.js';
import { e2eProfilesDir } from '../support/profiles.js';
import { type Stack, client, startStack, waitFor } from '../support/stack.js';
import { WebhookReceiver, freeLoopbackPort } from '../support/webhook-receiver.js';

// Run integrity (issue 12, docs/run-integrity.md), end to end with real Docker, Redis and the
// default ebpf probe and strace: a sample that sleeps past the window is caught when the window is
// extended, or inconclusive ("dormant at window end") when it sleeps past the maximum; a sample that
// floods the trace until the budget is hit is not clean; under gVisor (no host view) a sample whose
// every syscall in progress at window end is a sleep is inconclusive too; a weaker re-run of a malicious digest
// cannot launder the admission verdict; a rescore moves it and sends verdict.changed.
const docker = new Docker();
let stack: Stack;
let api: ReturnType<typeof client>;
let receiver: WebhookReceiver;
let profilesDir: string;
const submitted: string[] = [];

const SHIPPED_RULES = join(process.cwd(), 'sandbox-profiles', 'rules', '*.yaml');
const profile = (name: string, lines: string[]) =>
  writeFileSync(join(profilesDir, `${name}.yaml`), [`name: ${name}`, 'runtime: runc', 'capabilities: default', ...lines, 'rules:', `  - ${SHIPPED_RULES}`, ''].join('\n'));

beforeAll(async () => {
  for (const image of ['integrity-nap', 'integrity-dormant', 'integrity-flood', 'shadow-reader', 'server']) {
    await docker.getImage(`quarantine-samples/${image}:latest`).inspect().catch(() => {
      throw new Error(`missing quarantine-samples/${image} (run test/samples/build.sh)`);
    });
  }
  profilesDir = e2eProfilesDir('2s');
  // Short windows: 2 s, extended up to 6 s while the sample only sleeps.
  profile('dormancy', ['probe: ebpf', 'limits:', '  memory: 64m', '  pids: 32', '  window: 2s', '  maxWindow: 6s', '  output: 4k', '  trace: 16m']);
  // gVisor: no host view of the sample's tasks; dormancy is read from its syscall log.
  writeFileSync(join(profilesDir, 'dormancy-gvisor.yaml'), ['name: dormancy-gvisor', 'runtime: runsc', 'probe: gvisor', 'limits:', '  memory: 256m', '  pids: 128', '  window: 3s', '  output: 4k', '  trace: 16m', 'rules:', `  - ${SHIPPED_RULES}`, ''].join('\n'));
  // A 1 MiB trace budget that a flood exhausts in well under the window.
  profile('flood', ['probe: ebpf', 'limits:', '  memory: 64m', '  pids: 32', '  window: 20s', '  output: 4k', '  trace: 1m']);
  // A weaker profile an analyst could pick: silences the rule that convicts.
  profile('lenient', ['probe: ebpf', 'limits:', '  memory: 64m', '  pids: 32', '  window: 4s', '  output: 4k', '  trace: 16m', 'allow:', '  - Password Hash File Read']);
  // The admission profile (the shipped default) also reads a rule file the rescore test rewrites.
  writeFileSync(join(profilesDir, 'custom', 'integrity.yaml'), '- list: integrity_e2e_placeholder\n  items: []\n');
  const def = join(profilesDir, 'default.yaml');
  writeFileSync(def, readFileSync(def, 'utf8').replace(`  - ${SHIPPED_RULES}`, `  - ${SHIPPED_RULES}\n  - custom/integrity.yaml`));
  receiver = new WebhookReceiver(await freeLoopbackPort(), []);
  receiver.on('/verdicts', () => ({ status: 200 }));
  await receiver.start();
  stack = await startStack({
    db: 21,
    workers: 2,
    env: { PROFILES_DIR: profilesDir, WORKER_CONCURRENCY: '3', WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32', WEBHOOK_BACKOFF_BASE_MS: '200', WEBHOOK_BACKOFF_MAX_MS: '1000' },
  });
  api = client(stack);
}, 60_000);

afterAll(async () => {
  await receiver?.stop();
  await stack?.stop();
  for (const id of submitted) {
    const left = await docker.listContainers({ all: true, filters: { label: [`org.quarantine.analysis-id=${id}`] } });
    expect({ id, left: left.map((c) => c.Names) }).toEqual({ id, left: [] });
  }
});

async function run(image: string, profileName: string, probe?: string): Promise<{ a: any; report: any; rules: string[] }> {
  const sub = await api.submit({ image: `quarantine-samples/${image}:latest`, profile: profileName, ...(probe ? { probe } : {}) });
  expect(sub.status).toBe(202);
  submitted.push(sub.json.id);
  const a = await api.waitDone(sub.json.id, 90_000);
  const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
  return { a, report, rules: a.findings.map((f: { rule: string }) => f.rule) };
}

describe('dormancy and trace budget (ebpf and strace)', () => {
  it('extends the window for a short sleeper (caught), ends a long sleeper dormant (inconclusive), leaves a server clean; a trace flood is never clean', async () => {
    const [napE, napS, dormE, dormS, server, floodE, floodS, dormG] = await Promise.all([
      run('integrity-nap', 'dormancy'),
      run('integrity-nap', 'dormancy', 'strace'),
      run('integrity-dormant', 'dormancy'),
      run('integrity-dormant', 'dormancy', 'strace'),
      run('server', 'dormancy'),
      run('integrity-flood', 'flood'),
      run('integrity-flood', 'flood', 'strace'),
      run('integrity-dormant', 'dormancy-gvisor'),
    ]);

    // Sleeps 4 s in a 2 s window: the window grows while it only sleeps, and its /etc/shadow read is seen.
    for (const { a, report, rules } of [napE, napS]) {
      expect({ probe: a.probe, verdict: a.verdict }).toEqual({ probe: a.probe, verdict: 'malicious' });
      expect(rules).toContain('Password Hash File Read');
      expect(report.exit.windowExpired).toBe(false);
      expect(report.exit.window).toMatchObject({ windowSeconds: 2, maxWindowSeconds: 6, endedBy: 'exit', dormant: false });
      expect(report.exit.window.extendedMs).toBeGreaterThan(1000);
      expect(report.exit.window.extendedMs).toBeLessThan(4000);
    }

    // Sleeps 600 s: past the 6 s maximum, so the window ends at once, dormant — inconclusive, never clean.
    for (const { a, report, rules } of [dormE, dormS]) {
      expect({ probe: a.probe, verdict: a.verdict }).toEqual({ probe: a.probe, verdict: 'inconclusive' });
      expect(report.scoring.reasons.join('\n')).toMatch(/inconclusive: dormant at window end \(.*nanosleep/);
      expect(rules).toContain('Sandbox Sample Dormant at Window End');
      expect(rules).not.toContain('Password Hash File Read');
      expect(report.exit.window).toMatchObject({ activity: 'dormant', dormant: true, endedBy: 'window', extendedMs: 0 });
      expect(report.exit.window.detail).toMatch(/past the maximum window/);
      expect(report.exit.runMs).toBeLessThan(4500);
    }

    // gVisor: not determinable from the host, but every syscall in progress at the window's end was a sleep.
    if (dormG.a.verdict !== 'inconclusive') console.log(JSON.stringify({ probe: dormG.report.probe, exit: dormG.report.exit, reasons: dormG.report.scoring.reasons }));
    expect(dormG.a.verdict).toBe('inconclusive');
    expect(dormG.report.exit.window).toMatchObject({ activity: 'undetermined', dormant: false });
    expect(dormG.report.scoring.reasons.join('\n')).toMatch(/inconclusive: dormant at window end \(.*every one of the \d+ syscall\(s\) in progress when the window ended was a sleep/);

    // Listening and blocked in accept: serving, not dormant; no extension, still clean.
    expect(server.a.verdict).toBe('clean');
    expect(server.report.exit.window).toMatchObject({ activity: 'serving', dormant: false, extendedMs: 0 });

    // Floods the trace past its 1 MiB budget: stopped early, inconclusive (its shadow read comes after).
    for (const { a, report, rules } of [floodE, floodS]) {
      expect({ probe: a.probe, verdict: a.verdict }).toEqual({ probe: a.probe, verdict: 'inconclusive' });
      expect(report.probe.budgetExceeded).toBe(true);
      expect(rules).toContain('Sandbox Trace Budget Exceeded');
      expect(report.scoring.reasons.join('\n')).toMatch(/inconclusive: the trace budget was exhausted/);
      expect(report.exit.window).toMatchObject({ endedBy: 'budget', dormant: false });
    }
  }, 120_000);
});

describe('verdicts bound to what produced them', () => {
  it('a weaker re-run cannot launder a malicious digest; a rescore moves the admission verdict and sends verdict.changed', async () => {
    const hook = await api.call('POST', '/v1/webhooks', { url: `${receiver.url}/verdicts`, events: ['verdict.changed'], filter: { image: 'quarantine-samples/shadow-reader:*' } });
    expect(hook.status).toBe(201);
    const deliveries = async () => (await api.call('GET', `/v1/webhooks/${hook.json.id}/deliveries`)).json.items as { event: string; analysisId: string }[];

    // Under the admission profile (default, its ebpf probe): malicious, and it is the admission verdict.
    const strong = await run('shadow-reader', 'default');
    expect(strong.a).toMatchObject({ verdict: 'malicious', countsForAdmission: true });
    expect(strong.report.admission).toMatchObject({ countsForAdmission: true });
    const key = `q:verdict:${strong.a.digest}`;
    expect(JSON.parse((await stack.redis.get(key))!)).toMatchObject({ verdict: 'malicious', analysisId: strong.a.id, profile: 'default', probe: 'ebpf' });

    // Re-run under a weaker profile (allow-lists the rule) and under default with another probe: clean,
    // later — but neither counts, so admission still sees malicious, and no verdict.changed is sent.
    const [weak, otherProbe] = await Promise.all([run('shadow-reader', 'lenient'), run('shadow-reader', 'default', 'strace')]);
    expect(weak.a.verdict).toBe('clean');
    expect(weak.a).toMatchObject({ countsForAdmission: false, admissionReason: expect.stringContaining('profile "lenient" is not an admission profile') });
    expect(otherProbe.a).toMatchObject({ countsForAdmission: false, admissionReason: expect.stringContaining('probe "strace" overrides') });
    expect(weak.report.admission).toMatchObject({ countsForAdmission: false });
    expect(JSON.parse((await stack.redis.get(key))!)).toMatchObject({ verdict: 'malicious', analysisId: strong.a.id });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await deliveries()).filter((d) => d.event === 'verdict.changed')).toEqual([]);

    // The rules change (the default profile's extra file disables the rule) and the strong run is rescored:
    // its admission verdict follows, the drift section is kept, verdict.changed is sent once.
    writeFileSync(join(profilesDir, 'custom', 'integrity.yaml'), '- rule: Password Hash File Read\n  enabled: false\n');
    // A drift section, as a watch's rescan would have written it, must survive the rescore.
    const artifacts = new ArtifactStore(stack.artifactDir);
    const drift = { changed: true, previousAnalysisId: 'an-earlier-run', analysisId: strong.a.id, digestChanged: false };
    await artifacts.writeJson(strong.a.id, 'report.json', { ...(await artifacts.readJson<object>(strong.a.id, 'report.json')), drift });
    expect((await api.call('POST', `/v1/analyses/${strong.a.id}/rescore`)).status).toBe(202);
    await waitFor(async () => Boolean((await api.get(strong.a.id)).json.rescoredAt), 30_000, () => stack.logs().slice(-3000));
    const after = (await api.get(strong.a.id)).json;
    expect(after).toMatchObject({ verdict: 'clean', countsForAdmission: true, admissionUpdate: { applied: true, previousVerdict: 'malicious' } });
    expect(JSON.parse((await stack.redis.get(key))!)).toMatchObject({ verdict: 'clean', analysisId: strong.a.id });
    await waitFor(() => receiver.at('/verdicts').length === 1, 20_000, () => stack.logs().slice(-3000));
    expect(receiver.at('/verdicts')[0].json).toMatchObject({ type: 'verdict.changed', data: { analysisId: strong.a.id, verdict: 'clean', previousVerdict: 'malicious' } });
    const rescored = (await api.call('GET', `/v1/analyses/${strong.a.id}/report`)).json;
    expect(rescored.previous).toMatchObject({ verdict: 'malicious' });
    expect(rescored.admission).toMatchObject({ countsForAdmission: true });
    expect(rescored.drift).toEqual(drift);
    // Rescoring the weak run does not touch the admission verdict, and sends nothing.
    expect((await api.call('POST', `/v1/analyses/${weak.a.id}/rescore`)).status).toBe(202);
    await waitFor(async () => Boolean((await api.get(weak.a.id)).json.rescoredAt), 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(JSON.parse((await stack.redis.get(key))!)).toMatchObject({ verdict: 'clean', analysisId: strong.a.id });
    expect(receiver.at('/verdicts')).toHaveLength(1);
  }, 120_000);
});
