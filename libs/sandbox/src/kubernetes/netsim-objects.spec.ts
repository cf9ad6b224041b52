/**
 * The simulated network's Kubernetes objects, validated against the Kubernetes OpenAPI schemas
 * (test/support/k8s-schema.ts, strict unknown-field check), plus what a reviewer would check: the
 * sample may reach the simulator and nothing else; the simulator is reached by the sample only,
 * reaches nothing, and runs unprivileged.
 */
import { validateK8sObject } from '../../../../test/support/k8s-schema.js';
import { NETSIM_POD_PORTS, type NetsimPodInput, netsimNetworkPolicies, netsimPodObject, samplePodNetworkPatch } from './netsim-objects.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const input: NetsimPodInput = {
  analysisId: '3f2b6c1e-0d4a-4e8b-9a57-1c2d3e4f5a6b',
  namespace: 'qsbx-3f2b6c1e-0d4a-4e8b-9a57-1c2d3e4f5a6b',
  simulatorImage: 'registry.local:5000/quarantine/netsim:1',
  windowSeconds: 30,
  startAllowanceSeconds: 180,
};

describe('simulated network on Kubernetes', () => {
  it('simulator pod and policies are valid against the Kubernetes schemas, with no unknown field', async () => {
    for (const obj of [netsimPodObject(input), ...netsimNetworkPolicies(input)]) {
      expect({ kind: obj.kind, problems: await validateK8sObject(obj) }).toEqual({ kind: obj.kind, problems: [] });
    }
    // The sample pod's patch, applied to a minimal pod, is valid too.
    const patch = samplePodNetworkPatch('10.1.2.3');
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sample', labels: patch.labels }, spec: { containers: [{ name: 'sample', image: 'x' }], ...patch.spec } };
    expect(await validateK8sObject(pod)).toEqual([]);
  });

  it('lets the sample reach the simulator only, and the simulator be reached by the sample only', () => {
    const [egress, ingress] = netsimNetworkPolicies(input) as Obj[];
    expect(egress.spec).toEqual({
      podSelector: { matchLabels: { 'quarantine.io/role': 'sample' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { 'quarantine.io/role': 'netsim' } } }] }],
    });
    // No namespaceSelector / ipBlock anywhere: the allowed peer is a pod of this namespace only.
    expect(JSON.stringify(egress.spec)).not.toMatch(/namespaceSelector|ipBlock/);
    expect(ingress.spec).toEqual({
      podSelector: { matchLabels: { 'quarantine.io/role': 'netsim' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { 'quarantine.io/role': 'sample' } } }] }],
    });
    expect(ingress.spec.egress).toBeUndefined();
    // The policies themselves must not select either pod by their own labels.
    for (const p of [egress, ingress]) expect(p.metadata.labels['quarantine.io/role']).toBe('policy');
    const patch = samplePodNetworkPatch('10.1.2.3');
    expect(patch.spec).toEqual({ dnsPolicy: 'None', dnsConfig: { nameservers: ['10.1.2.3'], searches: [], options: [{ name: 'ndots', value: '1' }] } });
  });

  it('runs the simulator unprivileged, in listen mode, its capture on stdout', () => {
    const pod = netsimPodObject(input) as Obj;
    expect(pod.metadata.labels).toMatchObject({ 'quarantine.io/role': 'netsim', 'quarantine.io/analysis-id': input.analysisId });
    expect(pod.spec).toMatchObject({ automountServiceAccountToken: false, hostNetwork: false, restartPolicy: 'Never', activeDeadlineSeconds: 210 });
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] });
    const c = pod.spec.containers[0];
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const cfg = JSON.parse(c.command[c.command.length - 1]);
    expect(cfg).toMatchObject({ listen: [...NETSIM_POD_PORTS], captureFd: 1, control: false, analysisId: input.analysisId });
    expect(cfg.listen).toEqual(expect.arrayContaining([80, 443, 3333, 6667, 25]));
  });
});
