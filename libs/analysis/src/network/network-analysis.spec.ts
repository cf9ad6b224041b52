import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NormalizedEvent } from '../events/event.js';
import type { Lure } from '../lures/lure.js';
import { analyzeTrace } from '../pipeline/analyze-trace.js';
import { parserFor } from '../probes/parsers.js';
import { readLines } from '../probes/trace-parser.js';
import { compileRules } from '../rules/index.js';
import type { CaptureLimits } from './capture-reader.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const rulesDir = here('../../../../sandbox-profiles/rules');
const shipped = readdirSync(rulesDir).filter((f) => f.endsWith('.yaml')).sort().map((f) => ({ name: f, text: readFileSync(join(rulesDir, f), 'utf8') }));
const rules = compileRules(shipped);
const sandbox = { containerId: 'c0ffee', containerName: 'n', image: 'i', imageRepository: 'i', imageTag: 'latest', imageDigest: '', privileged: false, mounts: [] };

interface Run {
  trace?: string;
  probeDir?: string;
  capture: string | Buffer | (string | Buffer)[];
  lures?: Lure[];
  limits?: Partial<CaptureLimits>;
  probe?: string;
}

async function run(r: Run) {
  const events: NormalizedEvent[] = [];
  const out = { write: (s: string) => { events.push(JSON.parse(s) as NormalizedEvent); return true; }, writableNeedDrain: false };
  async function* none(): AsyncGenerator<string> {}
  const lines = r.trace ? readLines(createReadStream(here(`${r.probeDir ?? './__fixtures__'}/${r.trace}`))) : none();
  const capture = Array.isArray(r.capture) ? r.capture : [r.capture];
  const res = await analyzeTrace({
    lines, createParser: parserFor(r.probe ?? 'strace'), tracker: { sandbox }, rules,
    eventsOut: out as unknown as NodeJS.WritableStream & import('node:stream').Writable,
    network: { capture, lures: r.lures, limits: r.limits },
  });
  return { ...res, all: events, net: events.filter((e) => e.source === 'network') };
}

const fixture = (name: string) => readFileSync(here(`./__fixtures__/${name}`), 'utf8');
const rulesOf = (r: { findings: { rule: string }[] }) => r.findings.map((f) => f.rule);

let tsMs = 1_795_780_000_000;
function cap(o: Record<string, unknown>): string {
  return JSON.stringify({ v: 1, ts: tsMs++, transport: 'tcp', src: { ip: '10.203.0.5', port: 40000 }, dst: { ip: '10.203.0.2', port: 80 }, bytesIn: 10, ...o });
}
const dns = (name: string, type = 'A', extra: Record<string, unknown> = {}) =>
  cap({ kind: 'dns', transport: 'udp', dst: { ip: '10.203.0.2', port: 53 }, dns: { name, type, answers: ['10.203.0.2'] }, ...extra });
const http = (host: string, path: string, extra: Record<string, unknown> = {}, dst = { ip: '10.203.0.2', port: 80 }) =>
  cap({ kind: 'http', dst, http: { method: 'GET', host, path, userAgent: 'curl/8.5.0', headers: { host }, bodyBytes: 0, status: 200, served: 'html', ...extra } });
const tls = (sni: string) => cap({ kind: 'tls', dst: { ip: '10.203.0.2', port: 443 }, tls: { sni, alpn: ['h2', 'http/1.1'] } });
const tcp = (bytes: string | Buffer, port = 3333, ip = '10.203.0.2') =>
  cap({ kind: 'tcp', dst: { ip, port }, firstBytes: Buffer.from(bytes).toString('base64') });

