/**
 * Every manifest under deploy/ parses, and every Kubernetes object in it validates against the
 * Kubernetes OpenAPI schemas (kubernetes-models 5.1.0, strict about unknown fields). kubectl and
 * kustomize are not installed here, so the kustomizations are resolved by hand: every resource,
 * component and patch path exists, and every patch targets an object its kustomization builds. The
 * generated files must equal the generator's output, and the worker's RBAC must cover exactly what
 * the Kubernetes runtime creates.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ADMISSION_TIMEOUT_SECONDS, SANDBOX_RULES, generatedDeployFiles, renderDeployFile } from '#sandbox/kubernetes/deploy-manifests';
import { sandboxObjects } from '#sandbox/kubernetes/objects';
import { validateK8sObject } from '../../support/k8s-schema.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const root = join(process.cwd(), 'deploy');
/** Custom resources (no schema in kubernetes-models): cert-manager's (optional component); Kyverno's and policy-controller's (deploy/attestations, checked against their own schemas in attestation-policies.spec.ts). */
const CRD_GROUPS = ['cert-manager.io/', 'kyverno.io/', 'policy.sigstore.dev/'];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(e) ? [p] : [];
  });
}

function docs(file: string): Obj[] {
  const parsed = parseAllDocuments(readFileSync(file, 'utf8'));
  const list = Array.isArray(parsed) ? parsed : [parsed];
  for (const d of list) if (d.errors.length) throw new Error(`${relative(root, file)}: ${d.errors[0].message}`);
  return list.map((d) => d.toJS() as Obj).filter((d) => d !== null);
}

const files = yamlFiles(root);
const isKustomization = (o: Obj) => o.kind === 'Kustomization' || o.kind === 'Component';
const kustomizations = files.filter((f) => /kustomization\.ya?ml$/.test(f));
const patchFiles = new Set(kustomizations.flatMap((k) => (docs(k)[0].patches ?? []).map((p: { path: string }) => resolve(dirname(k), p.path))));

/** The objects a kustomization builds (resources, recursively; patches not applied). */
function build(dir: string): Obj[] {
  const k = docs(join(dir, 'kustomization.yaml'))[0];
  const out: Obj[] = [];
  for (const r of [...(k.resources ?? []), ...(k.components ?? [])]) {
    const p = resolve(dir, r);
    if (!existsSync(p)) throw new Error(`${relative(root, dir)}/kustomization.yaml: resource ${r} does not exist`);
    if (statSync(p).isDirectory()) {
      if (!existsSync(join(p, 'kustomization.yaml'))) throw new Error(`${r} is a directory without kustomization.yaml`);
      out.push(...build(p));
    } else out.push(...docs(p));
  }
  return out;
}

