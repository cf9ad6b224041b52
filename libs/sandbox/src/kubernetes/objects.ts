import { K8S_LABELS } from '#core/kubernetes/labels';
import type { KubernetesProfile } from '#core/profiles/profile';
import { STRACE_ARGS } from '../probes/strace-args.js';
import { NETSIM_POD_RESOURCES, NETSIM_ROLE_LABEL, type NetsimPodInput, netsimNetworkPolicies, netsimPodObject } from './netsim-objects.js';
import type { SandboxLimits } from '../sandbox-runtime.js';

/**
 * The Kubernetes objects of one sandbox, as plain API objects (pure functions: the runtime creates
 * them, the unit tests validate them against the Kubernetes OpenAPI schemas). One namespace per
 * analysis holds a default-deny NetworkPolicy, a ResourceQuota, a LimitRange, a RoleBinding that
 * lets the worker manage what is inside, and the sample pod.
 */
export { K8S_LABELS };

export const K8S_ANNOTATIONS = {
  /** After this instant a reaper may delete the namespace (window + start allowance + grace). */
  deadline: 'quarantine.io/deadline',
  createdAt: 'quarantine.io/created-at',
  image: 'quarantine.io/image',
  probe: 'quarantine.io/probe',
} as const;

/** The ClusterRole the per-namespace RoleBinding grants the worker (deploy/base/rbac.yaml). */
export const SANDBOX_CLUSTER_ROLE = 'quarantine-sandbox';
export const SAMPLE_POD = 'sample';
export const SAMPLE_CONTAINER = 'sample';
export const PROBE_CONTAINER = 'probe';
export const HOLD_INSTALL_CONTAINER = 'hold-install';
/** Prefix of the probe agent's control lines in the probe container's log; every other line is trace. */
export const AGENT_PREFIX = '#quarantine-probe ';
/** Where the probe image keeps the static hold wrapper (deploy/probe-image/Dockerfile). */
export const PROBE_IMAGE_HOLD = '/usr/local/lib/quarantine/hold';
export const HOLD_DIR = '/.quarantine';
export const HOLD_IN_SAMPLE = `${HOLD_DIR}/hold`;

/** A profile's `kubernetes:` block, as validated in libs/core/src/profiles/profile.ts. */
export type KubernetesSandboxOptions = KubernetesProfile;
export type Toleration = NonNullable<KubernetesProfile['tolerations']>[number];

/**
 * How the probe runs: `sidecar` (strace in a native sidecar sharing the pod's pid namespace, the
 * sample held until it is attached) or `sensor` (a Falco / Tracee DaemonSet already on the node;
 * nothing extra in the pod, its log is read through the API and scoped to this namespace).
 */
export type ProbeMode = 'sidecar' | 'sensor';

export interface SandboxObjectsInput {
  analysisId: string;
  namespace: string;
  /** Image reference the kubelet pulls (pinned by digest when we know it). */
  image: string;
  /** The image's entrypoint + cmd; wrapped by the hold in sidecar mode. */
  argv: string[];
  hostname: string;
  limits: SandboxLimits;
  capabilities: 'default' | 'drop-all';
  probe: string;
  probeMode: ProbeMode;
  probeImage: string;
  /** ServiceAccount of the worker, bound to SANDBOX_CLUSTER_ROLE inside the namespace. */
  workerServiceAccount: { namespace: string; name: string };
  /** Seconds allowed for scheduling, image pull and probe start before the window. */
  startAllowanceSeconds: number;
  deadline: Date;
  createdAt: Date;
  ephemeralStorageBytes: number;
  options: KubernetesSandboxOptions;
  /** The simulated network (docs/network.md): a simulator pod beside the sample, reached by it only. */
  network?: { simulatorImage: string };
}

/** The simulator pod's input, when the sandbox has the simulated network. */
export function netsimInput(input: SandboxObjectsInput): NetsimPodInput | undefined {
  if (!input.network) return undefined;
  return {
    analysisId: input.analysisId,
    namespace: input.namespace,
    simulatorImage: input.network.simulatorImage,
    windowSeconds: input.limits.maxWindowSeconds ?? input.limits.windowSeconds,
    startAllowanceSeconds: input.startAllowanceSeconds,
  };
}

type Obj = Record<string, unknown>;

/** `<prefix>-<analysis id>`, a valid DNS-1123 label (≤ 63 chars). */
export function namespaceName(prefix: string | undefined, analysisId: string): string {
  const p = (prefix ?? 'qsbx').toLowerCase();
  const id = analysisId.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const name = `${p}-${id}`.slice(0, 63).replace(/-+$/, '');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new Error(`namespace name "${name}" is not a DNS-1123 label`);
  return name;
}

