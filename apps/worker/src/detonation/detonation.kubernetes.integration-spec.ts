/**
 * A whole detonation on the Kubernetes runtime through the worker's DetonationService: real Redis
 * (db 20), real profiles and rules, real analyzer; the Kubernetes API is a fake at the client
 * boundary (no API server can run here) that plays the kubelet and streams, as the probe sidecar's
 * log, a real strace capture (libs/analysis/src/probes/__fixtures__/revshell.strace, captured on
 * this machine by the Docker flow, same strace flags as the sidecar's agent).
 */
import { detonationService, detonationWorld } from './detonation.it-support.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistryClient } from '#core/image/registry-client';
import { SupplyChainGate } from '#core/image/supply-chain';
import type { AnalysisRecord } from '#core/storage/analysis.types';
import { KubernetesRuntime } from '#sandbox/kubernetes/kubernetes-runtime';
import { AGENT_PREFIX } from '#sandbox/kubernetes/objects';
import type { ResolvedImage, SandboxRuntime } from '#sandbox/sandbox-runtime';
import { FakeKubeClient, podWith, running, terminated } from '../../../../test/support/fake-kube-client.js';

const fixture = readFileSync(join(process.cwd(), 'libs/analysis/src/probes/__fixtures__/revshell.strace'), 'utf8').split('\n').filter(Boolean);
const image: ResolvedImage = {
  imageId: 'sha256:' + 'a'.repeat(64),
  digest: 'sha256:' + 'b'.repeat(64),
  repoDigests: ['registry.local:5000/samples/revshell@sha256:' + 'b'.repeat(64)],
  repoTags: [],
  entrypoint: ['/bin/revshell'],
  cmd: [],
  user: '',
  env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  workingDir: '/',
};

const world = detonationWorld(20, '5s');

function record(id: string, profile: string): AnalysisRecord {
  return {
    id, image: 'registry.local:5000/samples/revshell:1', digest: null, imageId: null, profile, probe: 'strace', runtime: 'kubernetes',
    status: 'queued', phase: 'queued', verdict: null, score: null, findings: [], labels: {}, priority: 5, rulesVersion: null,
    createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, attempts: 0, error: null, submittedBy: 'test',
  };
}