describe('deploy/ manifests', () => {
  it('has the base, both overlays and the generated files', () => {
    const rel = files.map((f) => relative(root, f));
    expect(rel).toEqual(expect.arrayContaining(['base/kustomization.yaml', 'overlays/docker-host/kustomization.yaml', 'overlays/kubernetes-runtime/kustomization.yaml', 'base/admission-webhooks.yaml', 'overlays/kubernetes-runtime/rbac.yaml']));
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s: every document parses and validates against the Kubernetes schemas', async (_rel, file) => {
    for (const d of docs(file)) {
      expect(typeof d.apiVersion).toBe('string');
      expect(typeof d.kind).toBe('string');
      if (isKustomization(d)) continue;
      if (CRD_GROUPS.some((g) => d.apiVersion.startsWith(g))) {
        expect(d.metadata?.name).toBeTruthy();
        continue;
      }
      let problems = await validateK8sObject(d);
      // A strategic-merge patch is a partial object: required fields may be absent, nothing unknown may be present.
      if (patchFiles.has(file)) problems = problems.filter((p) => !p.message.startsWith('required'));
      expect({ kind: d.kind, name: d.metadata?.name, problems }).toEqual({ kind: d.kind, name: d.metadata?.name, problems: [] });
    }
  });

  it.each(kustomizations.map((k) => [relative(root, k), k]))('%s: resources, components and patches resolve', (_rel, k) => {
    const dir = dirname(k);
    const objects = build(dir);
    expect(objects.length).toBeGreaterThan(0);
    const names = objects.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`);
    expect(new Set(names).size).toBe(names.length);
    for (const p of docs(k)[0].patches ?? []) {
      const path = resolve(dir, p.path);
      expect(existsSync(path)).toBe(true);
      for (const patch of docs(path)) {
        expect(objects.some((o) => o.kind === patch.kind && o.metadata?.name === patch.metadata?.name)).toBe(true);
      }
    }
  });

  it('generated files are up to date (npm run deploy:generate)', () => {
    for (const [path, file] of Object.entries(generatedDeployFiles())) {
      expect({ path, text: readFileSync(join(process.cwd(), path), 'utf8') }).toEqual({ path, text: renderDeployFile(file) });
    }
  });

  it('admission webhooks: both paths with the mode, v1 reviews, side effects only off dry runs, timeout, sandbox namespaces and kube-system excluded, pods and workloads', () => {
    const all = docs(join(root, 'base/admission-webhooks.yaml'));
    expect(all.map((d) => d.kind).sort()).toEqual(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
    for (const cfg of all) {
      const base = cfg.kind === 'ValidatingWebhookConfiguration' ? '/admission/validate' : '/admission/mutate';
      expect(cfg.webhooks.map((w: Obj) => w.failurePolicy)).toEqual(['Fail', 'Ignore']);
      for (const w of cfg.webhooks) {
        const path = `${base}/${w.failurePolicy === 'Fail' ? 'enforce' : 'warn'}`;
        expect(w).toMatchObject({ admissionReviewVersions: ['v1'], sideEffects: 'NoneOnDryRun', timeoutSeconds: ADMISSION_TIMEOUT_SECONDS, clientConfig: { service: { name: 'quarantine-admission', namespace: 'quarantine', path, port: 443 } } });
        const exprs = w.namespaceSelector.matchExpressions;
        expect(exprs).toContainEqual({ key: 'quarantine.io/sandbox', operator: 'NotIn', values: ['true'] });
        expect(exprs).toContainEqual({ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'quarantine'] });
        expect(exprs.find((e: Obj) => e.key === 'quarantine.io/admission-mode').values).toEqual([w.failurePolicy === 'Fail' ? 'enforce' : 'warn']);
        const resources = w.rules.flatMap((r: Obj) => r.resources);
        expect(resources).toEqual(expect.arrayContaining(['pods', 'deployments', 'statefulsets', 'daemonsets', 'replicasets', 'jobs', 'cronjobs']));
      }
    }
    // The Service the webhooks call exists and points at the admission port.
    const svc = docs(join(root, 'base/api.yaml')).find((d) => d.kind === 'Service' && d.metadata.name === 'quarantine-admission');
    expect(svc?.spec.ports[0]).toMatchObject({ port: 443, targetPort: 'admission' });
  });

  it("the worker's RBAC covers what the runtime creates, and nothing namespaced cluster-wide", () => {
    const rbac = docs(join(root, 'overlays/kubernetes-runtime/rbac.yaml'));
    const cluster = rbac.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'quarantine-worker')!;
    const allows = (rules: Obj[], group: string, resource: string, verb: string) => rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    expect(allows(cluster.rules, '', 'namespaces', 'create')).toBe(true);
    expect(allows(cluster.rules, '', 'namespaces', 'delete')).toBe(true);
    expect(allows(cluster.rules, 'rbac.authorization.k8s.io', 'rolebindings', 'create')).toBe(true);
    expect(cluster.rules.find((r: Obj) => r.resources.includes('clusterroles'))).toEqual({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['quarantine-sandbox'] });
    expect(cluster.rules.flatMap((r: Obj) => r.resources)).not.toContain('pods');
    const sandboxRole = rbac.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'quarantine-sandbox')!;
    const plural: Record<string, [string, string]> = { NetworkPolicy: ['networking.k8s.io', 'networkpolicies'], ResourceQuota: ['', 'resourcequotas'], LimitRange: ['', 'limitranges'], Pod: ['', 'pods'] };
    const objs = sandboxObjects({
      analysisId: 'a', namespace: 'qsbx-a', image: 'i', argv: ['x'], hostname: 'h', limits: { memoryBytes: 1 << 26, pids: 8, cpus: 1, windowSeconds: 1, outputBytes: 1, traceBytes: 1 },
      capabilities: 'default', probe: 'strace', probeMode: 'sidecar', probeImage: 'p', workerServiceAccount: { namespace: 'quarantine', name: 'quarantine-worker' }, startAllowanceSeconds: 1,
      deadline: new Date(), createdAt: new Date(), ephemeralStorageBytes: 1, options: {},
    });
    for (const o of [...objs.inNamespace, objs.pod] as Obj[]) {
      if (o.kind === 'RoleBinding') continue; // created with the cluster-level right above, before the binding exists
      const [group, resource] = plural[o.kind];
      expect({ kind: o.kind, allowed: allows(sandboxRole.rules, group, resource, 'create') }).toEqual({ kind: o.kind, allowed: true });
    }
    expect(allows(sandboxRole.rules, '', 'pods/log', 'get')).toBe(true);
    expect(sandboxRole.rules).toEqual(SANDBOX_RULES);
    // The RoleBinding the runtime creates binds this role to the deployed ServiceAccount.
    const rb = (objs.inNamespace as Obj[]).find((o) => o.kind === 'RoleBinding')!;
    expect(rb.roleRef.name).toBe(sandboxRole.metadata.name);
    const sa = docs(join(root, 'base/serviceaccounts.yaml')).find((d) => d.metadata.name === rb.subjects[0].name);
    expect(sa).toBeDefined();
    const policy = rbac.find((d) => d.kind === 'ValidatingAdmissionPolicy')!;
    expect(policy.spec.matchConditions[0].expression).toContain('system:serviceaccount:quarantine:quarantine-worker');
    expect(rbac.find((d) => d.kind === 'ValidatingAdmissionPolicyBinding')!.spec).toEqual({ policyName: policy.metadata.name, validationActions: ['Deny'] });
  });

  it('redis keeps an append-only file and never evicts; the kubernetes-runtime worker runs K8S_RUNTIME=on without host access', () => {
    const redis = docs(join(root, 'base/redis.yaml')).find((d) => d.kind === 'StatefulSet')!;
    const args: string[] = redis.spec.template.spec.containers[0].args;
    expect(args.join(' ')).toContain('--appendonly yes');
    expect(args.join(' ')).toContain('--maxmemory-policy noeviction');
    const patch = docs(join(root, 'overlays/kubernetes-runtime/worker-kubernetes.yaml'))[0];
    const spec = patch.spec.template.spec;
    expect(spec.containers[0].env).toContainEqual({ name: 'K8S_RUNTIME', value: 'on' });
    expect(spec.hostPID).toBeUndefined();
    expect(JSON.stringify(patch)).not.toContain('hostPath');
    const docker = docs(join(root, 'overlays/docker-host/worker-docker.yaml'))[0].spec.template.spec;
    expect(docker).toMatchObject({ hostPID: true });
    expect(docker.volumes.map((v: Obj) => v.hostPath.path)).toEqual(['/var/run/docker.sock', '/sys/fs/cgroup']);
  });
});