export function cpuQuantity(cpus: number): string {
  return `${Math.max(1, Math.round(cpus * 1000))}m`;
}

function labels(input: SandboxObjectsInput): Record<string, string> {
  return {
    [K8S_LABELS.sandbox]: 'true',
    [K8S_LABELS.analysisId]: input.analysisId,
    [K8S_LABELS.environment]: 'non-production',
    [K8S_LABELS.managedBy]: 'quarantine',
  };
}

export function namespaceObject(input: SandboxObjectsInput): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: input.namespace,
      labels: {
        ...labels(input),
        // The probe sidecar needs SYS_PTRACE, which `baseline` does not allow; a sensor pod fits baseline.
        'pod-security.kubernetes.io/enforce': input.probeMode === 'sidecar' ? 'privileged' : 'baseline',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/audit': 'restricted',
      },
      annotations: {
        [K8S_ANNOTATIONS.deadline]: input.deadline.toISOString(),
        [K8S_ANNOTATIONS.createdAt]: input.createdAt.toISOString(),
        [K8S_ANNOTATIONS.image]: input.image,
        [K8S_ANNOTATIONS.probe]: input.probe,
      },
    },
  };
}

/** Lets the worker's ServiceAccount manage the sandbox's objects in this namespace only. */
export function roleBindingObject(input: SandboxObjectsInput): Obj {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'quarantine-worker', namespace: input.namespace, labels: labels(input) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: SANDBOX_CLUSTER_ROLE },
    subjects: [{ kind: 'ServiceAccount', name: input.workerServiceAccount.name, namespace: input.workerServiceAccount.namespace }],
  };
}

/** Default deny, both directions: no rule means nothing is allowed in or out (DNS included). */
export function networkPolicyObject(input: SandboxObjectsInput): Obj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny', namespace: input.namespace, labels: labels(input) },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}

interface ContainerResources {
  cpu: string;
  memory: string;
  storage: string;
}

const PROBE_RESOURCES: ContainerResources = { cpu: '1000m', memory: String(128 * 1024 ** 2), storage: String(64 * 1024 ** 2) };
const HOLD_RESOURCES: ContainerResources = { cpu: '100m', memory: String(32 * 1024 ** 2), storage: String(16 * 1024 ** 2) };

function sampleResources(input: SandboxObjectsInput): ContainerResources {
  return { cpu: cpuQuantity(input.limits.cpus), memory: String(input.limits.memoryBytes), storage: String(input.ephemeralStorageBytes) };
}

function resources(r: ContainerResources): Obj {
  const q = { cpu: r.cpu, memory: r.memory, 'ephemeral-storage': r.storage };
  return { limits: q, requests: q };
}

function millis(cpu: string): number {
  return Number(cpu.replace(/m$/, ''));
}

/**
 * One pod and nothing else (two with the simulated network: the simulator's pod): the pods' containers
 * fit exactly (sample + probe sidecar; the hold installer runs before them and is smaller), no Service,
 * no PVC, no LoadBalancer/NodePort.
 */
export function resourceQuotaObject(input: SandboxObjectsInput): Obj {
  const parts = input.probeMode === 'sidecar' ? [sampleResources(input), PROBE_RESOURCES] : [sampleResources(input)];
  if (input.network) parts.push(NETSIM_POD_RESOURCES);
  const cpu = `${parts.reduce((s, p) => s + millis(p.cpu), 0)}m`;
  const memory = String(parts.reduce((s, p) => s + Number(p.memory), 0));
  const storage = String(parts.reduce((s, p) => s + Number(p.storage), 0));
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'sandbox', namespace: input.namespace, labels: labels(input) },
    spec: {
      hard: {
        pods: input.network ? '2' : '1',
        'limits.cpu': cpu,
        'requests.cpu': cpu,
        'limits.memory': memory,
        'requests.memory': memory,
        'limits.ephemeral-storage': storage,
        'requests.ephemeral-storage': storage,
        services: '0',
        persistentvolumeclaims: '0',
        secrets: '0',
        replicationcontrollers: '0',
      },
    },
  };
}

