/**
 * The sandbox's Kubernetes objects, validated against the Kubernetes OpenAPI schemas of the pinned
 * kubernetes-models package with the strict unknown-field check (test/support/k8s-schema.ts), plus
 * the containment properties a reviewer would check by hand.
 */
import { validateK8sObject } from '../../../../test/support/k8s-schema.js';
import {
  AGENT_PREFIX,
  HOLD_IN_SAMPLE,
  type SandboxObjectsInput,
  namespaceName,
  probeAgentScript,
  sandboxObjects,
  shQuote,
} from './objects.js';

function input(over: Partial<SandboxObjectsInput> = {}): SandboxObjectsInput {
  return {
    analysisId: '3f2b6c1e-0d4a-4e8b-9a57-1c2d3e4f5a6b',
    namespace: 'qsbx-3f2b6c1e-0d4a-4e8b-9a57-1c2d3e4f5a6b-abc123',
    image: 'registry.local:5000/samples/benign@sha256:' + 'b'.repeat(64),
    argv: ['/bin/sh', '-c', 'echo hi'],
    hostname: 'a1b2c3d4e5f6',
    limits: { memoryBytes: 256 * 1024 ** 2, pids: 128, cpus: 0.5, windowSeconds: 30, outputBytes: 65536, traceBytes: 1 << 26 },
    capabilities: 'default',
    probe: 'strace',
    probeMode: 'sidecar',
    probeImage: 'quarantine/probe:1',
    workerServiceAccount: { namespace: 'quarantine', name: 'quarantine-worker' },
    startAllowanceSeconds: 180,
    deadline: new Date('2026-01-01T00:10:00Z'),
    createdAt: new Date('2026-01-01T00:00:00Z'),
    ephemeralStorageBytes: 1024 ** 3,
    options: {},
    ...over,
  };
}

