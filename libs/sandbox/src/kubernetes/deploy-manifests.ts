import { stringify } from 'yaml';
import { ADMISSION_LABELS, ADMISSION_MODES, type AdmissionKind, type AdmissionMode, admissionPath } from '#admission/contract';
import { K8S_LABELS, SANDBOX_CLUSTER_ROLE } from './objects.js';

/**
 * The generated parts of deploy/ (`npm run deploy:generate` writes them; a unit test fails when the
 * checked-in files differ): the admission webhook configurations and the worker's RBAC for the
 * Kubernetes runtime. Generated because both must agree with code: the webhook paths and labels with
 * the admission server, the RBAC rules with the objects KubernetesRuntime creates.
 */
export const DEPLOY_NAMESPACE = 'quarantine';
export const WORKER_SERVICE_ACCOUNT = 'quarantine-worker';
export const ADMISSION_SERVICE = 'quarantine-admission';
export const ADMISSION_MODE_LABEL = ADMISSION_LABELS.mode;
/** The admission server's timeout budget: it only reads the verdict cache, never analyses. */
export const ADMISSION_TIMEOUT_SECONDS = 5;

type Obj = Record<string, unknown>;

/** Pods and every workload kind that carries a pod template, on create and update. */
export function admissionRules(): Obj[] {
  const ops = ['CREATE', 'UPDATE'];
  return [
    { apiGroups: [''], apiVersions: ['v1'], operations: ops, resources: ['pods', 'pods/ephemeralcontainers', 'replicationcontrollers'], scope: 'Namespaced' },
    { apiGroups: ['apps'], apiVersions: ['v1'], operations: ops, resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'], scope: 'Namespaced' },
    { apiGroups: ['batch'], apiVersions: ['v1'], operations: ops, resources: ['jobs', 'cronjobs'], scope: 'Namespaced' },
  ];
}

/**
 * Namespaces that opted in with `quarantine.io/admission-mode: <mode>`, never a sandbox namespace
 * (the samples under analysis must be admitted), kube-system, or Quarantine's own namespace (the
 * admission server's own pods must start when no verdict cache is reachable).
 */
export function admissionNamespaceSelector(mode: AdmissionMode): Obj {
  return {
    matchExpressions: [
      { key: ADMISSION_MODE_LABEL, operator: 'In', values: [mode] },
      { key: ADMISSION_LABELS.sandbox, operator: 'NotIn', values: ['true'] },
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', DEPLOY_NAMESPACE] },
    ],
  };
}

/**
 * One webhook per mode: `enforce` namespaces fail closed (an unreachable admission server blocks
 * deployment there, which is what enforcing means); `warn` namespaces fail open. The mode is also in
 * the path (`/admission/validate/warn`), so the server needs no namespace lookup. `NoneOnDryRun`: a
 * review of an unknown image queues an analysis, except on dry runs.
 */
function webhooks(kind: AdmissionKind): Obj[] {
  return ADMISSION_MODES.map((mode) => ({
    name: `${mode}.${kind}.admission.quarantine.io`,
    admissionReviewVersions: ['v1'],
    sideEffects: 'NoneOnDryRun',
    timeoutSeconds: ADMISSION_TIMEOUT_SECONDS,
    failurePolicy: mode === 'enforce' ? 'Fail' : 'Ignore',
    matchPolicy: 'Equivalent',
    namespaceSelector: admissionNamespaceSelector(mode),
    rules: admissionRules(),
    clientConfig: { service: { namespace: DEPLOY_NAMESPACE, name: ADMISSION_SERVICE, path: admissionPath(kind, mode), port: 443 } },
    ...(kind === 'mutate' ? { reinvocationPolicy: 'Never' } : {}),
  }));
}

const CA_INJECTION = { 'cert-manager.io/inject-ca-from': `${DEPLOY_NAMESPACE}/${ADMISSION_SERVICE}` };

export function admissionWebhookConfigurations(): Obj[] {
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'quarantine-admission', annotations: CA_INJECTION, labels: { 'app.kubernetes.io/part-of': 'quarantine' } },
      webhooks: webhooks('validate'),
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'quarantine-admission', annotations: CA_INJECTION, labels: { 'app.kubernetes.io/part-of': 'quarantine' } },
      webhooks: webhooks('mutate'),
    },
  ];
}

