import { isIP } from 'node:net';

/**
 * NetworkPolicy (networking.k8s.io/v1) and CiliumNetworkPolicy (cilium.io/v2) from what a run did on
 * the network (docs/hardening.md): ingress to the ports it listened on, egress to what it reached,
 * DNS to kube-dns when it resolved names, everything else denied (both policy types).
 */

/** The parts of a report the generator reads (report.network, report.stimulation). */
export interface NetworkFacts {
  network?: {
    mode?: string;
    connections?: { syscall?: string; family?: string; l4proto?: string; address?: string; port?: number; result?: string }[];
    dns?: { name?: string; type?: string; answers?: string[] }[];
    http?: { url?: string; dst?: string }[];
    tls?: { sni?: string; dst?: string }[];
  };
  stimulation?: { ports?: { port?: number; source?: string; kind?: string }[] } | null;
}

export interface PolicyOptions {
  name: string;
  namespace?: string;
  podSelector: Record<string, string>;
  analysisId: string;
  image: string;
}

type Protocol = 'TCP' | 'UDP';
export interface PortProto { port: number; protocol: Protocol }

export interface NetworkShape {
  /** Ports the sample listened on (not loopback-only), sorted. */
  ingress: PortProto[];
  /** Destinations it reached: real addresses (network none: hard-coded IPs) with ports; with the simulated network, addresses are the simulator's, so ports only. */
  egress: { cidr?: string; ports: PortProto[] }[];
  /** Names it resolved (simulated network): FQDN rules for Cilium, an annotation for plain NetworkPolicy. */
  names: string[];
  /** It resolved names (or sent to port 53): DNS to kube-dns is allowed. */
  dns: boolean;
  /** Lists cut at their caps. */
  truncated: boolean;
}

export const MAX_NAMES = 64;
export const MAX_PORTS = 64;
export const MAX_DESTINATIONS = 64;

const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function isLoopback(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1' || addr === '::ffff:127.0.0.1' || addr === 'localhost';
}

function proto(l4: string | undefined): Protocol | null {
  if (l4 === undefined || l4 === 'tcp') return 'TCP';
  if (l4 === 'udp') return 'UDP';
  return null;
}

function validPort(p: unknown): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;
}

