import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { e2eProfilesDir } from '../support/profiles.js';
import { type Stack, client, startStack } from '../support/stack.js';

// Issue 11 through the whole stack (API → worker → real Docker sandbox → strace / ebpf → rules):
// credential lures are planted and reading one is a finding naming it; the sandbox shows none of
// the tells a sandbox-aware sample checks (so it acts and is caught); a service whose bad handler
// runs only on request is visited on its port and caught. Samples: test/samples/src/{lure-aws-reader,
// tell-evasive,stim-admin-server}.c. All analyses run side by side (worker concurrency 3).
const docker = new Docker();
let stack: Stack;
let api: ReturnType<typeof client>;
const submitted: string[] = [];

const IMAGES = ['lure-aws-reader', 'tell-evasive', 'stim-admin-server'];
const PROBES = ['strace', 'ebpf'] as const;

interface Report {
  verdict: string;
  score: number;
  findings: { rule: string; priority: string; output: string; tags: string[] }[];
  lures: { kind: string; location: string; secrets: string[] }[];
  stimulation: { enabled: boolean; skipped?: string; ports: { port: number; source: string; kind: string; requests: { path?: string; status?: number; error?: string }[] }[] } | null;
  sandbox: { hostname: string };
  output: { stdout: string; stderr: string };
}

const runs = new Map<string, Promise<{ verdict: string; report: Report }>>();

function analyse(image: string, probe: string, profile = 'e2e'): Promise<{ verdict: string; report: Report }> {
  const key = `${image}/${probe}/${profile}`;
  let p = runs.get(key);
  if (!p) {
    p = (async () => {
      const res = await api.submit({ image: `quarantine-samples/${image}:latest`, profile, probe, labels: { suite: 'issue-11' } });
      expect(res.status).toBe(202);
      submitted.push(res.json.id);
      const a = await api.waitDone(res.json.id, 120_000);
      expect({ status: a.status, error: a.error ?? null }).toEqual({ status: 'completed', error: null });
      const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json as Report;
      return { verdict: a.verdict as string, report };
    })();
    runs.set(key, p);
  }
  return p;
}

const describeRun = (r: Report) => `${r.verdict} ${r.score}\n${r.findings.map((f) => `  [${f.priority}] ${f.rule}: ${f.output}`).join('\n')}\n${r.output.stdout}${r.output.stderr}`;

beforeAll(async () => {
  for (const i of IMAGES) execFileSync('docker', ['image', 'inspect', `quarantine-samples/${i}:latest`], { stdio: 'ignore' });
  const profiles = e2eProfilesDir('4s');
  const rules = join(process.cwd(), 'sandbox-profiles', 'rules', '*.yaml');
  writeFileSync(
    join(profiles, 'e2e-nostim.yaml'),
    ['name: e2e-nostim', 'stimulate: false', 'lures: false', 'limits:', '  memory: 64m', '  pids: 32', '  window: 4s', '  output: 4k', 'rules:', `  - ${rules}`, ''].join('\n'),
  );
  stack = await startStack({ db: 14, workers: 1, env: { PROFILES_DIR: profiles, WORKER_CONCURRENCY: '3' } });
  api = client(stack);
  // Submit everything at once; the tests below await their own run.
  for (const probe of PROBES) for (const image of IMAGES) void analyse(image, probe).catch(() => undefined);
  void analyse('stim-admin-server', 'strace', 'e2e-nostim').catch(() => undefined);
  void analyse('lure-aws-reader', 'strace', 'e2e-nostim').catch(() => undefined);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  for (const id of submitted) {
    const left = await docker.listContainers({ all: true, filters: { label: [`org.quarantine.analysis-id=${id}`] } });
    expect({ id, left: left.map((c) => c.Names) }).toEqual({ id, left: [] });
  }
});

