/**
 * Rule fields of the simulated network (`source: network` events, EvalContext.net) and of
 * executions of downloaded files. On other events the net.* fields are <NA> (comparisons false).
 */
import { registrableDomain } from '../network/dga.js';
import { escapeBytes } from '../network/escape.js';
import { captureUrl } from '../network/network-analysis.js';
import type { NetView } from '../network/view.js';
import type { EvalContext } from '../state/context.js';
import type { FieldDef, FieldType, FieldValue } from './field.js';

type Get = (v: NetView, c: EvalContext) => FieldValue;

function net(name: string, type: FieldType, get: Get, desc: string, extra: Partial<FieldDef> = {}): FieldDef {
  const getter = (c: EvalContext): FieldValue => (c.net === undefined ? undefined : get(c.net, c));
  return {
    name, type, desc, ...extra,
    extract: (c) => getter(c),
    bind: (arg) => {
      if (arg !== undefined) throw new Error(`field '${name}' does not take an argument`);
      return getter;
    },
  };
}

function firstBytes(v: NetView): string | undefined {
  if (v.firstBytesText !== undefined) return v.firstBytesText;
  const b = v.rec.firstBytesBuf;
  if (b === undefined) return undefined;
  v.firstBytesText = escapeBytes(b);
  return v.firstBytesText;
}

/** The host name an exchange is about: the DNS query, else the TLS SNI, else the HTTP Host (port removed), else the DNS-mapped name. */
function hostName(v: NetView): string | undefined {
  const r = v.rec;
  if (r.dns) return r.dns.name.replace(/\.$/, '').toLowerCase();
  if (r.tls?.sni) return r.tls.sni.toLowerCase();
  const h = r.http?.host;
  if (h) {
    if (h.startsWith('[')) return undefined;
    const c = h.lastIndexOf(':');
    return (c >= 0 && h.indexOf(':') === c ? h.slice(0, c) : h).toLowerCase();
  }
  return v.dstName?.toLowerCase();
}

const joinUnique = (xs: string[]) => [...new Set(xs)].join(',');