describe('network captures in the analysis pipeline (strace fixtures + NetCapture fixtures)', () => {
  it('dropper: DNS and HTTP tied to wget by its connects, the download tied to the exec of the file wget wrote', async () => {
    const r = await run({ trace: 'netdropper.strace', capture: fixture('netdropper.capture.ndjson') });
    expect(r.parser.unparsed).toBe(0);
    const [q, g] = r.net;
    expect(q).toMatchObject({ type: 'dns_query', source: 'network', pid: 201, proc: { name: 'wget' }, args: { dns_name: 'dl.example.test', dns_type: 'A', proc_match: 'connect', dst: '10.203.0.2:53' } });
    expect(g).toMatchObject({ type: 'http_request', pid: 201, args: { method: 'GET', url: 'http://dl.example.test/d?id=7', user_agent: 'Wget/1.21.3', served: 'elf', dst_name: 'dl.example.test', proc_match: 'connect' } });
    expect(g!.fd).toEqual({ num: -1, type: 'ipv4', name: '10.203.0.5:40002->10.203.0.2:80' });
    const f = r.findings.find((x) => x.rule === 'Downloaded Executable Run')!;
    expect(f).toMatchObject({ priority: 'critical', count: 1 });
    expect(f.output).toContain('exe=/tmp/.x url=http://dl.example.test/d?id=7');
    expect(f.tags).toEqual(expect.arrayContaining(['T1105', 'T1204.002']));
    // /tmp/tool was written and run too, but nothing downloaded it: drift, not a download.
    expect(f.evidence.map((e) => e.proc.exe)).toEqual(['/tmp/.x']);
    expect(r.network!.downloads).toEqual([expect.objectContaining({
      url: 'http://dl.example.test/d?id=7', served: 'elf', executed: true, proc: expect.objectContaining({ pid: 201, name: 'wget' }),
      executions: [expect.objectContaining({ pid: 202, exepath: '/tmp/.x', match: 'writer' })],
    })]);
    expect(r.network!.http[0]).toMatchObject({ method: 'GET', userAgent: 'Wget/1.21.3', url: 'http://dl.example.test/d?id=7', match: 'connect' });
    expect(r.network!.dns[0]).toMatchObject({ name: 'dl.example.test', type: 'A', random: false });
    // Merged in time order: each network event sits after the probe's connect it belongs to.
    const seqOf = (pred: (e: NormalizedEvent) => boolean) => r.all.find(pred)!.seq;
    expect(g!.seq).toBeGreaterThan(seqOf((e) => e.type === 'connect' && e.args.fd === 3 && String(e.fd?.name).endsWith(':80')));
    expect(q!.seq).toBeLessThan(g!.seq);
  });

  it('the same download is tied by file name when the writer is unknown, and not at all to unrelated execs', async () => {
    const trace = fixture('netdropper.strace').replace(/ openat\(AT_FDCWD, "\/tmp\/\.x".*\n/, ' getpid() = 201\n').replace(/ write\(4<\/tmp\/\.x>.*\n/, ' getpid() = 201\n');
    const capture = fixture('netdropper.capture.ndjson').replace('"/d?id=7"', '"/.x"');
    const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/qnet-');
    writeFileSync(join(dir, 't.strace'), trace);
    const r = await run({ trace: 't.strace', probeDir: dir, capture });
    expect(r.network!.downloads[0]!.executions).toEqual([expect.objectContaining({ exepath: '/tmp/.x', match: 'name' })]);
    const none = await run({ trace: 't.strace', probeDir: dir, capture: fixture('netdropper.capture.ndjson') });
    expect(rulesOf(none)).not.toContain('Downloaded Executable Run');
    expect(none.network!.downloads[0]!.executed).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('revshell: the banner tied to its connect, DNS to its sendto, and an unmatched capture says so', async () => {
    const r = await run({ trace: '../../probes/__fixtures__/revshell.strace', capture: fixture('revshell.capture.ndjson') });
    const [banner, udp, irc] = r.net;
    expect(banner).toMatchObject({ type: 'tcp_stream', pid: 6486, args: { proc_match: 'connect', first_bytes: 'sh-5.2# ', dst: '10.0.0.1:4444' } });
    expect(udp).toMatchObject({ type: 'udp_datagram', pid: 6486, args: { proc_match: 'sendto' } });
    expect(irc).toMatchObject({ type: 'tcp_stream', pid: 0, proc: { name: '<unknown>' }, args: { proc_match: 'none', first_bytes: 'NICK bot123\\r\\nUSER bot 0 * :bot\\r\\n' } });
    expect(rulesOf(r)).toEqual(expect.arrayContaining(['Shell Banner Sent to Remote', 'IRC Session Opened']));
    expect(r.findings.find((f) => f.rule === 'IRC Session Opened')!.output).toContain('bytes=NICK bot123\\r\\nUSER bot 0 * :bot\\r\\n proc=<unknown>');
    expect(r.findings.find((f) => f.rule === 'Shell Banner Sent to Remote')!.output).toContain('dst=10.0.0.1:4444 name=<NA> bytes=sh-5.2#  proc=revshell');
    expect(r.network).toMatchObject({ events: 3, uncorrelated: 1 });
    expect(r.network!.other[2]).toMatchObject({ dst: '203.0.113.9:6667', match: 'none', firstBytes: 'NICK bot123\\r\\nUSER bot 0 * :bot\\r\\n' });
    // Time order within the slack: no network event is more than 100 ms before its predecessor.
    for (let i = 1; i < r.all.length; i++) expect(r.all[i]!.ts).toBeGreaterThan(r.all[i - 1]!.ts - 100e6);
  });
});

describe('network captures with the default probe (ebpf fixture)', () => {
  it('ties a banner to the revshell sample by its connect, seen by the eBPF tracer', async () => {
    // The parser puts connect(10.66.66.66:4444) at epoch 1795767342055.8152 ms (monotonic time + the trace's B record).
    const capture = cap({ ts: 1795767342055, kind: 'tcp', dst: { ip: '10.66.66.66', port: 4444 }, firstBytes: Buffer.from('uid=0(root) gid=0(root) groups=0(root)\n').toString('base64') });
    const r = await run({ trace: '../../probes/__fixtures__/ebpf/revshell.bpftrace.json', probe: 'ebpf', capture });
    expect(r.net[0]).toMatchObject({ type: 'tcp_stream', pid: 17215, proc: { name: 'revshell' }, args: { proc_match: 'connect' } });
    expect(r.findings.find((f) => f.rule === 'Shell Banner Sent to Remote')!.output).toContain('proc=revshell');
  });
});

describe('hostile captures', () => {
  it('counts and samples bad lines, keeps the good ones, never throws', async () => {
    const junk: (string | Buffer)[] = [
      'not json at all\n',
      Buffer.from([0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x0a]),
      '{"v":1,"ts":"yesterday","kind":"dns"}\n',
      '{"v":2,"ts":1,"kind":"dns"}\n',
      'null\n[]\n42\n',
      `{"v":1,"ts":1795780000000,"kind":"tcp","transport":"tcp","src":{"ip":"10.0.0.5","port":1},"dst":{"ip":"not-an-ip","port":1},"bytesIn":0}\n`,
      `{"v":1,"ts":1795780000000,"kind":"tcp","transport":"tcp","src":{"ip":"10.0.0.5","port":1},"dst":{"ip":"10.0.0.9","port":70000},"bytesIn":0}\n`,
      `${'['.repeat(50_000)}\n`,
      `{"v":1,"kind":"http","pad":"${'A'.repeat(300_000)}"}\n`,
      `${tcp('EHLO spam.example\r\n', 25)}\n`,
      '{"v":1,"ts":1795780000001,"kind":"tcp","transport":"tcp","src":{"ip":"10.0.0.5","port":1},"dst":{"ip":"10.0.0.9","port":25},"firstBytes":"%%%","bytesIn":0}\n',
      `{"v":1,"ts":1795780000002,"kind":"dns","transport":"udp","src":{"ip":"10.0.0.5","port":1},"dst":{"ip":"10.0.0.9","port":53},"bytesIn":0}`,
    ];
    const r = await run({ capture: junk });
    const s = r.network!.captures;
    expect(s).toMatchObject({ accepted: 1, bad: 13, truncated: false });
    expect(s.badSamples.length).toBe(5);
    expect(s.badSamples[0]).toMatchObject({ line: 1, reason: 'not JSON' });
    expect(s.badSamples[1]!.text).toContain('\\x00');
    expect(rulesOf(r)).toEqual(['SMTP Session Opened']);
  });

  it('bounds lines, captures and bytes', async () => {
    const many = Array.from({ length: 50 }, () => tcp('x')).join('\n');
    const r = await run({ capture: many, limits: { maxCaptures: 10 } });
    expect(r.network!.captures).toMatchObject({ accepted: 10, dropped: 40 });
    expect(r.net.length).toBe(10);
    const cut = await run({ capture: many, limits: { maxBytes: 1000 } });
    expect(cut.network!.captures.truncated).toBe(true);
    expect(cut.network!.captures.bytes).toBe(1000);
    const long = await run({ capture: `${'x'.repeat(5000)}\n${tcp('HELO a\r\n', 25)}\n`, limits: { maxLineBytes: 4096 } });
    expect(long.network!.captures).toMatchObject({ accepted: 1, bad: 1 });
    expect(long.network!.captures.badSamples[0]!.reason).toMatch(/longer than 4096/);
  });

  it('a megabyte of first bytes is capped at 4096 and escaped', async () => {
    const r = await run({ capture: tcp(Buffer.alloc(64 << 10, 0x90)) });
    expect(r.net[0]!.args.first_bytes).toBe('\\x90'.repeat(256));
    expect(r.network!.other[0]!.firstBytes.length).toBe(512 * 4);
  });
});

describe('credential lures in traffic', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYQUARANTINE01';
  const key = 'AKIAQUARANTINE7LURE1';
  const lures: Lure[] = [
    { kind: 'aws-credentials', location: '/root/.aws/credentials', secrets: [key, secret] },
    { kind: 'npmrc', location: '/root/.npmrc', secrets: ['npm_Qx7LureTokenUnique1234567890'] },
    { kind: 'short', location: 'env:X', secrets: ['abc'] },
  ];
  const found = async (capture: string) => {
    const r = await run({ capture, lures });
    return { r, hits: r.network!.exfiltration.map((e) => `${e.kind} ${e.encoding} ${e.where}`) };
  };

  it('plain in a body, raw bytes and a header', async () => {
    const body = Buffer.from(`{"k":"${secret}"}`).toString('base64');
    const { r, hits } = await found([
      cap({ kind: 'http', http: { method: 'POST', host: 'c2.example', path: '/up', headers: { 'x-k': key }, bodyBytes: 60, body, status: 200 } }),
      tcp(`stolen ${key}`, 9001),
    ].join('\n'));
    expect(hits).toEqual(['aws-credentials plain header:x-k', 'aws-credentials plain body', 'aws-credentials plain bytes']);
    const f = r.findings.find((x) => x.rule === 'Credential Lure Sent Out')!;
    expect(f).toMatchObject({ priority: 'critical', count: 2 });
    expect(f.output).toContain('lure=aws-credentials location=/root/.aws/credentials');
    expect(f.output).toContain('url=http://c2.example/up');
    expect(r.network!.exfiltration[0]).toMatchObject({ destination: 'http://c2.example/up', location: '/root/.aws/credentials' });
  });

  it('base64 at every alignment, base64url, hex in either case, URL-encoded', async () => {
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      const b64 = Buffer.from(`${prefix}user:${secret}`).toString('base64');
      const { hits } = await found(http('h.example', '/', { headers: { authorization: `Basic ${b64}` } }));
      expect(hits).toContain('aws-credentials base64 header:authorization');
    }
    for (const prefix of ['', '?', '??']) {
      // This secret's base64 has + and / at every alignment: base64url differs.
      const sym = '~~~>>>???~~~>>>???';
      const r = await run({ capture: http('h.example', `/c?d=${Buffer.from(prefix + sym).toString('base64url')}`), lures: [{ kind: 'k8s-token', location: '/var/run/secrets/kubernetes.io/serviceaccount/token', secrets: [sym] }] });
      expect(r.network!.exfiltration.map((e) => `${e.kind} ${e.encoding}`)).toEqual(['k8s-token base64url']);
    }
    expect((await found(http('h.example', `/c?d=${Buffer.from(secret).toString('hex').toUpperCase()}`))).hits).toContain('aws-credentials hex url');
    expect((await found(http('h.example', `/c?d=${encodeURIComponent(secret)}`))).hits).toContain('aws-credentials url url');
    const form = Buffer.from(`token=${encodeURIComponent('npm_Qx7LureTokenUnique1234567890')}`).toString('base64');
    expect((await found(cap({ kind: 'http', http: { method: 'POST', host: 'h', path: '/', bodyBytes: 40, body: form, status: 200 } }))).hits).toContain('npmrc plain body');
  });

  it('hex split over DNS labels, and the destination names the query', async () => {
    const hex = Buffer.from(key).toString('hex');
    const { r, hits } = await found(dns(`${hex.slice(0, 20)}.${hex.slice(20)}.x.exfil.example`, 'TXT'));
    expect(hits).toEqual(['aws-credentials hex dns']);
    expect(r.network!.exfiltration[0]!.destination).toBe(`dns ${hex.slice(0, 20)}.${hex.slice(20)}.x.exfil.example via 10.203.0.2:53`);
  });

  it('no match for other values, fragments, or secrets too short to be unique', async () => {
    const { r, hits } = await found([
      http('h.example', `/c?d=${secret.slice(0, 20)}`),
      tcp('abc abc abc'),
      http('h.example', `/c?d=${Buffer.from('AKIAOTHERKEY00000000').toString('base64')}`),
    ].join('\n'));
    expect(hits).toEqual([]);
    expect(rulesOf(r)).not.toContain('Credential Lure Sent Out');
    expect(r.network!.lures).toEqual({ planted: 3, secretsSkipped: 1 });
  });
});

describe('shipped network rules: positive and negative', () => {
  const cases: [string, string[], string[]][] = [
    ['Mining Pool Name Contacted', [dns('xmr-eu1.nanopool.org'), tls('gulf.moneroocean.stream'), http('pool.supportxmr.com:80', '/')], [dns('nanopool.org.example.com'), dns('supportxmr.company')]],
    ['Stratum Mining Login', [
      tcp('{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5"]}\n'),
      tcp('{"id":2,"method":"mining.authorize","params":["wallet.worker","x"]}\n'),
      tcp('{"id": 1, "jsonrpc": "2.0", "method": "login", "params": {"login": "44AFFq5kSiGBoZ", "pass": "x", "agent": "XMRig/6.21.0"}}\n'),
    ], [tcp('{"method":"login","params":{}}'), tcp('GET / HTTP/1.1\r\n'), http('h', '/mining.subscribe')]],
    ['Tunnelling Service Contacted', [dns('0.tcp.eu.ngrok.io'), tls('abc-12.ngrok-free.app'), dns('x.trycloudflare.com'), dns('serveo.net')], [dns('ngrok.io.example.net')]],
    ['Paste or File-Drop Service Contacted', [http('pastebin.com', '/raw/abcd'), tls('transfer.sh'), dns('0x0.st')], [dns('paste.example.com')]],
    ['Cloud Metadata Service Requested', [
      http('169.254.169.254', '/latest/meta-data/', {}, { ip: '169.254.169.254', port: 80 }),
      dns('metadata.google.internal'),
      http('[fd00:ec2::254]', '/latest/meta-data/', {}, { ip: 'fd00:ec2::254', port: 80 }),
    ], [http('169.254.169.254.nip.io', '/'), dns('metadata.example.com')]],
    ['Cloud Credentials Requested From Metadata', [
      http('169.254.169.254', '/latest/meta-data/iam/security-credentials/role', {}, { ip: '169.254.169.254', port: 80 }),
      http('metadata.google.internal', '/computeMetadata/v1/instance/service-accounts/default/token'),
    ], [http('169.254.169.254', '/latest/meta-data/hostname', {}, { ip: '169.254.169.254', port: 80 }), http('h.example', '/iam/security-credentials')]],
    ['IRC Session Opened', [tcp('NICK x1\r\nUSER x1 0 * :x\r\n', 6667), tcp('PASS p\r\nNICK a\r\nUSER a 0 * :a\r\n', 7000)], [tcp('NICK only\r\n', 6667), tcp('hello USER NICK', 6667)]],
    ['SMTP Session Opened', [tcp('EHLO mail.example\r\n', 25), tcp('HELO x\r\n', 587)], [tcp('GET /HELO HTTP/1.1\r\n', 80)]],
    ['Shell Banner Sent to Remote', [
      tcp('bash: cannot set terminal process group (1): Inappropriate ioctl for device\nbash: no job control in this shell\n', 4444),
      tcp('uid=0(root) gid=0(root) groups=0(root)\n', 4444),
      tcp('Linux box 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian x86_64 GNU/Linux\n', 443),
      tcp('$ ', 4444),
    ], [tcp('SSH-2.0-OpenSSH_9.2p1\r\n', 22), tcp('uid=0 only', 4444), tcp('\x16\x03\x01\x02\x00\x01', 443)]],
  ];

  for (const [rule, positives, negatives] of cases) {
    it(`${rule}`, async () => {
      for (const p of positives) expect([p, rulesOf(await run({ capture: p }))]).toEqual([p, expect.arrayContaining([rule])]);
      for (const n of negatives) expect([n, rulesOf(await run({ capture: n }))]).toEqual([n, expect.not.arrayContaining([rule])]);
    });
  }

  it('Many Random-Looking Names Resolved: ten distinct DGA-like names, not nine, not repeats, not ordinary or CDN names', async () => {
    const dga = ['xjwqkzhdpl', 'qpzmxnvbtr', 'kq3z9x7vwp2m', 'zxcvbnmqwrtp', 'lkjhgfdsmnbv', 'r7t2k9q4x8w1z3', 'bcdfghjklmnp', 'wvxzqkjfhgtr', 'p0q9w8e7r6t5y4', 'mnbvcxzlkjhg', 'hjklqwrtzxcv'];
    const names = dga.map((l, i) => dns(`${l}.${['com', 'net', 'info', 'org'][i % 4]}`));
    const r10 = await run({ capture: names.slice(0, 10).join('\n') });
    expect(rulesOf(r10)).toContain('Many Random-Looking Names Resolved');
    expect(r10.network!.randomLookingNames).toBe(10);
    expect(rulesOf(await run({ capture: names.slice(0, 9).join('\n') }))).not.toContain('Many Random-Looking Names Resolved');
    expect(rulesOf(await run({ capture: Array.from({ length: 30 }, () => names[0]).join('\n') }))).not.toContain('Many Random-Looking Names Resolved');
  });

  it('ordinary traffic of the real-world images stays clean: own names, NTP, package mirrors, registries, CDNs, health checks', async () => {
    const benign = [
      dns('deb.debian.org'), dns('deb.debian.org', 'AAAA'), dns('security.debian.org'), dns('debian.map.fastlydns.net'),
      http('deb.debian.org', '/debian/dists/bookworm/InRelease', { userAgent: 'Debian APT-HTTP/1.3 (2.6.1)', served: 'text' }),
      http('deb.debian.org', '/debian/pool/main/c/curl/curl_7.88.1-10_amd64.deb', { userAgent: 'Debian APT-HTTP/1.3 (2.6.1)', served: 'none' }),
      cap({ kind: 'udp', transport: 'udp', dst: { ip: '10.203.0.2', port: 123 }, firstBytes: Buffer.from([0x23, 0, 6, 0x20, ...new Array<number>(44).fill(0)]).toString('base64') }),
      dns('0.debian.pool.ntp.org'), dns('1.debian.pool.ntp.org'), dns('2.debian.pool.ntp.org'), dns('3.debian.pool.ntp.org'),
      dns('db'), dns('redis'), dns('postgres.default.svc.cluster.local'), dns('api.example.internal'),
      tls('registry.npmjs.org'), tls('pypi.org'), tls('files.pythonhosted.org'), tls('github.com'), tls('objects.githubusercontent.com'),
      dns('d1q6f0aelx0por.cloudfront.net'), dns('e1234.dscb.akamaiedge.net'), dns('fonts.googleapis.com'), dns('www.googletagmanager.com'),
      http('localhost:8080', '/healthz', { userAgent: 'curl/7.88.1', served: 'text' }),
      tcp('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 80), tcp('\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03', 443), tcp('*1\r\n$4\r\nPING\r\n', 6379),
      tcp('\x00\x00\x00\x08\x04\xd2\x16\x2f', 5432), dns('mariadb'), dns('localhost'),
    ];
    const r = await run({ capture: benign.join('\n'), lures: [{ kind: 'aws-env', location: 'env:AWS_SECRET_ACCESS_KEY', secrets: ['Zq8LureSecretNeverSentAnywhere00'] }] });
    expect(r.network!.captures.accepted).toBe(benign.length);
    expect(r.findings.map((f) => `${f.rule}: ${f.output}`)).toEqual([]);
  });
});

describe('rule visibility', () => {
  it('network rules are not probe-blind for a probe with a fixed syscall list; downloads are for probes without drift', () => {
    const ebpfLike = compileRules(shipped, { capturedEventTypes: new Set(['execve', 'connect', 'openat']) });
    const blind = new Set(ebpfLike.notEvaluated.map((n) => n.rule));
    for (const r of ['Stratum Mining Login', 'Credential Lure Sent Out', 'Many Random-Looking Names Resolved', 'Downloaded Executable Run']) expect(blind.has(r)).toBe(false);
    const falcoLike = compileRules(shipped, { unavailableFields: new Set(['proc.is_exe_downloaded']) });
    expect(falcoLike.notEvaluated).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'Downloaded Executable Run', probeBlind: true })]));
  });
});