/** Caps every container at the largest of ours, and gives any container without limits small ones. */
export function limitRangeObject(input: SandboxObjectsInput): Obj {
  const s = sampleResources(input);
  const parts = input.probeMode === 'sidecar' ? [s, PROBE_RESOURCES] : [s];
  const max = {
    cpu: `${Math.max(...parts.map((p) => millis(p.cpu)))}m`,
    memory: String(Math.max(...parts.map((p) => Number(p.memory)))),
    'ephemeral-storage': String(Math.max(...parts.map((p) => Number(p.storage)))),
  };
  const small = { cpu: HOLD_RESOURCES.cpu, memory: HOLD_RESOURCES.memory, 'ephemeral-storage': HOLD_RESOURCES.storage };
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'sandbox', namespace: input.namespace, labels: labels(input) },
    spec: { limits: [{ type: 'Container', max, default: small, defaultRequest: small }] },
  };
}

/** POSIX-shell single quoting. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The probe agent, run by `sh` in the sidecar. It marks itself started (the startup probe), finds
 * the held wrapper (comm `hold`, state T) in the shared pid namespace, attaches strace to it,
 * confirms the attachment through TracerPid, and only then resumes it (SIGCONT): strace sees the
 * entrypoint's execve first. At the end of the window it kills the processes strace traces (the
 * sample's, not its own), so strace ends normally and the agent reports it. strace writes the trace to the container's output (read back through
 * the pod log API); the agent's own lines start with AGENT_PREFIX. After strace ends the agent stays
 * up: a sidecar that exits is restarted, and the pod ends when the sample does.
 */
export function probeAgentScript(): string {
  const args = STRACE_ARGS.map(shQuote).join(' ');
  const say = `say() { echo "${AGENT_PREFIX}$*"; }`;
  return [
    'set -u',
    say,
    'run="${QUARANTINE_RUN_DIR:-/run/quarantine}"',
    'mkdir -p "$run" && : > "$run/started"',
    'say started',
    'find_held() {',
    '  for d in /proc/[0-9]*; do',
    '    st=$(cat "$d/stat" 2>/dev/null) || continue',
    '    case "$st" in *" (hold) T "*|*" (hold) t "*) echo "${d#/proc/}"; return 0;; esac',
    '  done',
    '  return 1',
    '}',
    'until pid=$(find_held); do sleep 0.02; done',
    `uid=$(sed -n 's/^Uid:[[:space:]]*\\([0-9]*\\).*/\\1/p' /proc/$pid/status)`,
    `gid=$(sed -n 's/^Gid:[[:space:]]*\\([0-9]*\\).*/\\1/p' /proc/$pid/status)`,
    'say held pid=$pid uid=$uid gid=$gid',
    // `-o |cat`: the same line format as a trace file (no `[pid N]`), written to the container's
    // stdout without reopening /proc/self/fd/1 (which fails when stdout is a socket).
    `strace ${args} -o '|cat' -p "$pid" 2>&1 &`,
    'spid=$!',
    'n=0',
    'until grep -q "^TracerPid:[[:space:]]*$spid\\$" /proc/$pid/status 2>/dev/null; do',
    '  if ! kill -0 "$spid" 2>/dev/null; then wait "$spid"; say failed strace exited before attaching code=$?; kill -CONT "$pid"; exec sleep 2147483647; fi',
    '  n=$((n+1)); if [ "$n" -gt 1000 ]; then say failed strace did not attach within 10 s; kill "$spid"; kill -CONT "$pid"; exec sleep 2147483647; fi',
    '  sleep 0.01',
    'done',
    // Every process strace traces (-f follows all forks, also reparented ones) is the sample's: at the
    // window's end the agent kills exactly those, so strace ends normally and the agent reports it.
    'kill_sample() {',
    '  for round in 1 2 3 4 5; do',
    '    for d in /proc/[0-9]*; do grep -q "^TracerPid:[[:space:]]*$spid\\$" "$d/status" 2>/dev/null && kill -KILL "${d#/proc/}" 2>/dev/null; done',
    '  done',
    '}',
    'say attached pid=$pid',
    'kill -CONT "$pid"',
    'wpid=',
    'if [ "${QUARANTINE_WINDOW_SECONDS:-0}" != 0 ]; then ( sleep "$QUARANTINE_WINDOW_SECONDS"; say window expired; kill_sample ) & wpid=$!; fi',
    'wait "$spid"',
    'code=$?',
    'if [ -n "$wpid" ]; then kill "$wpid" 2>/dev/null; fi',
    'say exit code=$code',
    'exec sleep 2147483647',
  ].join('\n');
}