describe.each(PROBES)('issue 11 under %s', (probe) => {
  it('a sample reading ~/.aws/credentials gets a credential-access finding naming the lure', async () => {
    const { verdict, report } = await analyse('lure-aws-reader', probe);
    const lure = report.lures.find((l) => l.kind === 'aws-credentials');
    expect(lure).toMatchObject({ location: '/root/.aws/credentials' });
    expect(lure!.secrets[0]).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(report.output.stdout).toContain('access key id found');
    const f = report.findings.find((x) => x.rule === 'Credential Lure Read');
    expect({ f: f ? { output: f.output.includes('lure=aws-credentials') && f.output.includes('file=/root/.aws/credentials'), tags: f.tags.includes('T1552.001') } : describeRun(report) }).toEqual({ f: { output: true, tags: true } });
    expect(verdict).not.toBe('clean');
    // Env lures too, and the k8s token, an SSH key, docker/git/npm credentials in root's home.
    expect(report.lures.map((l) => l.kind).sort()).toEqual(['aws-credentials', 'aws-env', 'aws-env', 'docker-config', 'gcp-service-account', 'git-credentials', 'k8s-token', 'npmrc', 'ssh-key']);
  }, 150_000);

  it('a sample that hides from sandbox tells sees none, acts, and its tell checks are findings', async () => {
    const { verdict, report } = await analyse('tell-evasive', probe);
    expect(report.sandbox.hostname).not.toMatch(/^[0-9a-f]{12}$/);
    expect(report.sandbox.hostname).toMatch(/^tell-evasive-[a-z0-9]{9,10}-[a-z0-9]{5}$/);
    expect({ out: report.output.stdout.includes('acting'), detail: report.output.stdout }).toMatchObject({ out: true });
    const rules = new Set(report.findings.map((f) => f.rule));
    expect({ rules: [...rules].sort(), ok: ['Password Hash File Read', 'Sandbox or Virtualization Check', 'Container Tell Check'].every((r) => rules.has(r)) }).toMatchObject({ ok: true });
    expect(report.findings.find((f) => f.rule === 'Container Tell Check')!.tags).toContain('T1497.001');
    expect(verdict).toBe('malicious');
  }, 150_000);

  it('a service that misbehaves only on /admin is visited on its port and caught', async () => {
    const { verdict, report } = await analyse('stim-admin-server', probe);
    expect(report.stimulation?.enabled).toBe(true);
    const port = report.stimulation!.ports.find((p) => p.port === 8080);
    expect(port).toMatchObject({ source: 'exposed+listening', kind: 'http' });
    expect(port!.requests.map((r) => [r.path, r.status])).toEqual([
      ['/', 404],
      ['/health', 404],
      ['/api', 404],
      ['/login', 404],
      ['/admin', 200],
      ['/.env', 404],
    ]);
    expect({ verdict, detail: verdict === 'malicious' ? '' : describeRun(report) }).toEqual({ verdict: 'malicious', detail: '' });
    expect(report.findings.map((f) => f.rule)).toContain('Password Hash File Read');
  }, 150_000);
});

it('without stimulation the same service stays quiet (clean), and no lures are planted with lures: false', async () => {
  const { verdict, report } = await analyse('stim-admin-server', 'strace', 'e2e-nostim');
  expect(report.stimulation).toMatchObject({ enabled: false, ports: [] });
  expect(report.findings.map((f) => f.rule)).not.toContain('Password Hash File Read');
  expect(verdict).toBe('clean');
  const quiet = await analyse('lure-aws-reader', 'strace', 'e2e-nostim');
  expect(quiet.report.lures).toEqual([]);
  expect(quiet.report.output.stdout).toContain('no credentials');
  expect(quiet.report.findings.map((f) => f.rule)).not.toContain('Credential Lure Read');
}, 150_000);

it('lure values are fresh for every analysis', async () => {
  const all = await Promise.all(PROBES.flatMap((p) => IMAGES.map((i) => analyse(i, p))));
  const seen = new Map<string, number>();
  for (const [n, { report }] of all.entries()) {
    expect(report.lures.length).toBeGreaterThanOrEqual(9);
    for (const s of report.lures.flatMap((l) => l.secrets)) {
      expect({ s, other: seen.get(s) }).toEqual({ s, other: undefined });
      seen.set(s, n);
    }
  }
  expect(seen.size).toBeGreaterThan(60);
}, 150_000);
