/**
 * limits.disk through the worker's DetonationService (issue 13), real Redis (db 28), real profiles,
 * rules and analyzer:
 *  - a Docker engine whose storage driver cannot enforce the limit fails the analysis at once, with
 *    the operator's fix in the record, and runs nothing (the engine is real Docker, except that
 *    `docker info` reports overlay2 on ext4: reconfiguring the shared dockerd is not an option here);
 *  - a Kubernetes pod evicted for ephemeral storage gives the disk-limit finding and a verdict that
 *    is not clean (inconclusive: the eviction also kills the probe sidecar) (the API is a fake at the client boundary, as in detonation.kubernetes.integration-spec.ts).
 */
import { detonationService, detonationWorld } from './detonation.it-support.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import Docker from 'dockerode';
import type { RegistryClient } from '#core/image/registry-client';
import { SupplyChainGate } from '#core/image/supply-chain';
import type { AnalysisRecord } from '#core/storage/analysis.types';
import { DockerRuntime } from '#sandbox/docker/docker-runtime';
import { KubernetesRuntime } from '#sandbox/kubernetes/kubernetes-runtime';
import { AGENT_PREFIX } from '#sandbox/kubernetes/objects';
import type { ResolvedImage, SandboxRuntime } from '#sandbox/sandbox-runtime';
import { FakeKubeClient, playSimulatorPod, podWith, running, samplePodCreated, terminated } from '../../../../test/support/fake-kube-client.js';

const docker = new Docker();
const world = detonationWorld(28, '3s');

function record(id: string, image: string, profile: string, runtime: string): AnalysisRecord {
  return {
    id, image, digest: null, imageId: null, profile, probe: 'strace', runtime,
    status: 'queued', phase: 'queued', verdict: null, score: null, findings: [], labels: {}, priority: 5, rulesVersion: null,
    createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, attempts: 0, error: null, submittedBy: 'test',
  } as AnalysisRecord;
}

function service(runtime: SandboxRuntime, kubernetes: SandboxRuntime | null, gate = new SupplyChainGate([], {} as RegistryClient)) {
  return detonationService(world, runtime, kubernetes, gate);
}

describe('limits.disk through the DetonationService', () => {
  it('fails closed on a storage driver without quotas: failed at once, verdict error, the fix named, nothing created', async () => {
    const created: unknown[] = [];
    const engine = new Proxy(docker, {
      get(target, prop) {
        if (prop === 'info') return async () => ({ ...(await target.info()), Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs']] });
        if (prop === 'createContainer') return async (o: unknown) => { created.push(o); throw new Error('must not be called'); };
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const runtime = new DockerRuntime({ docker: engine, holdTarPath: join(process.cwd(), 'dist/assets/hold.tar') });
    const { svc, repo } = service(runtime, null);
    await repo.create(record('disk-overlay2', 'quarantine-samples/disk-fill:latest', 'e2e', 'runc'));
    const err = await svc.run('disk-overlay2').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(created).toEqual([]);
    const rec = await repo.get('disk-overlay2');
    expect(rec).toMatchObject({ status: 'failed', verdict: 'error' });
    expect(rec!.error).toMatch(/storage driver \(overlay2 on extfs\) cannot enforce the profile's disk limit \(limits\.disk\).*scripts\/host-deps\.sh/);
  });

  it('Kubernetes: a pod evicted for ephemeral storage is the disk-limit finding, not clean', async () => {
    const image: ResolvedImage = {
      imageId: 'sha256:' + 'a'.repeat(64), digest: 'sha256:' + 'c'.repeat(64), repoDigests: ['registry.local:5000/samples/disk-fill@sha256:' + 'c'.repeat(64)],
      repoTags: [], entrypoint: ['/usr/local/bin/disk-fill'], cmd: [], user: '', env: [], workingDir: '/',
    };
    const client = new FakeKubeClient();
    const kubernetes = new KubernetesRuntime({ client, resolveImage: async () => image, probeImage: 'quarantine/probe:1', netsimImage: 'quarantine/netsim:1', workerServiceAccount: { namespace: 'quarantine', name: 'quarantine-worker' } });
    const noDocker = { kind: 'docker', reap: async () => [], ping: async () => true } as unknown as SandboxRuntime;
    const registry = { resolve: async () => ({ digest: image.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json' }) } as unknown as RegistryClient;
    const { svc, repo, artifacts } = service(noDocker, kubernetes, new SupplyChainGate(['registry.local:5000'], registry));
    await repo.create(record('disk-k8s', 'registry.local:5000/samples/disk-fill:1', 'kubernetes', 'kubernetes'));
    const kubelet = async () => {
      const until = async (cond: () => boolean) => {
        const end = Date.now() + 5000;
        while (!cond()) {
          if (Date.now() > end) throw new Error(`kubelet: condition not reached; calls: ${client.calls.join(', ')}`);
          await new Promise((r) => setTimeout(r, 5));
        }
      };
      // The kubernetes profile has the simulated network: its pod runs first.
      await playSimulatorPod(client);
      await samplePodCreated(client);
      client.podEvent('ADDED', podWith({ phase: 'Pending', init: [terminated('hold-install', 0), running('probe')] }));
      await until(() => client.hasStream('probe'));
      await client.log('probe', `${AGENT_PREFIX}started`, `${AGENT_PREFIX}held pid=77 uid=0 gid=0`);
      client.podEvent('MODIFIED', podWith({ phase: 'Running', init: [terminated('hold-install', 0), running('probe')], containers: [running('sample')] }));
      await client.log('probe', `${AGENT_PREFIX}attached pid=77`, '77 1700000000.000001 execve("/usr/local/bin/disk-fill", ["/usr/local/bin/disk-fill"], 0x7ffd /* 1 var */) = 0');
      await client.log('probe', `${AGENT_PREFIX}exit code=137`);
      const evicted = podWith({ phase: 'Failed', reason: 'Evicted', init: [terminated('hold-install', 0), terminated('probe', 137)], containers: [terminated('sample', 137, 'Error')] });
      evicted.status!.message = 'Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. ';
      client.podEvent('MODIFIED', evicted);
    };
    const [out] = await Promise.all([svc.run('disk-k8s'), kubelet()]);
    expect(out.outcome).toBe('completed');
    const rec = await repo.get('disk-k8s');
    // The eviction kills the whole pod, the strace sidecar too: the trace is cut short, so a suspicious
    // score is reported as inconclusive (it cannot rule out worse). Either way: never clean.
    expect(['suspicious', 'malicious', 'inconclusive']).toContain(rec!.verdict);
    expect(rec!.score).toBeGreaterThanOrEqual(20);
    expect(rec!.findings.map((f) => f.rule)).toContain('Sandbox Disk Limit Reached');
    const report = await artifacts.readJson<{ limits: { diskLimitHits: number; diskLimitBytes: number } }>('disk-k8s', 'report.json');
    expect(report!.limits).toMatchObject({ diskLimitHits: 1, diskLimitBytes: 1024 ** 3 });
    const pod = client.created.find((o) => o.kind === 'Pod' && (o.metadata as { name: string }).name === 'sample') as unknown as { spec: { containers: { name: string; resources: { limits: Record<string, string> } }[] } };
    expect(pod.spec.containers.find((c) => c.name === 'sample')!.resources.limits['ephemeral-storage']).toBe(String(1024 ** 3));
    expect(readFileSync(join(world.profilesDir, 'kubernetes.yaml'), 'utf8')).toMatch(/disk: 1g/);
  });
});
