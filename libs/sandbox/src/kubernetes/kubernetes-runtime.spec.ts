/**
 * The Kubernetes runtime's call sequence and its cleanup on every failure path. No Kubernetes API
 * server can run on this machine, so the API is a fake at the client boundary (FakeKubeClient, which
 * records calls and lets the test play the kubelet); every object the runtime sends is validated
 * against the Kubernetes OpenAPI schemas (kubernetes-models, strict about unknown fields). The real
 * client adapter and the real kubelet behaviour are covered by `npm run test:k8s` on a real cluster.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FalcoProbe } from '#sandbox/probes/falco.probe';
import { ProbeStartError } from '#sandbox/probes/probe';
import type { ResolvedImage, SandboxSpec } from '#sandbox/sandbox-runtime';
import { FakeKubeClient, apiError, podWith, running, terminated, waiting } from '../../../../test/support/fake-kube-client.js';
import { validateK8sObject } from '../../../../test/support/k8s-schema.js';
import { KubernetesRuntime, type KubernetesRuntimeOptions } from './kubernetes-runtime.js';
import { AGENT_PREFIX, K8S_ANNOTATIONS } from './objects.js';

const image: ResolvedImage = {
  imageId: 'sha256:' + 'a'.repeat(64),
  digest: 'sha256:' + 'b'.repeat(64),
  repoDigests: ['registry.local:5000/samples/benign@sha256:' + 'b'.repeat(64)],
  repoTags: ['registry.local:5000/samples/benign:1'],
  entrypoint: ['/bin/sh', '-c'],
  cmd: ['echo hi'],
  user: '1000:1000',
  env: [],
  workingDir: '/',
};

function spec(over: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    analysisId: '3f2b6c1e-0d4a-4e8b-9a57-1c2d3e4f5a6b',
    hold: true,
    image,
    runtime: 'runc',
    capabilities: 'default',
    probe: 'strace',
    limits: { memoryBytes: 256 * 1024 ** 2, pids: 128, cpus: 1, windowSeconds: 30, outputBytes: 1024, traceBytes: 1024 * 1024 },
    kubernetes: { runtimeClassName: 'gvisor', nodeSelector: { pool: 'sandbox' }, tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }] },
    ...over,
  };
}

function runtime(client: FakeKubeClient, over: Partial<KubernetesRuntimeOptions> = {}): KubernetesRuntime {
  return new KubernetesRuntime({
    client,
    resolveImage: async () => image,
    probeImage: 'quarantine/probe:1',
    workerServiceAccount: { namespace: 'quarantine', name: 'quarantine-worker' },
    forbiddenRetryMs: 300,
    startAllowanceSeconds: 5,
    ...over,
  });
}

const tick = () => new Promise((r) => setImmediate(r));
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Plays the kubelet up to the agent's `attached` line; returns the start() promise's result. */
async function startSidecar(client: FakeKubeClient, sandbox: Awaited<ReturnType<KubernetesRuntime['create']>>, early: string[] = [], started = sandbox.start()) {
  // The sample pod is created after its watch opens (a simulator pod may have been created before).
  await until(() => client.calls.includes('watch Pod sample') && client.calls.lastIndexOf('create Pod') > client.calls.indexOf('watch Pod sample'));
  client.podEvent('ADDED', podWith({ phase: 'Pending', init: [waiting('probe', 'PodInitializing')] }));
  client.podEvent('MODIFIED', podWith({ phase: 'Pending', init: [terminated('hold-install', 0), running('probe')], containers: [waiting('sample', 'PodInitializing')] }));
  await until(() => client.hasStream('probe'));
  await client.log('probe', `${AGENT_PREFIX}started`, `${AGENT_PREFIX}held pid=7 uid=1000 gid=1000`);
  client.podEvent('MODIFIED', podWith({ phase: 'Running', init: [terminated('hold-install', 0), running('probe')], containers: [running('sample')] }));
  await client.log('probe', `${AGENT_PREFIX}attached pid=7`, ...early);
  return started;
}

