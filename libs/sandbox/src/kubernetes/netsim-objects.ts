import { K8S_LABELS } from '#core/kubernetes/labels';

/**
 * The simulated network on the Kubernetes runtime (docs/network.md): a simulator pod in the
 * analysis' namespace and two NetworkPolicies on top of the namespace's default-deny, so the sample
 * pod may reach that pod and nothing else (no DNS of the cluster, no API server, no other pod, no
 * outside), and the simulator may be reached by the sample only and reach nothing. A pod cannot
 * TPROXY without NET_ADMIN, so here the simulator listens on a list of ports of its own address
 * (`listen` mode of netsim.py), DNS answers every name with that address, and connections to other
 * addresses are dropped by the policy rather than recorded.
 */
export const NETSIM_POD = 'netsim';
export const NETSIM_ROLE_LABEL = 'quarantine.io/role';

/** Ports the simulator listens on in a pod (DNS 53/udp besides): web, mail, IRC, proxies, miners' stratum, common shells. */
export const NETSIM_POD_PORTS = [21, 22, 23, 25, 80, 110, 143, 443, 465, 587, 993, 995, 1080, 3128, 3333, 3389, 4444, 5555, 6666, 6667, 7777, 8000, 8080, 8443, 8888, 9001, 9050, 14444, 45700] as const;

export interface NetsimPodInput {
  analysisId: string;
  namespace: string;
  /** An image with python3 and netsim.py + its assets in /opt/quarantine/netsim (deploy/netsim-image). */
  simulatorImage: string;
  windowSeconds: number;
  startAllowanceSeconds: number;
}

type Obj = Record<string, unknown>;

const NETSIM_DIR = '/opt/quarantine/netsim';
const RESOURCES = { cpu: '250m', memory: String(64 * 1024 ** 2), 'ephemeral-storage': String(16 * 1024 ** 2) };

function labels(input: NetsimPodInput, role: 'netsim' | 'sample'): Record<string, string> {
  return {
    [K8S_LABELS.sandbox]: 'true',
    [K8S_LABELS.analysisId]: input.analysisId,
    [K8S_LABELS.environment]: 'non-production',
    [K8S_LABELS.managedBy]: 'quarantine',
    [NETSIM_ROLE_LABEL]: role,
  };
}

/** The simulator pod: unprivileged (nobody, no capability, read-only root), its NetCapture lines on stdout (read through the pod log). */
export function netsimPodObject(input: NetsimPodInput): Obj {
  const cfg = {
    mark: 'quarantine-netsim',
    analysisId: input.analysisId,
    assets: NETSIM_DIR,
    listen: [...NETSIM_POD_PORTS],
    captureFd: 1,
    control: false,
    lifetime: Math.ceil(input.windowSeconds + input.startAllowanceSeconds),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: NETSIM_POD, namespace: input.namespace, labels: labels(input, 'netsim') },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: Math.ceil(input.windowSeconds + input.startAllowanceSeconds),
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      terminationGracePeriodSeconds: 1,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        runAsGroup: 65534,
        seccompProfile: { type: 'RuntimeDefault' },
        // Ports below 1024 without a capability (a namespaced, "safe" sysctl).
        sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
      },
      containers: [
        {
          name: NETSIM_POD,
          image: input.simulatorImage,
          imagePullPolicy: 'IfNotPresent',
          command: ['python3', '-I', '-S', `${NETSIM_DIR}/netsim.py`, JSON.stringify(cfg)],
          resources: { limits: RESOURCES, requests: RESOURCES },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

/** What the sample pod needs on the simulated network: its role label, and the simulator as its only resolver. */
export function samplePodNetworkPatch(simulatorIp: string): { labels: Record<string, string>; spec: Obj } {
  return {
    labels: { [NETSIM_ROLE_LABEL]: 'sample' },
    spec: { dnsPolicy: 'None', dnsConfig: { nameservers: [simulatorIp], searches: [], options: [{ name: 'ndots', value: '1' }] } },
  };
}

/** Allow rules on top of default-deny: sample → simulator (any port), simulator ← sample only, simulator → nothing. */
export function netsimNetworkPolicies(input: NetsimPodInput): Obj[] {
  const sample = { matchLabels: { [NETSIM_ROLE_LABEL]: 'sample' } };
  const netsim = { matchLabels: { [NETSIM_ROLE_LABEL]: 'netsim' } };
  const meta = (name: string) => ({ name, namespace: input.namespace, labels: { ...labels(input, 'netsim'), [NETSIM_ROLE_LABEL]: 'policy' } });
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('sample-to-netsim'),
      spec: { podSelector: sample, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: netsim }] }] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('netsim-from-sample'),
      spec: { podSelector: netsim, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: sample }] }] },
    },
  ];
}

/** The quota's extra room for the simulator pod (added to the sandbox's ResourceQuota). */
export const NETSIM_POD_RESOURCES = { cpu: RESOURCES.cpu, memory: RESOURCES.memory, storage: RESOURCES['ephemeral-storage'] };