function sortPorts(ps: Iterable<string>): PortProto[] {
  return [...ps].map((k) => { const [p, pr] = k.split('/'); return { port: Number(p), protocol: pr as Protocol }; })
    .sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

function hostOf(url: string): string | null {
  try { return new URL(url).hostname; } catch { return null; }
}

/** What the run did on the network, reduced to what a policy can express. Pure, bounded by the report's own caps and MAX_*. */
export function networkShape(facts: NetworkFacts): NetworkShape {
  const net = facts.network ?? {};
  const simulated = net.mode === 'simulated';
  let truncated = false;
  const ingress = new Set<string>();
  const egress = new Map<string, Set<string>>();
  let dns = false;
  for (const c of net.connections ?? []) {
    if (c.family !== 'ipv4' && c.family !== 'ipv6') continue;
    const pr = proto(c.l4proto);
    if (!pr || !validPort(c.port)) continue;
    const addr = c.address ?? '';
    if (c.syscall === 'listen' || (c.syscall === 'bind' && pr === 'UDP')) {
      if (c.result !== 'ok' || isLoopback(addr)) continue;
      if (ingress.size < MAX_PORTS) ingress.add(`${c.port}/${pr}`); else truncated = true;
    } else if (c.syscall === 'connect' || c.syscall === 'sendto' || c.syscall === 'sendmsg') {
      if (isLoopback(addr) || addr === '') continue;
      if (c.port === 53) { dns = true; continue; }
      // With the simulated network every address is the simulator's: only the port says anything.
      const key = simulated || isIP(addr) === 0 ? '' : `${addr}/${isIP(addr) === 6 ? 128 : 32}`;
      let ports = egress.get(key);
      if (!ports) {
        if (egress.size >= MAX_DESTINATIONS) { truncated = true; continue; }
        egress.set(key, (ports = new Set()));
      }
      if (ports.size < MAX_PORTS) ports.add(`${c.port}/${pr}`); else truncated = true;
    }
  }
  for (const p of facts.stimulation?.ports ?? []) {
    // A port a process listened on that stimulation reached (also catches listeners the trace attributed to no syscall).
    if (validPort(p.port) && (p.source === 'listening' || p.source === 'exposed+listening') && (p.kind === 'http' || p.kind === 'tcp')) {
      if (ingress.size < MAX_PORTS || ingress.has(`${p.port}/TCP`)) ingress.add(`${p.port}/TCP`); else truncated = true;
    }
  }
  const names = new Set<string>();
  const addName = (n: string | null | undefined) => {
    if (!n) return;
    const name = n.toLowerCase().replace(/\.$/, '');
    if (!DNS_NAME.test(name) || isIP(name) !== 0 || name === 'localhost') return;
    if (names.has(name)) return;
    if (names.size >= MAX_NAMES) { truncated = true; return; }
    names.add(name);
  };
  for (const d of net.dns ?? []) {
    dns = true;
    if (d.type === 'A' || d.type === 'AAAA' || d.type === undefined) addName(d.name);
  }
  if (simulated) {
    for (const h of net.http ?? []) addName(h.url ? hostOf(h.url) : null);
    for (const t of net.tls ?? []) addName(t.sni);
  }
  return {
    ingress: sortPorts(ingress),
    egress: [...egress.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([cidr, ps]) => ({ ...(cidr ? { cidr } : {}), ports: sortPorts(ps) })),
    names: [...names].sort(),
    dns,
    truncated,
  };
}

const KUBE_DNS_PEER = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

function metadata(opts: PolicyOptions, shape: NetworkShape) {
  const annotations: Record<string, string> = {
    'quarantine.io/analysis-id': opts.analysisId,
    'quarantine.io/image': opts.image.slice(0, 512),
  };
  if (shape.names.length) annotations['quarantine.io/egress-names'] = shape.names.join(',');
  if (shape.truncated) annotations['quarantine.io/truncated'] = 'true';
  return { name: opts.name, ...(opts.namespace ? { namespace: opts.namespace } : {}), annotations };
}

/** networking.k8s.io/v1 NetworkPolicy: default deny both ways, then the observed ingress ports, egress destinations/ports and DNS. */
export function networkPolicy(shape: NetworkShape, opts: PolicyOptions) {
  const ingress = shape.ingress.length ? [{ ports: shape.ingress.map((p) => ({ protocol: p.protocol, port: p.port })) }] : [];
  const egress: Record<string, unknown>[] = [];
  for (const e of shape.egress) {
    egress.push({
      ...(e.cidr ? { to: [{ ipBlock: { cidr: e.cidr } }] } : {}),
      ports: e.ports.map((p) => ({ protocol: p.protocol, port: p.port })),
    });
  }
  if (shape.dns) egress.push({ to: [KUBE_DNS_PEER], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(opts, shape),
    spec: {
      podSelector: { matchLabels: opts.podSelector },
      policyTypes: ['Ingress', 'Egress'],
      ingress,
      egress,
    },
  };
}

/** cilium.io/v2 CiliumNetworkPolicy: the same, with egress to the resolved names (toFQDNs) and the DNS proxy rule FQDN policy needs. */
export function ciliumNetworkPolicy(shape: NetworkShape, opts: PolicyOptions) {
  const toPorts = (ps: PortProto[]) => [{ ports: ps.map((p) => ({ port: String(p.port), protocol: p.protocol })) }];
  const ingress = shape.ingress.length ? [{ fromEntities: ['all'], toPorts: toPorts(shape.ingress) }] : [];
  const egress: Record<string, unknown>[] = [];
  const portsOnly = shape.egress.find((e) => !e.cidr);
  for (const e of shape.egress) if (e.cidr) egress.push({ toCIDR: [e.cidr], toPorts: toPorts(e.ports) });
  if (shape.names.length) {
    // Names resolved through the simulated network: allowed by name on the ports used (any port when none was seen).
    egress.push({ toFQDNs: shape.names.map((n) => ({ matchName: n })), ...(portsOnly ? { toPorts: toPorts(portsOnly.ports) } : {}) });
  } else if (portsOnly) {
    egress.push({ toEntities: ['world'], toPorts: toPorts(portsOnly.ports) });
  }
  if (shape.dns || shape.names.length) {
    // toFQDNs works only when the pod's DNS goes through Cilium's DNS proxy: a rule with `rules.dns`.
    egress.push({
      toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
      toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: shape.names.length ? shape.names.map((n) => ({ matchName: n })) : [{ matchPattern: '*' }] } }],
    });
  }
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: metadata(opts, shape),
    spec: {
      endpointSelector: { matchLabels: opts.podSelector },
      enableDefaultDeny: { ingress: true, egress: true },
      ingress,
      egress,
    },
  };
}
