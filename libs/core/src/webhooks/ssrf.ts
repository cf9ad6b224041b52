import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * SSRF guard for webhook URLs. A URL is refused when its host is the cluster API or when any
 * address it resolves to is loopback, link-local (cloud metadata), private, shared (CGNAT),
 * unspecified, multicast or reserved — unless WEBHOOK_ALLOW_HOSTS lists the host name or a CIDR
 * holding the address. Deliveries connect to the address that was checked (no DNS rebinding).
 */
export class SsrfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SsrfError';
  }
}

export interface AllowList {
  hosts: Set<string>;
  cidrs: BlockList;
  /** As configured, for messages. */
  raw: string[];
  /** The cluster API's address when running in Kubernetes (KUBERNETES_SERVICE_HOST, read with the config): always blocked. */
  clusterApi?: string;
}

export interface CheckedTarget {
  url: URL;
  /** The address the delivery must connect to. */
  address: string;
  family: 4 | 6;
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const defaultResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

const BLOCKED_V4: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['127.0.0.0', 8, 'loopback'],
  ['10.0.0.0', 8, 'private'],
  ['172.16.0.0', 12, 'private'],
  ['192.168.0.0', 16, 'private'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['100.64.0.0', 10, 'shared address space'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const BLOCKED_V6: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fe80::', 10, 'link-local'],
  ['fc00::', 7, 'unique local (private)'],
  ['ff00::', 8, 'multicast'],
];

const CLUSTER_HOST = /^(kubernetes(\.default)?|.+\.svc|.+\.svc\.cluster\.local|.+\.cluster\.local)\.?$/i;

/** Parses `WEBHOOK_ALLOW_HOSTS`: comma-separated host names, IP addresses or CIDRs. Throws naming the bad entry. */
export function parseAllowList(raw: string | undefined): AllowList {
  const list: AllowList = { hosts: new Set(), cidrs: new BlockList(), raw: [] };
  for (const entry of (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    list.raw.push(entry);
    const slash = entry.indexOf('/');
    const ip = slash >= 0 ? entry.slice(0, slash) : entry;
    const fam = isIP(ip);
    if (fam) {
      const bits = slash >= 0 ? Number(entry.slice(slash + 1)) : fam === 4 ? 32 : 128;
      if (!Number.isInteger(bits) || bits < 0 || bits > (fam === 4 ? 32 : 128)) throw new Error(`entry "${entry}" has an invalid prefix length`);
      list.cidrs.addSubnet(ip, bits, fam === 4 ? 'ipv4' : 'ipv6');
    } else if (slash < 0 && /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(entry)) {
      list.hosts.add(entry.toLowerCase());
    } else {
      throw new Error(`entry "${entry}" is neither a host name, an IP address nor a CIDR`);
    }
  }
  return list;
}

/** Why an address is not routable to the public internet, or null if it is. */
export function blockedReason(address: string, clusterApi?: string): string | null {
  let a = address;
  let fam = isIP(a);
  // IPv4-mapped IPv6 (::ffff:a.b.c.d, or ::ffff:7f00:1 as URLs normalise it) is checked as IPv4.
  const mapped = fam === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a) : null;
  const mappedHex = fam === 6 ? /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(a) : null;
  if (mapped) {
    a = mapped[1];
    fam = 4;
  } else if (mappedHex) {
    const hi = parseInt(mappedHex[1], 16);
    const lo = parseInt(mappedHex[2], 16);
    a = [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
    fam = 4;
  }
  if (fam === 0) return 'not an IP address';
  for (const [net, bits, why] of fam === 4 ? BLOCKED_V4 : BLOCKED_V6) {
    const bl = new BlockList();
    bl.addSubnet(net, bits, fam === 4 ? 'ipv4' : 'ipv6');
    if (bl.check(a, fam === 4 ? 'ipv4' : 'ipv6')) return `${why} (${net}/${bits})`;
  }
  if (clusterApi && clusterApi === a) return 'the cluster API';
  return null;
}

function allowedAddress(allow: AllowList, address: string): boolean {
  const fam = isIP(address);
  return fam !== 0 && allow.cidrs.check(address, fam === 4 ? 'ipv4' : 'ipv6');
}

/** Syntax only: http(s), a host, no credentials in the URL. Throws SsrfError with the reason. */
export function parseWebhookUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new SsrfError('is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SsrfError(`must use http or https, not ${url.protocol.replace(':', '')}`);
  if (!url.hostname) throw new SsrfError('has no host');
  if (url.username || url.password) throw new SsrfError('must not carry credentials');
  return url;
}

/** Checks the URL and returns the address to connect to; throws SsrfError naming the reason. */
export async function checkWebhookUrl(input: string, allow: AllowList, resolver: Resolver = defaultResolver): Promise<CheckedTarget> {
  const url = parseWebhookUrl(input);
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const hostAllowed = allow.hosts.has(host);
  if (!hostAllowed && CLUSTER_HOST.test(host)) throw new SsrfError(`host ${host} is the cluster API or an in-cluster service`);
  let addrs: { address: string; family: number }[];
  if (isIP(host)) addrs = [{ address: host, family: isIP(host) }];
  else {
    try {
      addrs = await resolver(host);
    } catch (e) {
      throw new SsrfError(`host ${host} does not resolve (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (addrs.length === 0) throw new SsrfError(`host ${host} does not resolve`);
  }
  for (const { address } of addrs) {
    const why = blockedReason(address, allow.clusterApi);
    if (why && !hostAllowed && !allowedAddress(allow, address)) {
      throw new SsrfError(`host ${host} resolves to ${address}, a ${why} address; allow it with WEBHOOK_ALLOW_HOSTS`);
    }
  }
  const first = addrs[0];
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