function service(client: FakeKubeClient, withKubernetes = true) {
  const kubernetes = new KubernetesRuntime({ client, resolveImage: async () => image, probeImage: 'quarantine/probe:1', netsimImage: 'quarantine/netsim:1', workerServiceAccount: { namespace: 'quarantine', name: 'quarantine-worker' } });
  const docker = { kind: 'docker', reap: async () => [], resolveImage: async () => { throw new Error('docker must not be used'); }, create: async () => { throw new Error('docker must not be used'); }, ping: async () => true } as unknown as SandboxRuntime;
  // registry.local is not reachable here: the gate's registry answers with the image's digest (boundary fake).
  const registry = { resolve: async () => ({ digest: image.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json' }) } as unknown as RegistryClient;
  const gate = new SupplyChainGate(['registry.local:5000'], registry);
  return detonationService(world, docker, withKubernetes ? kubernetes : null, gate);
}

const SIM_IP = '10.42.0.9';
const b64 = (s: string) => Buffer.from(s).toString('base64');
/** What netsim.py in the simulator pod writes on stdout (NetCapture lines) for a miner's first moves. */
const captureLines = [
  { v: 1, ts: Date.now(), kind: 'dns', transport: 'udp', src: { ip: '10.42.0.10', port: 40000 }, dst: { ip: SIM_IP, port: 53 }, dns: { name: 'pool.supportxmr.com', type: 'A', answers: [SIM_IP] }, bytesIn: 37 },
  { v: 1, ts: Date.now(), kind: 'tcp', transport: 'tcp', src: { ip: '10.42.0.10', port: 40001 }, dst: { ip: SIM_IP, port: 3333 }, firstBytes: b64('{"id":1,"method":"login","params":{"login":"4Abc","pass":"x","agent":"xmrig/6.21"}}\n'), bytesIn: 80 },
].map((r) => JSON.stringify(r));

/** Plays the kubelet and the probe sidecar for one pod (and the simulator pod, with the simulated network). */
async function kubelet(client: FakeKubeClient, network = true): Promise<void> {
  const until = async (cond: () => boolean) => {
    const end = Date.now() + 5000;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`kubelet: condition not reached; calls: ${client.calls.join(', ')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  if (network) {
    await until(() => client.calls.includes('watch Pod netsim'));
    client.podEvent('ADDED', podWith({ name: 'netsim', phase: 'Running', podIP: SIM_IP, containers: [running('netsim')] }));
    await until(() => client.hasStream('netsim'));
  }
  await until(() => client.calls.includes('watch Pod sample') && client.calls.lastIndexOf('create Pod') > client.calls.indexOf('watch Pod sample'));
  client.podEvent('ADDED', podWith({ phase: 'Pending', init: [terminated('hold-install', 0), running('probe')] }));
  await until(() => client.hasStream('probe'));
  await client.log('probe', `${AGENT_PREFIX}started`, `${AGENT_PREFIX}held pid=6486 uid=0 gid=0`);
  client.podEvent('MODIFIED', podWith({ phase: 'Running', init: [terminated('hold-install', 0), running('probe')], containers: [running('sample')] }));
  await client.log('probe', `${AGENT_PREFIX}attached pid=6486`, ...fixture);
  if (network) await client.log('netsim', ...captureLines);
  client.staticLogs.set('sample', 'connecting\n');
  await client.log('probe', `${AGENT_PREFIX}exit code=0`);
  client.podEvent('MODIFIED', podWith({ phase: 'Succeeded', init: [terminated('hold-install', 0), terminated('probe', 137)], containers: [terminated('sample', 1)] }));
}

describe('DetonationService on the kubernetes runtime', () => {
  it('detonates through the sidecar trace and the simulator pod, scores both with the real rules and deletes the namespace', async () => {
    const client = new FakeKubeClient();
    const { svc, repo, artifacts } = service(client);
    await repo.create(record('k8s-revshell', 'kubernetes'));
    const [out] = await Promise.all([svc.run('k8s-revshell'), kubelet(client)]);
    expect(out.outcome).toBe('completed');
    const rec = await repo.get('k8s-revshell');
    expect(rec).toMatchObject({ status: 'completed', digest: image.digest });
    expect(['suspicious', 'malicious']).toContain(rec!.verdict);
    const report = await artifacts.readJson<{ runtime: string; sandbox: { id: string }; exit: { exitCode: number }; output: { stdout: string }; findings: { rule: string }[]; probe: { complete: boolean; events: number } }>('k8s-revshell', 'report.json');
    expect(report).toMatchObject({ runtime: 'kubernetes', exit: { exitCode: 1 }, output: { stdout: 'connecting\n' }, probe: { complete: true } });
    expect(report!.probe.events).toBeGreaterThan(10);
    expect(report!.findings.length).toBeGreaterThan(0);
    // The simulator pod's capture became network events and findings, and was stored with the analysis.
    expect(report!.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['Mining Pool Name Contacted', 'Stratum Mining Login']));
    expect((report as unknown as { network: { mode: string; incomplete?: string } }).network).toMatchObject({ mode: 'simulated' });
    expect((report as unknown as { network: { incomplete?: string } }).network.incomplete).toBeUndefined();
    expect(rec!.verdict).toBe('malicious');
    expect(report!.sandbox.id).toMatch(/^qsbx-k8s-revshell-[0-9a-f]{6}\/sample$/);
    // A first attempt has no previous sandbox to reap (only retries reap first): the sandbox's namespace
    // is the first call; it is gone at the end.
    expect(client.sequence()[0]).toBe('create Namespace');
    expect(client.sequence()).not.toContain('list Namespace quarantine.io/sandbox=true,quarantine.io/analysis-id=k8s-revshell');
    expect(client.deleted).toEqual([client.lastNamespace()]);
    expect(client.openWatches).toBe(0);
  });

  it('a probe that never attaches leaves no namespace behind', async () => {
    const client = new FakeKubeClient();
    const { svc, repo } = service(client);
    await repo.create(record('k8s-noattach', 'kubernetes'));
    const play = (async () => {
      const end = Date.now() + 5000;
      while (!client.calls.includes('watch Pod netsim') && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      client.podEvent('ADDED', podWith({ name: 'netsim', phase: 'Running', podIP: SIM_IP, containers: [running('netsim')] }));
      while (!client.calls.includes('watch Pod sample') && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20));
      client.podEvent('ADDED', podWith({ phase: 'Pending', init: [running('probe')] }));
      while (!client.hasStream('probe') && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      await client.log('probe', `${AGENT_PREFIX}failed strace did not attach within 10 s`);
    })();
    await expect(svc.run('k8s-noattach')).rejects.toThrow('probe agent: strace did not attach');
    await play;
    expect(client.deleted).toEqual([client.lastNamespace()]);
  });

  it('a kubernetes profile on a worker without K8S_RUNTIME fails the analysis with the reason, creating nothing', async () => {
    const client = new FakeKubeClient();
    const { svc, repo } = service(client, false);
    await repo.create(record('k8s-off', 'kubernetes'));
    await expect(svc.run('k8s-off')).rejects.toThrow('K8S_RUNTIME=on');
    expect(await repo.get('k8s-off')).toMatchObject({ status: 'failed', verdict: 'error' });
    expect(client.calls).toEqual([]);
  });
});