/** What the worker does inside a sandbox namespace (bound there by the per-namespace RoleBinding). */
export const SANDBOX_RULES: readonly { apiGroups: string[]; resources: string[]; verbs: string[] }[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'watch', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  { apiGroups: [''], resources: ['resourcequotas', 'limitranges'], verbs: ['create'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create'] },
];

const WORKER_USER = `system:serviceaccount:${DEPLOY_NAMESPACE}:${WORKER_SERVICE_ACCOUNT}`;
const LABELLED = (o: string) => `has(${o}.metadata.labels) && '${K8S_LABELS.sandbox}' in ${o}.metadata.labels && ${o}.metadata.labels['${K8S_LABELS.sandbox}'] == 'true'`;

/**
 * The worker's RBAC for the Kubernetes runtime. Namespaces are cluster-scoped, so creating and
 * deleting them needs a ClusterRole; RBAC cannot condition a verb on labels, so a
 * ValidatingAdmissionPolicy (Kubernetes ≥ 1.30) narrows the worker to namespaces labelled
 * `quarantine.io/sandbox=true` (create them only so labelled, delete only those) and to RoleBindings
 * of the `quarantine-sandbox` ClusterRole inside them. Everything else (pods, logs, NetworkPolicy,
 * quota, LimitRange) is granted per sandbox namespace by that RoleBinding, so the worker can read
 * nothing outside its sandboxes. `bind` on exactly that ClusterRole lets it create the binding
 * without holding those rights cluster-wide.
 */
export function workerRbac(): Obj[] {
  const part = { 'app.kubernetes.io/part-of': 'quarantine' };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'quarantine-worker', labels: part },
      rules: [
        { apiGroups: [''], resources: ['namespaces'], verbs: ['create', 'delete', 'list'] },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: [SANDBOX_CLUSTER_ROLE] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'quarantine-worker', labels: part },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'quarantine-worker' },
      subjects: [{ kind: 'ServiceAccount', name: WORKER_SERVICE_ACCOUNT, namespace: DEPLOY_NAMESPACE }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: SANDBOX_CLUSTER_ROLE, labels: part },
      rules: SANDBOX_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })),
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'quarantine-worker-sandboxes-only', labels: part },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'DELETE'], resources: ['namespaces'] },
            { apiGroups: ['rbac.authorization.k8s.io'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['rolebindings'] },
          ],
        },
        matchConditions: [{ name: 'worker-only', expression: `request.userInfo.username == '${WORKER_USER}'` }],
        validations: [
          {
            expression: `request.resource.resource != 'namespaces' || request.operation != 'CREATE' || (${LABELLED('object')})`,
            message: `the quarantine worker may only create namespaces labelled ${K8S_LABELS.sandbox}=true`,
          },
          {
            expression: `request.resource.resource != 'namespaces' || request.operation != 'DELETE' || (${LABELLED('oldObject')})`,
            message: `the quarantine worker may only delete namespaces labelled ${K8S_LABELS.sandbox}=true`,
          },
          {
            expression: `request.resource.resource != 'rolebindings' || ((${LABELLED('namespaceObject')}) && object.roleRef.kind == 'ClusterRole' && object.roleRef.name == '${SANDBOX_CLUSTER_ROLE}')`,
            message: `the quarantine worker may only bind ${SANDBOX_CLUSTER_ROLE} inside sandbox namespaces`,
          },
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'quarantine-worker-sandboxes-only', labels: part },
      spec: { policyName: 'quarantine-worker-sandboxes-only', validationActions: ['Deny'] },
    },
  ];
}

/**
 * Read access to a sensor DaemonSet's pod logs (Falco / Tracee as the probe), in the sensor's own
 * namespace only.
 */
export function sensorLogAccess(namespace: string): Obj[] {
  const name = `quarantine-worker-read-${namespace}-logs`;
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'quarantine' } },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'quarantine' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: WORKER_SERVICE_ACCOUNT, namespace: DEPLOY_NAMESPACE }],
    },
  ];
}

/** The generated files, path → documents (each file starts with a do-not-edit header). */
export function generatedDeployFiles(): Record<string, { header: string; docs: Obj[] }> {
  const header = (what: string) => `# GENERATED by \`npm run deploy:generate\` from libs/sandbox/src/kubernetes/deploy-manifests.ts: ${what}. Do not edit.\n`;
  return {
    'deploy/base/admission-webhooks.yaml': { header: header('admission webhooks (validate + mutate; enforce fails closed, warn fails open)'), docs: admissionWebhookConfigurations() },
    'deploy/overlays/kubernetes-runtime/rbac.yaml': { header: header("the worker's RBAC for sandbox namespaces"), docs: workerRbac() },
    'deploy/overlays/kubernetes-runtime/sensors/falco-log-access.yaml': { header: header('lets the worker read the Falco DaemonSet logs (probe: falco)'), docs: sensorLogAccess('falco') },
    'deploy/overlays/kubernetes-runtime/sensors/tracee-log-access.yaml': { header: header('lets the worker read the Tracee DaemonSet logs (probe: tracee)'), docs: sensorLogAccess('tracee') },
  };
}

/** The text of one generated file: header, then the documents separated by `---`. */
export function renderDeployFile(f: { header: string; docs: Obj[] }): string {
  return f.header + f.docs.map((d) => `---\n${stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('');
}