function sampleSecurityContext(input: SandboxObjectsInput): Obj {
  const restricted = input.options.restricted === true;
  const dropAll = restricted || input.capabilities === 'drop-all';
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    seccompProfile: { type: 'RuntimeDefault' },
    ...(dropAll ? { capabilities: { drop: ['ALL'] } } : {}),
    ...(restricted ? { runAsNonRoot: true } : {}),
  };
}

export function samplePodObject(input: SandboxObjectsInput): Obj {
  const sidecar = input.probeMode === 'sidecar';
  const o = input.options;
  const initContainers: Obj[] = [];
  const volumes: Obj[] = [];
  if (sidecar) {
    volumes.push(
      { name: 'quarantine-hold', emptyDir: { sizeLimit: '16Mi' } },
      { name: 'probe-run', emptyDir: { sizeLimit: '1Mi' } },
    );
    initContainers.push(
      {
        name: HOLD_INSTALL_CONTAINER,
        image: input.probeImage,
        imagePullPolicy: 'IfNotPresent',
        command: ['/bin/sh', '-c', `cp ${PROBE_IMAGE_HOLD} ${HOLD_IN_SAMPLE} && chmod 0555 ${HOLD_IN_SAMPLE}`],
        resources: resources(HOLD_RESOURCES),
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 0, capabilities: { drop: ['ALL'] } },
        volumeMounts: [{ name: 'quarantine-hold', mountPath: HOLD_DIR }],
      },
      {
        name: PROBE_CONTAINER,
        image: input.probeImage,
        imagePullPolicy: 'IfNotPresent',
        // A native sidecar: started before the sample, kept running beside it.
        restartPolicy: 'Always',
        command: ['/bin/sh', '-c', probeAgentScript()],
        // The agent ends the window itself (kills the sample's processes only), so strace reports its end.
        env: [{ name: 'QUARANTINE_WINDOW_SECONDS', value: String(input.limits.windowSeconds) }],
        startupProbe: { exec: { command: ['cat', '/run/quarantine/started'] }, periodSeconds: 1, failureThreshold: 60 },
        resources: resources(PROBE_RESOURCES),
        // ptrace and SIGCONT of a process owned by another user; nothing else.
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsUser: 0,
          capabilities: { drop: ['ALL'], add: ['SYS_PTRACE', 'KILL'] },
        },
        volumeMounts: [{ name: 'probe-run', mountPath: '/run/quarantine' }],
      },
    );
  }
  const sample: Obj = {
    name: SAMPLE_CONTAINER,
    image: input.image,
    imagePullPolicy: 'IfNotPresent',
    // The image's own user, env and working directory apply unchanged.
    ...(sidecar ? { command: [HOLD_IN_SAMPLE, ...input.argv], args: [] } : {}),
    resources: resources(sampleResources(input)),
    securityContext: sampleSecurityContext(input),
    ...(sidecar ? { volumeMounts: [{ name: 'quarantine-hold', mountPath: HOLD_DIR, readOnly: true }] } : {}),
    stdin: false,
    tty: false,
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: SAMPLE_POD, namespace: input.namespace, labels: labels(input) },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: Math.ceil(input.limits.windowSeconds + input.startAllowanceSeconds),
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostname: input.hostname,
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      shareProcessNamespace: sidecar,
      terminationGracePeriodSeconds: 1,
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      ...(o.runtimeClassName ? { runtimeClassName: o.runtimeClassName } : {}),
      ...(o.nodeSelector && Object.keys(o.nodeSelector).length > 0 ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.tolerations && o.tolerations.length > 0 ? { tolerations: o.tolerations } : {}),
      ...(initContainers.length > 0 ? { initContainers } : {}),
      containers: [sample],
      ...(volumes.length > 0 ? { volumes } : {}),
    },
  };
}

/** Every object of one sandbox, in creation order (the pod last). */
export function sandboxObjects(input: SandboxObjectsInput): { namespace: Obj; inNamespace: Obj[]; pod: Obj } {
  const netsim = netsimInput(input);
  const pod = samplePodObject(input);
  // The simulator's NetworkPolicies select the sample by this label; its DNS (the simulator's pod IP) is set at start.
  if (netsim) (pod.metadata as { labels: Record<string, string> }).labels[NETSIM_ROLE_LABEL] = 'sample';
  return {
    namespace: namespaceObject(input),
    inNamespace: [
      roleBindingObject(input),
      networkPolicyObject(input),
      resourceQuotaObject(input),
      limitRangeObject(input),
      ...(netsim ? [...netsimNetworkPolicies(netsim), netsimPodObject(netsim)] : []),
    ],
    pod,
  };
}