export function networkFields(): FieldDef[] {
  return [
    net('net.kind', 'string', (v) => v.rec.kind, 'Kind of exchange the simulator recorded: dns, http, tls, tcp, udp (evt.type: dns_query, http_request, tls_hello, tcp_stream, udp_datagram).'),
    net('net.transport', 'string', (v) => v.rec.transport, 'tcp or udp.'),
    net('net.dst.ip', 'ipaddr', (v) => v.rec.dst.ip, 'Original destination address the sample sent to (before the redirect to the simulator).'),
    net('net.dst.port', 'number', (v) => v.rec.dst.port, 'Original destination port.'),
    net('net.dst.name', 'string', (v) => v.dstName, 'Name a DNS answer earlier in the run mapped net.dst.ip to (the latest such answer); <NA> if none.', {
      approximation: 'The simulator answers every name with its own addresses, so several names may map to one address: the latest answer before the exchange wins.',
    }),
    net('net.name', 'string', hostName, 'Host name the exchange is about, lower-cased: the DNS query name, else the TLS SNI, else the HTTP Host without port, else net.dst.name.'),
    net('net.domain', 'string', (v) => {
      const h = hostName(v);
      return h === undefined ? undefined : registrableDomain(h);
    }, 'Registrable domain of net.name: its last two labels, three under a second-level suffix like co.uk (pool.supportxmr.com → supportxmr.com).', {
      approximation: 'A short built-in list of second-level suffixes, not the full Public Suffix List.',
    }),
    net('net.src.ip', 'ipaddr', (v) => v.rec.src.ip, 'The sample\'s address of the exchange.'),
    net('net.src.port', 'number', (v) => v.rec.src.port, 'The sample\'s port of the exchange.'),
    net('net.dns.name', 'string', (v) => v.rec.dns?.name, 'DNS query name, as sent.'),
    net('net.dns.type', 'string', (v) => v.rec.dns?.type, 'DNS query type (A, AAAA, TXT, …).'),
    net('net.dns.answers', 'string', (v) => v.rec.dns?.answers.join(','), 'Addresses the simulator answered, comma-separated.'),
    net('net.dns.name_random', 'bool', (v) => (v.rec.dns ? v.nameRandom === true : undefined), 'The query name looks machine-generated (length, vowel ratio, consonant runs, digit/letter mixing, entropy of its main label).'),
    net('net.dns.random_names', 'number', (v) => (v.rec.dns ? v.randomNames : undefined), 'Distinct random-looking names queried so far in the run, this one included (DGA-like behaviour: compare with a per-run threshold).'),
    net('net.dns.distinct_names', 'number', (v) => (v.rec.dns ? v.distinctNames : undefined), 'Distinct names queried so far in the run, this one included.'),
    net('net.http.method', 'string', (v) => v.rec.http?.method, 'HTTP request method.'),
    net('net.http.host', 'string', (v) => v.rec.http?.host, 'HTTP Host header.'),
    net('net.http.path', 'string', (v) => v.rec.http?.path, 'HTTP request target (path and query), as sent.'),
    net('net.http.url', 'string', (v) => captureUrl(v.rec), 'http(s)://host/path of the request (https when TLS carried it or the port is 443).'),
    net('net.http.user_agent', 'string', (v) => v.rec.http?.userAgent, 'HTTP User-Agent header.'),
    net('net.http.status', 'number', (v) => v.rec.http?.status, 'Status the simulator answered.'),
    net('net.http.served', 'string', (v) => v.rec.http?.served, 'What the simulator served: elf, script, html, text, none.'),
    net('net.http.body_bytes', 'number', (v) => v.rec.http?.bodyBytes, 'Size of the request body.'),
    {
      name: 'net.http.header', type: 'string', arg: 'required', desc: 'A request header by (case-insensitive) name, e.g. net.http.header[authorization].',
      extract: (c, arg) => (c.net?.rec.http?.headers ?? {})[(arg ?? '').toLowerCase()],
      bind: (arg) => {
        if (arg === undefined || arg === '') throw new Error("field 'net.http.header' requires an argument");
        const k = arg.toLowerCase();
        return (c) => c.net?.rec.http?.headers?.[k];
      },
    },
    net('net.tls.sni', 'string', (v) => v.rec.tls?.sni, 'TLS server name indication.'),
    net('net.tls.alpn', 'string', (v) => v.rec.tls?.alpn?.join(','), 'TLS ALPN protocols offered, comma-separated.'),
    net('net.first_bytes', 'string', firstBytes, 'First bytes the sample sent (at most 4096), printable-escaped: printable ASCII as is, \\\\, \\n, \\r, \\t, other bytes \\xNN.'),
    net('net.first_bytes.head', 'string', (v) => (v.rec.firstBytesBuf === undefined ? undefined : escapeBytes(v.rec.firstBytesBuf, 128)), 'The first 128 of those bytes, escaped the same way (for rule outputs).'),
    net('net.bytes_in', 'number', (v) => v.rec.bytesIn, 'Bytes received from the sample on this exchange.'),
    net('net.proc_match', 'string', (v) => v.procMatch, 'How the exchange was tied to its process: connect, sendto, sendmsg, or none (proc.* then describe no process: pid 0, name <unknown>).'),
    net('net.lure.matched', 'bool', (v) => v.lures.length > 0, 'A credential lure\'s secret was found in this exchange (plain, hex, base64, base64url or URL-encoded).'),
    net('net.lure.kind', 'string', (v) => (v.lures.length ? joinUnique(v.lures.map((l) => l.kind)) : undefined), 'Kinds of the lures found (aws-env, ssh-key, …), comma-separated.'),
    net('net.lure.location', 'string', (v) => (v.lures.length ? joinUnique(v.lures.map((l) => l.location)) : undefined), 'Where those lures were planted, comma-separated.'),
    net('net.lure.encoding', 'string', (v) => (v.lures.length ? joinUnique(v.lures.map((l) => l.encoding)) : undefined), 'How they were sent: plain, hex, base64, base64url, url.'),
    net('net.lure.where', 'string', (v) => (v.lures.length ? joinUnique(v.lures.map((l) => l.where)) : undefined), 'Part of the exchange: dns, url, header:<name>, body, sni, bytes.'),
    {
      name: 'proc.is_exe_downloaded', type: 'bool',
      desc: 'The executable (or, for a script interpreter, its script argument) was served by the simulated network earlier in the run: its writer fetched it over HTTP, it has the download\'s file name, or it was written during the run after a download no process could be tied to. Set at exec, kept by forks.',
      approximation: 'The probes do not see file contents, so the served payload\'s hash cannot be compared: the tie is by writer process, file name or drift.',
      extract: (c) => c.proc.exeDownload !== undefined,
      bind: (arg) => {
        if (arg !== undefined) throw new Error("field 'proc.is_exe_downloaded' does not take an argument");
        return (c) => c.proc.exeDownload !== undefined;
      },
    },
    {
      name: 'proc.exe_download_url', type: 'string', desc: 'URL the executable was downloaded from (see proc.is_exe_downloaded); <NA> otherwise.',
      extract: (c) => c.proc.exeDownload?.url,
      bind: (arg) => {
        if (arg !== undefined) throw new Error("field 'proc.exe_download_url' does not take an argument");
        return (c) => c.proc.exeDownload?.url;
      },
    },
  ];
}
