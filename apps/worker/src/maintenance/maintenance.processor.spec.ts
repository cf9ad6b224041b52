/**
 * The maintenance reaper removes leftover Kubernetes sandbox namespaces too, and one runtime's
 * failure does not stop the other's cleanup. The Kubernetes API is a fake at the client boundary (no
 * API server here); the Docker runtime is the real one pointed at a socket that does not exist, as
 * on a worker that runs only Kubernetes sandboxes.
 */
import Docker from 'dockerode';
import type { Job } from 'bullmq';
import type { JobProducer } from '#core/queue/job-producer';
import { JobName } from '#core/queue/queue.constants';
import { DockerRuntime } from '#sandbox/docker/docker-runtime';
import { KubernetesRuntime } from '#sandbox/kubernetes/kubernetes-runtime';
import { FakeKubeClient, apiError } from '../../../../test/support/fake-kube-client.js';
import { MaintenanceProcessor } from './maintenance.processor.js';

const noDocker = new DockerRuntime({ docker: new Docker({ socketPath: '/nonexistent/docker.sock' }), holdTarPath: '/nonexistent' });
const producer = {} as JobProducer; // only used at bootstrap, which this test does not run
const job = { id: 'j1', name: JobName.ReapSandboxes, data: {} } as unknown as Job;

function k8s(client: FakeKubeClient) {
  return new KubernetesRuntime({ client, resolveImage: async () => { throw new Error('unused'); }, probeImage: 'p', workerServiceAccount: { namespace: 'quarantine', name: 'quarantine-worker' } });
}

describe('MaintenanceProcessor', () => {
  it('deletes sandbox namespaces past their deadline even when there is no Docker engine', async () => {
    const client = new FakeKubeClient();
    client.namespaces.set('qsbx-old', { name: 'qsbx-old', labels: { 'quarantine.io/sandbox': 'true', 'quarantine.io/analysis-id': 'a' }, annotations: { 'quarantine.io/deadline': '2020-01-01T00:00:00Z' }, phase: 'Active' });
    client.namespaces.set('qsbx-new', { name: 'qsbx-new', labels: { 'quarantine.io/sandbox': 'true', 'quarantine.io/analysis-id': 'b' }, annotations: { 'quarantine.io/deadline': '2999-01-01T00:00:00Z' }, phase: 'Active' });
    const p = new MaintenanceProcessor(noDocker, producer, k8s(client));
    expect(await p.process(job)).toEqual({ removed: 1 });
    expect(client.deleted).toEqual(['qsbx-old']);
  });

  it('a failing Kubernetes API fails the job (BullMQ retries it); without Kubernetes a missing Docker engine does', async () => {
    const client = new FakeKubeClient();
    client.fail = (c) => (c.startsWith('list Namespace') ? apiError(503, 'apiserver down') : undefined);
    await expect(new MaintenanceProcessor(noDocker, producer, k8s(client)).process(job)).rejects.toThrow('apiserver down');
    await expect(new MaintenanceProcessor(noDocker, producer, null).process(job)).rejects.toThrow(/nonexistent|ENOENT/);
  });
});