describe('KubernetesRuntime (fake API at the client boundary)', () => {
  it('runs one detonation in the documented order and deletes the namespace; every object validates against the schemas', async () => {
    const client = new FakeKubeClient();
    const rt = runtime(client);
    const sandbox = await rt.create(spec());
    const target = await startSidecar(client, sandbox, ['1700000000.000001 execve("/bin/sh", ["/bin/sh", "-c", "echo hi"], 0x0 /* 0 vars */) = 0']);
    expect(target).toMatchObject({ hostPid: 7, vpid: 7, uid: 1000, gid: 1000, containerId: 'sample0123456789abcdef' });

    const dir = mkdtempSync(join(tmpdir(), 'q-k8s-'));
    const tracePath = join(dir, 'trace.raw');
    const session = await sandbox.attachProbe!('strace', tracePath, { budgetBytes: 1 << 20 });
    sandbox.release(target);
    await client.log('probe', '7 1700000000.000002 write(1, "hi\\n", 3) = 3', `${AGENT_PREFIX}exit code=0`);
    const waited = sandbox.wait(new AbortController().signal);
    client.podEvent('MODIFIED', podWith({ phase: 'Succeeded', init: [terminated('hold-install', 0), terminated('probe', 137)], containers: [terminated('sample', 3)] }));
    const exit = await waited;
    expect(exit).toMatchObject({ exitCode: 3, oomKilled: false, windowExpired: false, cancelled: false, budgetExceeded: false });
    const stats = await session.stop(1000);
    expect(stats).toMatchObject({ probe: 'strace', records: 2, complete: true, exitCode: 0, budgetExceeded: false });
    // Trace lines that arrived before the trace file was named are kept, in order; control lines are not trace.
    expect(readFileSync(tracePath, 'utf8').split('\n').filter(Boolean)).toEqual([
      '1700000000.000001 execve("/bin/sh", ["/bin/sh", "-c", "echo hi"], 0x0 /* 0 vars */) = 0',
      '7 1700000000.000002 write(1, "hi\\n", 3) = 3',
    ]);
    client.staticLogs.set('sample', 'hi\n');
    expect(await sandbox.output(1024)).toMatchObject({ stdout: 'hi\n', stdoutTruncated: false });
    await sandbox.destroy();
    await sandbox.destroy();

    expect(client.sequence()).toEqual([
      'create Namespace',
      'create RoleBinding',
      'create NetworkPolicy',
      'create ResourceQuota',
      'create LimitRange',
      'watch Pod sample',
      'create Pod',
      'log <ns>/sample/probe follow',
      'log <ns>/sample/sample',
      'delete Namespace <ns>',
    ]);
    expect(client.openWatches).toBe(0);
    for (const obj of client.created) expect(await validateK8sObject(obj)).toEqual([]);
    const ns = client.created[0] as unknown as { metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> } };
    expect(ns.metadata.name).toMatch(/^qsbx-3f2b6c1e-0d4a-4e8b-9a57-1c2d3e4f5a6b-[0-9a-f]{6}$/);
    expect(ns.metadata.labels).toMatchObject({ 'quarantine.io/sandbox': 'true', 'quarantine.io/analysis-id': spec().analysisId, 'quarantine.io/environment': 'non-production' });
    expect(Date.parse(ns.metadata.annotations[K8S_ANNOTATIONS.deadline])).toBeGreaterThan(Date.now() + 30_000);
    const pod = client.created.find((o) => o.kind === 'Pod') as unknown as { spec: Record<string, unknown> };
    expect(pod.spec).toMatchObject({ runtimeClassName: 'gvisor', nodeSelector: { pool: 'sandbox' }, automountServiceAccountToken: false, shareProcessNamespace: true });
  });

  it("limits.disk is the sample's ephemeral-storage request and limit; an eviction for ephemeral storage is the disk limit hit", async () => {
    const client = new FakeKubeClient();
    const sandbox = await runtime(client).create(spec({ limits: { ...spec().limits, diskBytes: 64 * 1024 ** 2 } }));
    await startSidecar(client, sandbox);
    const pod = client.created.find((o) => o.kind === 'Pod') as unknown as { spec: { containers: { name: string; resources: { limits: Record<string, string>; requests: Record<string, string> } }[] } };
    const sample = pod.spec.containers.find((c) => c.name === 'sample')!;
    expect(sample.resources.limits['ephemeral-storage']).toBe(String(64 * 1024 ** 2));
    expect(sample.resources.requests['ephemeral-storage']).toBe(String(64 * 1024 ** 2));
    for (const obj of client.created) expect(await validateK8sObject(obj)).toEqual([]);
    const quota = client.created.find((o) => o.kind === 'ResourceQuota') as unknown as { spec: { hard: Record<string, string> } };
    expect(Number(quota.spec.hard['limits.ephemeral-storage'])).toBe(64 * 1024 ** 2 + 64 * 1024 ** 2); // + the probe sidecar's
    const waited = sandbox.wait(new AbortController().signal);
    const evicted = podWith({ phase: 'Failed', reason: 'Evicted', containers: [terminated('sample', 137, 'ContainerStatusUnknown')] });
    evicted.status!.message = 'Pod ephemeral local storage usage exceeds the total limit of containers 64Mi. ';
    client.podEvent('MODIFIED', evicted);
    expect(await waited).toMatchObject({ exitCode: 137, oomKilled: false });
    expect(await sandbox.limitHits()).toMatchObject({ diskLimitHits: 1, diskLimitBytes: 64 * 1024 ** 2, oomKills: 0 });
    await sandbox.destroy();
  });

  it('a pod evicted for another reason, or ending normally, is no disk limit hit', async () => {
    const { ephemeralStorageEviction } = await import('./eviction.js');
    const evicted = (message: string) => ({ ...podWith({ phase: 'Failed', reason: 'Evicted' }), status: { phase: 'Failed', reason: 'Evicted', message } });
    expect(ephemeralStorageEviction(evicted('Container sample exceeded its local ephemeral storage limit "1Gi". '))).toContain('sample');
    expect(ephemeralStorageEviction(evicted('Usage of EmptyDir volume "quarantine-hold" exceeds the limit "16Mi". '))).toBeDefined();
    expect(ephemeralStorageEviction(evicted('The node was low on resource: ephemeral-storage. Container sample was using 2Gi, request is 1Gi.'))).toBeDefined();
    expect(ephemeralStorageEviction(evicted('The node was low on resource: memory. Container sample was using 300Mi.'))).toBeUndefined();
    expect(ephemeralStorageEviction(podWith({ phase: 'Failed', reason: 'DeadlineExceeded' }))).toBeUndefined();
    expect(ephemeralStorageEviction(undefined)).toBeUndefined();
    const client = new FakeKubeClient();
    const sandbox = await runtime(client).create(spec());
    await startSidecar(client, sandbox);
    const waited = sandbox.wait(new AbortController().signal);
    client.podEvent('MODIFIED', podWith({ phase: 'Succeeded', containers: [terminated('sample', 0)] }));
    await waited;
    // No limits.disk in the spec: the runtime's 1 GiB, never unlimited.
    expect(await sandbox.limitHits()).toMatchObject({ diskLimitHits: 0, diskLimitBytes: 1024 ** 3 });
    await sandbox.destroy();
  });

  it('a watch the server ends is re-opened and the wait goes on', async () => {
    const client = new FakeKubeClient();
    const sandbox = await runtime(client).create(spec());
    await startSidecar(client, sandbox);
    const waited = sandbox.wait(new AbortController().signal);
    client.endWatches();
    await until(() => client.openWatches === 1);
    client.podEvent('ADDED', podWith({ phase: 'Failed', containers: [terminated('sample', 137, 'OOMKilled')] }));
    expect(await waited).toMatchObject({ exitCode: 137, oomKilled: true });
    expect(await sandbox.limitHits()).toMatchObject({ oomKills: 1 });
    expect(client.calls.filter((c) => c === 'watch Pod sample')).toHaveLength(2);
    await sandbox.destroy();
  });

  it("window expiry: the sidecar's agent kills the sample's processes, the probe survives to report; no pod-wide kill", async () => {
    const client = new FakeKubeClient();
    const sandbox = await runtime(client).create(spec({ limits: { ...spec().limits, windowSeconds: 0.05 } }));
    const target = await startSidecar(client, sandbox);
    sandbox.release(target);
    const waited = sandbox.wait(new AbortController().signal);
    await client.log('probe', `${AGENT_PREFIX}window expired`, `${AGENT_PREFIX}exit code=0`);
    client.podEvent('MODIFIED', podWith({ phase: 'Failed', init: [running('probe')], containers: [terminated('sample', 137, 'Error')] }));
    expect(await waited).toMatchObject({ windowExpired: true, cancelled: false, exitCode: 137 });
    expect(client.patches).toEqual([]);
    const pod = client.created.find((o) => o.kind === 'Pod') as unknown as { spec: { initContainers: { name: string; env?: unknown[] }[] } };
    expect(pod.spec.initContainers.find((c) => c.name === 'probe')?.env).toEqual([{ name: 'QUARANTINE_WINDOW_SECONDS', value: '0.05' }]);
    await sandbox.destroy();
  });

  it('window backstop: if the agent does not end the sample, activeDeadlineSeconds is lowered (the kubelet kills the pod, status and logs stay)', async () => {
    const client = new FakeKubeClient();
    const sandbox = await runtime(client, { agentWindowBackstopMs: 50 }).create(spec({ limits: { ...spec().limits, windowSeconds: 0.05 } }));
    const target = await startSidecar(client, sandbox);
    client.onPatch = () => client.podEvent('MODIFIED', podWith({ phase: 'Failed', reason: 'DeadlineExceeded', containers: [terminated('sample', 137, 'Error')] }));
    sandbox.release(target);
    const exit = await sandbox.wait(new AbortController().signal);
    expect(exit).toMatchObject({ windowExpired: true, cancelled: false, exitCode: 137 });
    expect(exit.runMs).toBeGreaterThanOrEqual(90);
    expect(client.patches).toEqual([{ namespace: client.lastNamespace(), name: 'sample', seconds: 1 }]);
    await sandbox.destroy();
    expect(client.deleted).toEqual([client.lastNamespace()]);
  });

  it('cancellation kills through the same patch and is reported as cancelled', async () => {
    const client = new FakeKubeClient();
    const sandbox = await runtime(client).create(spec());
    await startSidecar(client, sandbox);
    client.onPatch = () => client.podEvent('MODIFIED', podWith({ phase: 'Failed', reason: 'DeadlineExceeded', containers: [terminated('sample', 137, 'Error')] }));
    const ac = new AbortController();
    const waited = sandbox.wait(ac.signal);
    ac.abort();
    expect(await waited).toMatchObject({ cancelled: true, windowExpired: false });
    await sandbox.destroy();
  });

  it('a trace past its budget stops being written and fires the kill callback', async () => {
    const client = new FakeKubeClient();
    const sandbox = await runtime(client).create(spec());
    await startSidecar(client, sandbox);
    const dir = mkdtempSync(join(tmpdir(), 'q-k8s-'));
    const session = await sandbox.attachProbe!('strace', join(dir, 't'), { budgetBytes: 30 });
    let fired = 0;
    session.onBudgetExceeded(() => fired++);
    await client.log('probe', 'x'.repeat(20), 'y'.repeat(20), `${AGENT_PREFIX}exit code=0`);
    const stats = await session.stop(500);
    expect(fired).toBe(1);
    expect(stats).toMatchObject({ budgetExceeded: true, complete: false, records: 1 });
    await sandbox.destroy();
  });

  it('a probe killed by the sample (shared pid namespace) makes the trace incomplete, never complete', async () => {
    const client = new FakeKubeClient();
    const sandbox = await runtime(client).create(spec());
    await startSidecar(client, sandbox);
    const dir = mkdtempSync(join(tmpdir(), 'q-k8s-'));
    const session = await sandbox.attachProbe!('strace', join(dir, 't'), { budgetBytes: 1 << 20 });
    await client.log('probe', '7 1700000000.000002 kill(9, SIGKILL) = 0', `${AGENT_PREFIX}exit code=137`);
    expect(await session.stop(500)).toMatchObject({ complete: false, exitCode: 137, stopError: expect.stringContaining('killed by signal 9') });
    await sandbox.destroy();

    const silent = new FakeKubeClient();
    const s2 = await runtime(silent).create(spec());
    await startSidecar(silent, s2);
    const session2 = await s2.attachProbe!('strace', join(dir, 't2'), { budgetBytes: 1 << 20 });
    silent.endLog('probe'); // the agent itself was killed: no exit line
    expect(await session2.stop(500)).toMatchObject({ complete: false, exitCode: null, stopError: expect.stringContaining("strace's end was not seen") });
    await s2.destroy();
  });

  describe('cleanup on every failure path', () => {
    it('namespace creation refused: nothing else is created', async () => {
      const client = new FakeKubeClient();
      client.fail = (c) => (c === 'create Namespace' ? apiError(403, 'namespaces is forbidden') : undefined);
      await expect(runtime(client).create(spec())).rejects.toThrow('forbidden');
      expect(client.calls).toEqual(['create Namespace']);
    });

    it.each(['create RoleBinding', 'create NetworkPolicy', 'create ResourceQuota', 'create LimitRange'])('%s fails: create() deletes the namespace before rethrowing', async (call) => {
      const client = new FakeKubeClient();
      client.fail = (c) => (c === call ? apiError(500, `${call} broke`) : undefined);
      await expect(runtime(client).create(spec())).rejects.toThrow(`${call} broke`);
      expect(client.deleted).toEqual([client.lastNamespace()]);
      expect(client.calls.at(-1)).toBe(`delete Namespace ${client.lastNamespace()}`);
    });

    it('403 right after the RoleBinding (RBAC cache) is retried; a lasting 403 fails and cleans up', async () => {
      const client = new FakeKubeClient();
      let n = 0;
      client.fail = (c) => (c === 'create NetworkPolicy' && n++ < 2 ? apiError(403) : undefined);
      const sandbox = await runtime(client).create(spec());
      expect(client.calls.filter((c) => c === 'create NetworkPolicy')).toHaveLength(3);
      await sandbox.destroy();

      const stuck = new FakeKubeClient();
      stuck.fail = (c) => (c === 'create NetworkPolicy' ? apiError(403, 'still forbidden') : undefined);
      await expect(runtime(stuck, { forbiddenRetryMs: 100 }).create(spec())).rejects.toThrow('still forbidden');
      expect(stuck.deleted).toEqual([stuck.lastNamespace()]);
    });

    it('pod creation fails: start() rejects, destroy() deletes the namespace and closes the watch', async () => {
      const client = new FakeKubeClient();
      client.fail = (c) => (c === 'create Pod' ? apiError(422, 'Pod "sample" is invalid') : undefined);
      const sandbox = await runtime(client).create(spec());
      await expect(sandbox.start()).rejects.toThrow('is invalid');
      await sandbox.destroy();
      expect(client.deleted).toEqual([client.lastNamespace()]);
      expect(client.openWatches).toBe(0);
    });

    it('an image that cannot be pulled fails the start at once, naming the container', async () => {
      const client = new FakeKubeClient();
      const sandbox = await runtime(client).create(spec());
      const started = sandbox.start();
      await until(() => client.calls.includes('create Pod'));
      client.podEvent('MODIFIED', podWith({ init: [terminated('hold-install', 0), running('probe')], containers: [waiting('sample', 'ErrImagePull', 'not found')] }));
      await expect(started).rejects.toThrow('container sample: ErrImagePull: not found');
      await sandbox.destroy();
      expect(client.deleted).toHaveLength(1);
    });

    it('the probe agent failing to attach is a ProbeStartError (inconclusive after retries), and cleans up', async () => {
      const client = new FakeKubeClient();
      const sandbox = await runtime(client).create(spec());
      const started = sandbox.start();
      await until(() => client.calls.includes('create Pod'));
      client.podEvent('MODIFIED', podWith({ init: [running('probe')] }));
      await until(() => client.hasStream('probe'));
      await client.log('probe', `${AGENT_PREFIX}held pid=7 uid=0 gid=0`, `${AGENT_PREFIX}failed strace exited before attaching code=1`);
      await expect(started).rejects.toBeInstanceOf(ProbeStartError);
      await sandbox.destroy();
      expect(client.deleted).toHaveLength(1);
    });

    it('the probe log ending before the attachment is a ProbeStartError', async () => {
      const client = new FakeKubeClient();
      const sandbox = await runtime(client).create(spec());
      const started = sandbox.start();
      await until(() => client.calls.includes('create Pod'));
      client.podEvent('MODIFIED', podWith({ init: [running('probe')] }));
      await until(() => client.hasStream('probe'));
      client.endLog('probe');
      await expect(started).rejects.toThrow("probe's log ended before it attached");
      await sandbox.destroy();
    });

    it('a pod that never starts times out with its status in the message', async () => {
      const client = new FakeKubeClient();
      const sandbox = await runtime(client, { startAllowanceSeconds: 0.1 }).create(spec());
      const started = sandbox.start();
      await until(() => client.calls.includes('create Pod'));
      client.podEvent('ADDED', { ...podWith({}), status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes match pool=sandbox' }] } });
      await expect(started).rejects.toThrow(/did not start within 0.1 s: phase Pending, unschedulable: 0\/3 nodes match pool=sandbox/);
      await sandbox.destroy();
      expect(client.deleted).toHaveLength(1);
    });

    it('a watch error ends the wait with the error; destroy still deletes', async () => {
      const client = new FakeKubeClient();
      const sandbox = await runtime(client).create(spec());
      await startSidecar(client, sandbox);
      const waited = sandbox.wait(new AbortController().signal);
      client.endWatches(new Error('connection reset'));
      await expect(waited).rejects.toThrow('connection reset');
      await sandbox.destroy();
      expect(client.deleted).toHaveLength(1);
    });

    it('a failed namespace deletion is reported (not swallowed) and a later destroy retries it', async () => {
      const client = new FakeKubeClient();
      const sandbox = await runtime(client).create(spec());
      let fail = true;
      client.fail = (c) => (c.startsWith('delete Namespace') && fail ? apiError(503, 'apiserver unavailable') : undefined);
      await expect(sandbox.destroy()).rejects.toThrow('apiserver unavailable');
      fail = false;
      await sandbox.destroy();
      expect(client.deleted).toEqual([client.lastNamespace()]);
    });
  });

  it('rejects probes the cluster cannot run, before creating anything', async () => {
    const client = new FakeKubeClient();
    await expect(runtime(client).create(spec({ probe: 'ebpf' }))).rejects.toThrow('probe ebpf cannot run on the kubernetes runtime');
    await expect(runtime(client).create(spec({ probe: 'falco' }))).rejects.toThrow('no falco sensor configured');
    expect(client.calls).toEqual([]);
  });

  describe('simulated network (a simulator pod beside the sample)', () => {
    const netsimRunning = (ip = '10.42.0.9') => podWith({ name: 'netsim', phase: 'Running', podIP: ip, containers: [running('netsim')] });

    it('runs the simulator first, gives the sample its pod IP as only resolver, and turns its log into the capture file', async () => {
      const client = new FakeKubeClient();
      const rt = runtime(client, { netsimImage: 'quarantine/netsim:1' });
      const dir = mkdtempSync(join(tmpdir(), 'q-k8s-net-'));
      const capturePath = join(dir, 'network.ndjson');
      const sandbox = await rt.create(spec({ network: { mode: 'simulated', capturePath } }));
      const startedP = sandbox.start();
      await until(() => client.calls.includes('watch Pod netsim'));
      // The sample pod is not created until the simulator runs with an IP.
      client.podEvent('ADDED', podWith({ name: 'netsim', phase: 'Pending', containers: [waiting('netsim', 'ContainerCreating')] }));
      await tick();
      expect(client.calls.filter((c) => c === 'create Pod')).toHaveLength(1); // the simulator's only
      client.podEvent('MODIFIED', netsimRunning());
      await until(() => client.hasStream('netsim'));
      const target = await startSidecar(client, sandbox, [], startedP);
      expect(target).toMatchObject({ hostPid: 7 });

      await client.log('netsim', '{"kind":"dns","ts":1,"query":"pool.example","qtype":"A"}', 'Traceback (most recent call last):', '{"kind":"tcp","ts":2,"dst":{"ip":"10.42.0.9","port":3333},"firstBytes":"eyJtZXRob2QiOiJsb2dpbiJ9"}');
      const waited = sandbox.wait(new AbortController().signal);
      client.podEvent('MODIFIED', podWith({ phase: 'Succeeded', init: [terminated('hold-install', 0), terminated('probe', 0)], containers: [terminated('sample', 0)] }));
      await waited;
      const net = await sandbox.networkStatus!();
      expect(net).toEqual({ mode: 'simulated', capturePath, simulatorHealthy: true });
      // Only capture records reach the capture file, whole and in order.
      expect(readFileSync(capturePath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).kind)).toEqual(['dns', 'tcp']);
      await sandbox.destroy();

      const seq = client.sequence();
      expect(seq.lastIndexOf('create Pod')).toBeGreaterThan(seq.indexOf('watch Pod netsim'));
      expect(seq.filter((c) => c === 'create NetworkPolicy')).toHaveLength(3);
      expect(client.openWatches).toBe(0);
      for (const obj of client.created) expect(await validateK8sObject(obj)).toEqual([]);
      const pods = client.created.filter((o) => o.kind === 'Pod') as unknown as { metadata: { name: string; labels: Record<string, string> }; spec: Record<string, unknown> }[];
      expect(pods.map((p) => p.metadata.name)).toEqual(['netsim', 'sample']);
      const sample = pods[1]!;
      expect(sample.metadata.labels['quarantine.io/role']).toBe('sample');
      expect(sample.spec).toMatchObject({ dnsPolicy: 'None', dnsConfig: { nameservers: ['10.42.0.9'] } });
      const quota = client.created.find((o) => o.kind === 'ResourceQuota') as unknown as { spec: { hard: Record<string, string> } };
      expect(quota.spec.hard.pods).toBe('2');
    });

    it('a simulator that dies during the run makes the network record unhealthy (the verdict is then inconclusive)', async () => {
      const client = new FakeKubeClient();
      const rt = runtime(client, { netsimImage: 'quarantine/netsim:1' });
      const capturePath = join(mkdtempSync(join(tmpdir(), 'q-k8s-net-')), 'network.ndjson');
      const sandbox = await rt.create(spec({ network: { mode: 'simulated', capturePath } }));
      const startedP = sandbox.start();
      await until(() => client.calls.includes('watch Pod netsim'));
      client.podEvent('ADDED', netsimRunning());
      await until(() => client.hasStream('netsim'));
      await startSidecar(client, sandbox, [], startedP);
      await client.log('netsim', 'MemoryError');
      client.podEvent('MODIFIED', podWith({ name: 'netsim', phase: 'Failed', containers: [terminated('netsim', 137, 'OOMKilled')] }));
      const net = await sandbox.networkStatus!();
      expect(net.simulatorHealthy).toBe(false);
      expect(net.simulatorError).toMatch(/OOMKilled, code 137.*MemoryError/);
      await sandbox.destroy();
    });

    it('a simulator pod that cannot start fails the start before the sample pod exists, and cleans up', async () => {
      const client = new FakeKubeClient();
      const rt = runtime(client, { netsimImage: 'quarantine/netsim:1' });
      const sandbox = await rt.create(spec({ network: { mode: 'simulated', capturePath: join(tmpdir(), 'unused.ndjson') } }));
      const startedP = sandbox.start();
      await until(() => client.calls.includes('watch Pod netsim'));
      client.podEvent('ADDED', podWith({ name: 'netsim', phase: 'Pending', containers: [waiting('netsim', 'ErrImagePull', 'not found')] }));
      await expect(startedP).rejects.toThrow(/network simulator: container netsim: ErrImagePull/);
      expect(client.calls.filter((c) => c === 'create Pod')).toHaveLength(1); // the simulator's only
      await sandbox.destroy();
      expect(client.deleted).toHaveLength(1);
      expect(client.openWatches).toBe(0);
    });

    it('without a simulator image configured, nothing is created', async () => {
      const client = new FakeKubeClient();
      await expect(runtime(client).create(spec({ network: { mode: 'simulated', capturePath: '/tmp/x' } }))).rejects.toThrow(/K8S_NETSIM_IMAGE/);
      expect(client.created).toHaveLength(0);
    });
  });

  describe('reap', () => {
    it('deletes every namespace of one analysis, or those past their deadline; skips terminating ones', async () => {
      const client = new FakeKubeClient();
      const add = (name: string, id: string, deadline: string, phase = 'Active') =>
        client.namespaces.set(name, { name, labels: { 'quarantine.io/sandbox': 'true', 'quarantine.io/analysis-id': id }, annotations: { [K8S_ANNOTATIONS.deadline]: deadline }, phase });
      add('qsbx-old', 'a1', '2026-01-01T00:00:00Z');
      add('qsbx-live', 'a2', '2026-01-01T01:00:00Z');
      add('qsbx-gone', 'a3', '2026-01-01T00:00:00Z', 'Terminating');
      client.namespaces.set('unrelated', { name: 'unrelated', labels: {}, annotations: {}, phase: 'Active' });
      const rt = runtime(client);
      expect(await rt.reap({ now: new Date('2026-01-01T00:30:00Z') })).toEqual(['qsbx-old']);
      expect(client.calls[0]).toBe('list Namespace quarantine.io/sandbox=true');
      expect(await rt.reap({ analysisId: 'a2', now: new Date('2026-01-01T00:30:00Z') })).toEqual(['qsbx-live']);
      expect(client.calls).toContain('list Namespace quarantine.io/sandbox=true,quarantine.io/analysis-id=a2');
      expect(client.deleted).toEqual(['qsbx-old', 'qsbx-live']);
    });
  });

  describe('Falco / Tracee DaemonSet as the probe', () => {
    it("follows the node's sensor log from before the pod existed and keeps only this sandbox's lines", async () => {
      const client = new FakeKubeClient();
      client.pods.push({ metadata: { name: 'falco-x1', namespace: 'falco' }, spec: { containers: [], nodeName: 'node-a' }, status: { phase: 'Running' } });
      const rt = runtime(client, { sensorSettleMs: 50, sensors: { falco: { namespace: 'falco', labelSelector: 'app.kubernetes.io/name=falco', container: 'falco', probe: new FalcoProbe() } } });
      const sandbox = await rt.create(spec({ probe: 'falco', hold: false }));
      const started = sandbox.start();
      await until(() => client.calls.includes('create Pod'));
      client.podEvent('MODIFIED', podWith({ phase: 'Running', containers: [running('sample', 'containerd://' + 'c'.repeat(64))], creationTimestamp: '2026-01-01T00:00:10Z' }));
      const target = await started;
      expect(target).toMatchObject({ containerId: 'c'.repeat(64), uid: 1000, gid: 1000 });
      const dir = mkdtempSync(join(tmpdir(), 'q-k8s-'));
      const session = await sandbox.attachProbe!('falco', join(dir, 'trace'), { budgetBytes: 1 << 20 });
      const ns = client.lastNamespace();
      const ours = JSON.stringify({ rule: 'Terminal shell in container', priority: 'Notice', output_fields: { 'container.id': 'c'.repeat(12), 'k8s.ns.name': ns, 'proc.pid': 9 } });
      const byNs = JSON.stringify({ rule: 'Write below etc', priority: 'Error', output_fields: { 'k8s.ns.name': ns } });
      const other = JSON.stringify({ rule: 'Terminal shell in container', priority: 'Notice', output_fields: { 'container.id': 'd'.repeat(12), 'k8s.ns.name': 'prod' } });
      const drop = JSON.stringify({ rule: 'Falco internal: syscall event drop', priority: 'Debug', output_fields: { n_drops: 4 } });
      await client.log('falco', ours, other, drop, 'not json', byNs);
      const stats = await session.stop(50);
      expect(stats).toMatchObject({ probe: 'falco', records: 3, lost: 4, complete: true });
      const lines = readFileSync(join(dir, 'trace'), 'utf8').split('\n').filter(Boolean);
      expect(JSON.parse(lines[0])).toMatchObject({ quarantine: { probe: 'falco', containerId: 'c'.repeat(64), namespace: ns, node: 'node-a', sensorPod: 'falco-x1' } });
      expect(lines.slice(1)).toEqual([ours, byNs]);
      await sandbox.destroy();
      expect(client.sequence()).toEqual([
        'create Namespace', 'create RoleBinding', 'create NetworkPolicy', 'create ResourceQuota', 'create LimitRange',
        'watch Pod sample', 'create Pod',
        'list Pod falco app.kubernetes.io/name=falco spec.nodeName=node-a',
        'log falco/falco-x1/falco follow since=2026-01-01T00:00:09Z',
        'delete Namespace <ns>',
      ]);
      const pod = client.created.find((o) => o.kind === 'Pod') as unknown as { spec: Record<string, unknown> };
      expect(pod.spec.initContainers).toBeUndefined();
      expect(pod.spec.shareProcessNamespace).toBe(false);
      for (const obj of client.created) expect(await validateK8sObject(obj)).toEqual([]);
    });

    it('no running sensor on the node is a ProbeStartError', async () => {
      const client = new FakeKubeClient();
      const rt = runtime(client, { sensors: { falco: { namespace: 'falco', labelSelector: 'app=falco', container: 'falco', probe: new FalcoProbe() } } });
      const sandbox = await rt.create(spec({ probe: 'falco', hold: false }));
      const started = sandbox.start();
      await until(() => client.calls.includes('create Pod'));
      client.podEvent('MODIFIED', podWith({ phase: 'Running', containers: [running('sample')] }));
      await expect(started).rejects.toThrow('no running sensor pod');
      await sandbox.destroy();
      expect(client.deleted).toHaveLength(1);
      await tick();
    });
  });
});
