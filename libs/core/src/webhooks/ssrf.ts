import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

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
  /** The cluster API's address when running in Kubernetes (KUBERNETES_SERVICE_HOST, read with the config): always blocked. */
  clusterApi?: string;
  cidrs: BlockList;
  /** As configured, for messages. */
  raw: string[];
}

export interface CheckedTarget {
  url: URL;
  /** The address the delivery must connect to. */
  address: string;
  family: 4 | 6;
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const defaultResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

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

/** Why an IPv4 range (ipaddr.js's classification) is not the public internet. */
const V4_WHY: Record<string, string> = {
  unspecified: 'unspecified (0.0.0.0/8)',
  broadcast: 'broadcast',
  multicast: 'multicast (224.0.0.0/4)',
  linkLocal: 'link-local (cloud metadata) (169.254.0.0/16)',
  loopback: 'loopback (127.0.0.0/8)',
  carrierGradeNat: 'shared address space (100.64.0.0/10)',
  private: 'private (10/8, 172.16/12, 192.168/16)',
  reserved: 'reserved, documentation or benchmarking (192.0.0/24, 192.0.2/24, 198.18/15, 198.51.100/24, 203.0.113/24, 240/4…)',
  as112: 'AS112 anycast',
  amt: 'AMT anycast',
};
const V6_WHY: Record<string, string> = {
  unspecified: 'unspecified (::)',
  linkLocal: 'link-local (fe80::/10)',
  multicast: 'multicast (ff00::/8)',
  loopback: 'loopback (::1)',
  uniqueLocal: 'unique local (private) (fc00::/7)',
  deprecatedSiteLocal: 'site-local (fec0::/10)',
  discard: 'discard-only (100::/64)',
  benchmarking: 'benchmarking (2001:2::/48)',
  amt: 'AMT (2001:3::/32)',
  as112v6: 'AS112 anycast',
  deprecatedOrchid: 'ORCHID (2001:10::/28)',
  orchid2: 'ORCHIDv2 (2001:20::/28)',
  droneRemoteIdProtocolEntityTags: 'drone remote ID (2001:30::/28)',
  segmentRouting: 'segment routing (5f00::/16)',
  reserved: 'reserved or documentation (2001::/23, 2001:db8::/32, 3fff::/20)',
};

function v4(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
}

/**
 * IPv4 addresses an IPv6 address carries, and how: IPv4-mapped and SIIT (`::ffff:a.b.c.d`,
 * `::ffff:0:a.b.c.d`), well-known NAT64 (`64:ff9b::a.b.c.d`), 6to4 (`2002:AABB:CCDD::`) and Teredo
 * (server, and client with its bits inverted). Traffic to these reaches the embedded IPv4 address.
 */
export function embeddedIPv4(ip: ipaddr.IPv6): { how: string; addresses: ipaddr.IPv4[] } | null {
  const p = ip.parts;
  switch (ip.range()) {
    case 'ipv4Mapped':
      return { how: 'IPv4-mapped', addresses: [v4(p[6], p[7])] };
    case 'rfc6145':
      return { how: 'IPv4-translated (SIIT)', addresses: [v4(p[6], p[7])] };
    case 'rfc6052':
      return p[2] === 0 ? { how: 'NAT64', addresses: [v4(p[6], p[7])] } : null;
    case '6to4':
      return { how: '6to4', addresses: [v4(p[1], p[2])] };
    case 'teredo':
      return { how: 'Teredo', addresses: [v4(p[2], p[3]), v4(p[6] ^ 0xffff, p[7] ^ 0xffff)] };
    default:
      return null;
  }
}

/**
 * ipaddr.js, given an IPv6 address with a dotted IPv4 tail, reads `::a.b.c.d` as IPv4-mapped: the
 * tail is turned into two hex groups first so the parts are the address's own.
 */
function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const tail = address.includes(':') ? /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address) : null;
  if (!tail) return ipaddr.parse(address);
  const [a, b, c, d] = tail.slice(2).map(Number);
  return ipaddr.IPv6.parse(`${tail[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`);
}

function v4Reason(ip: ipaddr.IPv4): string | null {
  const range = ip.range();
  return range === 'unicast' ? null : (V4_WHY[range] ?? range);
}

/**
 * Why an address is not routable to the public internet, or null if it is. Address parsing and
 * range classification are ipaddr.js's; IPv6 forms that carry an IPv4 address are judged by that
 * address, and the rest of ::/8 (IPv4-compatible `::a.b.c.d` included) and 64:ff9b:1::/48
 * (local-use NAT64) are refused whole.
 */
export function blockedReason(address: string, clusterApi?: string): string | null {
  const fam = isIP(address);
  if (fam === 0) return 'not an IP address';
  const ip = parseAddress(address);
  let why: string | null;
  if (ip.kind() === 'ipv4') why = v4Reason(ip as ipaddr.IPv4);
  else {
    const v6 = ip as ipaddr.IPv6;
    const embedded = embeddedIPv4(v6);
    const range = v6.range();
    if (embedded) {
      why = null;
      for (const a of embedded.addresses) {
        const r = v4Reason(a);
        if (r) {
          why = `${r} via ${embedded.how} (${a.toString()})`;
          break;
        }
      }
    } else if (range === 'rfc6052') why = 'local-use NAT64 (64:ff9b:1::/48)';
    else if (range !== 'unicast') why = V6_WHY[range] ?? range;
    else if (v6.parts[0] < 0x100) {
      const compat = v6.parts.slice(0, 6).every((x) => x === 0);
      why = compat ? `IPv4-compatible (deprecated, ::/96) (${v4(v6.parts[6], v6.parts[7]).toString()})` : 'reserved (::/8)';
    } else why = null;
  }
  if (why) return why;
  if (clusterApi && clusterApi === address) return 'the cluster API';
  return null;
}

function allowedAddress(allow: AllowList, address: string): boolean {
  const fam = isIP(address);
  if (fam === 0) return false;
  if (allow.cidrs.check(address, fam === 4 ? 'ipv4' : 'ipv6')) return true;
  // An allowed IPv4 range also allows the IPv6 forms that carry an address in it.
  const embedded = fam === 6 ? embeddedIPv4(parseAddress(address) as ipaddr.IPv6) : null;
  return !!embedded && embedded.addresses.every((a) => allow.cidrs.check(a.toString(), 'ipv4'));
}

/** Syntax only: http(s), a host, no credentials in the URL. Throws SsrfError with the reason. */
export function parseWebhookUrl(input: string): URL {
  // The URL parser drops tab, CR and LF and percent-encodes the rest: what would be stored is not what was sent.
  if (/[\x00-\x20\x7f]/.test(input)) throw new SsrfError('must not contain whitespace or control characters');
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