const variants: [string, SandboxObjectsInput][] = [
  ['sidecar, defaults', input()],
  ['sidecar, drop-all, gVisor, node pool, restricted', input({ capabilities: 'drop-all', options: { runtimeClassName: 'gvisor', nodeSelector: { 'quarantine.io/pool': 'sandbox' }, tolerations: [{ key: 'sandbox', operator: 'Equal', value: 'true', effect: 'NoSchedule' }, { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }], restricted: true } })],
  ['sensor (falco)', input({ probe: 'falco', probeMode: 'sensor', options: { runtimeClassName: 'kata' } })],
];

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('sandbox objects', () => {
  it.each(variants)('%s: every object is valid against the Kubernetes schemas, with no unknown field', async (_n, i) => {
    const o = sandboxObjects(i);
    for (const obj of [o.namespace, ...o.inNamespace, o.pod]) expect({ kind: obj.kind, problems: await validateK8sObject(obj) }).toEqual({ kind: obj.kind, problems: [] });
  });

  it('namespace: labelled sandbox, non-production and with the analysis id; the deadline annotation drives the reaper', () => {
    const ns = sandboxObjects(input()).namespace as Obj;
    expect(ns.metadata.labels).toMatchObject({
      'quarantine.io/sandbox': 'true',
      'quarantine.io/analysis-id': '3f2b6c1e-0d4a-4e8b-9a57-1c2d3e4f5a6b',
      'quarantine.io/environment': 'non-production',
      'pod-security.kubernetes.io/enforce': 'privileged',
    });
    expect(ns.metadata.annotations['quarantine.io/deadline']).toBe('2026-01-01T00:10:00.000Z');
    expect((sandboxObjects(input({ probeMode: 'sensor', probe: 'tracee' })).namespace as Obj).metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
  });

  it('network policy denies all ingress and egress; quota admits one pod and nothing exposed', () => {
    const [rb, np, rq, lr] = sandboxObjects(input()).inNamespace as Obj[];
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'quarantine-sandbox' });
    expect(rb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'quarantine-worker', namespace: 'quarantine' }]);
    expect(np.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(np.spec.ingress).toBeUndefined();
    expect(np.spec.egress).toBeUndefined();
    expect(rq.spec.hard).toMatchObject({ pods: '1', services: '0', persistentvolumeclaims: '0', 'limits.cpu': '1500m', 'limits.memory': String(256 * 1024 ** 2 + 128 * 1024 ** 2) });
    expect(lr.spec.limits[0]).toMatchObject({ type: 'Container', max: { cpu: '1000m', memory: String(256 * 1024 ** 2) } });
  });

  it('sample pod: profile limits, deadline, no service account token, held entrypoint, restricted security context', () => {
    const pod = sandboxObjects(input()).pod as Obj;
    const s = pod.spec;
    expect(s).toMatchObject({ restartPolicy: 'Never', activeDeadlineSeconds: 210, automountServiceAccountToken: false, enableServiceLinks: false, shareProcessNamespace: true, hostNetwork: false, hostPID: false, hostIPC: false, hostname: 'a1b2c3d4e5f6' });
    const sample = s.containers[0];
    expect(sample.command).toEqual([HOLD_IN_SAMPLE, '/bin/sh', '-c', 'echo hi']);
    expect(sample.resources.limits).toEqual({ cpu: '500m', memory: String(256 * 1024 ** 2), 'ephemeral-storage': String(1024 ** 3) });
    expect(sample.securityContext).toEqual({ allowPrivilegeEscalation: false, privileged: false, seccompProfile: { type: 'RuntimeDefault' } });
    expect(sample.volumeMounts).toEqual([{ name: 'quarantine-hold', mountPath: '/.quarantine', readOnly: true }]);
    // Probe: a native sidecar with a startup probe, the only container with SYS_PTRACE.
    const probe = s.initContainers.find((c: Obj) => c.name === 'probe');
    expect(probe.restartPolicy).toBe('Always');
    expect(probe.startupProbe.exec.command).toEqual(['cat', '/run/quarantine/started']);
    expect(probe.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['SYS_PTRACE', 'KILL'] });
    expect(s.initContainers.map((c: Obj) => c.name)).toEqual(['hold-install', 'probe']);
    expect(JSON.stringify(sample)).not.toContain('SYS_PTRACE');
  });

  it('strict profile and `restricted`: every capability dropped, non-root required; gVisor / pool scheduling passed through', () => {
    const pod = sandboxObjects(variants[1][1]).pod as Obj;
    expect(pod.spec.containers[0].securityContext).toMatchObject({ capabilities: { drop: ['ALL'] }, runAsNonRoot: true });
    expect(pod.spec).toMatchObject({ runtimeClassName: 'gvisor', nodeSelector: { 'quarantine.io/pool': 'sandbox' } });
    expect(pod.spec.tolerations).toHaveLength(2);
  });

  it('sensor mode: the image runs unwrapped, no sidecar, no shared pid namespace', () => {
    const pod = sandboxObjects(variants[2][1]).pod as Obj;
    expect(pod.spec.initContainers).toBeUndefined();
    expect(pod.spec.containers[0].command).toBeUndefined();
    expect(pod.spec.shareProcessNamespace).toBe(false);
    expect((sandboxObjects(variants[2][1]).inNamespace[2] as Obj).spec.hard['limits.cpu']).toBe('500m');
  });

  it('namespace names are DNS labels of at most 63 characters', () => {
    expect(namespaceName(undefined, 'ABC_def')).toBe('qsbx-abc-def');
    expect(namespaceName('p', 'x'.repeat(80))).toHaveLength(63);
    expect(() => namespaceName('-bad', 'x')).toThrow('DNS-1123');
  });

  it('the agent script quotes strace arguments and announces itself with the control prefix', () => {
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
    const script = probeAgentScript();
    expect(script).toContain(`'--decode-pids=pidns'`);
    expect(script).toContain(`echo "${AGENT_PREFIX}$*"`);
  });
});
