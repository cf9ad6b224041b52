/** The schema validator itself must fail on what the API server would reject or silently drop. */
import { schemaName, validateK8sObject } from '../support/k8s-schema.js';

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'x', labels: { 'any.key/works': 'v' }, annotations: { a: 'b' } },
  spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '500m', memory: '64Mi' } }, securityContext: { capabilities: { drop: ['ALL'] } } }], nodeSelector: { pool: 'sandbox' } },
});

describe('k8s schema validator', () => {
  it('accepts a valid object, map keys (labels, nodeSelector, quantities) included', async () => {
    expect(await validateK8sObject(pod())).toEqual([]);
  });

  it('reports unknown fields at any depth with their path (typos)', async () => {
    const p = pod() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    p.spec.contianers = [];
    p.spec.containers[0].securityContex = {};
    p.spec.containers[0].securityContext.capabilities.dorp = ['ALL'];
    expect(await validateK8sObject(p)).toEqual([
      { path: '/spec/contianers', message: 'unknown field' },
      { path: '/spec/containers/0/securityContex', message: 'unknown field' },
      { path: '/spec/containers/0/securityContext/capabilities/dorp', message: 'unknown field' },
    ]);
  });

  it('reports type, enum and required errors from the schema', async () => {
    const p = pod() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    p.spec.restartPolicy = 'Sometimes';
    p.spec.activeDeadlineSeconds = '30';
    delete p.spec.containers[0].name;
    const problems = await validateK8sObject(p);
    expect(problems.map((x) => x.path).sort()).toEqual(['/spec/activeDeadlineSeconds', '/spec/containers/0', '/spec/restartPolicy']);
  });

  it('dispatches by apiVersion and kind, and refuses kinds it has no schema for', async () => {
    expect(schemaName('networking.k8s.io/v1', 'NetworkPolicy')).toBe('IoK8sApiNetworkingV1NetworkPolicy');
    expect(schemaName('rbac.authorization.k8s.io/v1', 'ClusterRole')).toBe('IoK8sApiRbacV1ClusterRole');
    expect(schemaName('apps/v1', 'Deployment')).toBe('IoK8sApiAppsV1Deployment');
    await expect(validateK8sObject({ apiVersion: 'v1', kind: 'Podd', metadata: { name: 'x' } })).rejects.toThrow('no Kubernetes schema for v1 Podd');
    expect(await validateK8sObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { selector: {}, template: {} , replica: 1 } })).toEqual([{ path: '/spec/replica', message: 'unknown field' }]);
  });
});
