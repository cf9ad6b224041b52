import { randomBytes } from 'node:crypto';
import { ByteAhoCorasick } from './aho-corasick.js';
import { normalizeIp, readCaptures } from './capture-reader.js';
import { mainLabel, nameShape, registrableDomain } from './dga.js';
import { escapeBytes } from './escape.js';
import { LureMatcher, percentDecode, type LureHit } from './lure-matcher.js';

describe('escapeBytes', () => {
  it('keeps printable ASCII, names \\n \\r \\t, doubles backslashes, hex-escapes the rest, caps', () => {
    expect(escapeBytes(Buffer.from('GET / HTTP/1.1\r\n\tx\\y\x00\xff', 'latin1'))).toBe('GET / HTTP/1.1\\r\\n\\tx\\\\y\\x00\\xff');
    expect(escapeBytes(Buffer.from('abcdef'), 3)).toBe('abc');
    expect(escapeBytes(Buffer.alloc(0))).toBe('');
  });
});

describe('DGA shape heuristic', () => {
  const random = ['xjwqkzhdpl.com', 'kq3z9x7vwp2m.net', 'r7t2k9q4x8w1z3.info', 'www.bcdfghjklmnp.org', 'a8f3k2l9qz7x.biz', 'qwrtzpsdfghk.co.uk'];
  const ordinary = ['deb.debian.org', 'security.debian.org', 'registry.npmjs.org', 'fonts.googleapis.com', 'www.googletagmanager.com',
    'objects.githubusercontent.com', 'pool.ntp.org', 'ec2.us-east-1.amazonaws.com', 'login.microsoftonline.com', 'files.pythonhosted.org',
    'postgres', 'redis.default.svc.cluster.local', 'api.example.co.uk', 'stackoverflow.com', 'cdn.jsdelivr.net', 'production.cloudflare.docker.com'];
  it.each(random)('%s looks random', (n) => expect(nameShape(n).random).toBe(true));
  it.each(ordinary)('%s does not', (n) => expect(nameShape(n).random).toBe(false));
  it('judges the main label below the suffix; registrable domains', () => {
    expect(mainLabel('a.xkqzvbtwpl.info')).toBe('xkqzvbtwpl');
    expect(mainLabel('x.yyy.co.uk')).toBe('yyy');
    expect(registrableDomain('Pool.SupportXMR.com.')).toBe('supportxmr.com');
    expect(registrableDomain('a.b.co.uk')).toBe('b.co.uk');
    expect(registrableDomain('host:8080')).toBeUndefined();
    expect(registrableDomain('pastebin.com:443')).toBe('pastebin.com');
    expect(registrableDomain('10.0.0.1')).toBeUndefined();
    expect(registrableDomain('[::1]:80')).toBeUndefined();
  });
  it('is linear: a 250-character label and a 10 000-character hostile name take no time', () => {
    const t = process.hrtime.bigint();
    for (let i = 0; i < 2000; i++) nameShape(`${'a1'.repeat(125)}.${'b'.repeat(10_000)}`);
    expect(Number(process.hrtime.bigint() - t) / 1e6).toBeLessThan(2000);
  });
});

describe('ByteAhoCorasick', () => {
  it('finds every occurrence of overlapping patterns, like indexOf does', () => {
    const pats = ['he', 'she', 'his', 'hers', 'e'].map((p, i) => ({ bytes: Buffer.from(p), data: i }));
    const ac = new ByteAhoCorasick(pats);
    const got: string[] = [];
    ac.scan(Buffer.from('ushers'), (d, end) => { got.push(`${d}@${end}`); });
    expect(got.sort()).toEqual(['0@4', '1@4', '3@6', '4@4'].sort());
  });
  it('agrees with a naive search on random binary data', () => {
    const text = randomBytes(20_000);
    const pats = Array.from({ length: 40 }, (_, i) => {
      const at = (i * 487) % 19_990;
      return { bytes: text.subarray(at, at + 2 + (i % 6)), data: i };
    });
    const ac = new ByteAhoCorasick(pats);
    const got = new Set<string>();
    ac.scan(text, (d, end) => { got.add(`${d}@${end}`); });
    const want = new Set<string>();
    for (const p of pats) for (let i = text.indexOf(p.bytes); i >= 0; i = text.indexOf(p.bytes, i + 1)) want.add(`${p.data}@${i + p.bytes.length}`);
    expect([...got].sort()).toEqual([...want].sort());
  });
  it('stops when asked', () => {
    const ac = new ByteAhoCorasick([{ bytes: Buffer.from('a'), data: 1 }]);
    let n = 0;
    ac.scan(Buffer.from('aaaa'), () => ++n < 2);
    expect(n).toBe(2);
  });
});

describe('LureMatcher', () => {
  it('finds a random secret base64/base64url/hex-encoded inside random messages at any offset', () => {
    for (let i = 0; i < 60; i++) {
      const secret = randomBytes(24).toString('base64');
      const m = new LureMatcher([{ kind: 'x', location: '/x', secrets: [secret] }]);
      const msg = Buffer.concat([randomBytes(i % 7), Buffer.from(secret), randomBytes(i % 5)]);
      for (const [enc, text] of [['base64', msg.toString('base64')], ['base64url', msg.toString('base64url')], ['hex', msg.toString('hex')]] as const) {
        const hits: LureHit[] = [];
        m.scan(Buffer.from(text), 'body', hits, new Set());
        // Where the secret's part of the text has no + / (- _), base64 and base64url coincide: reported as base64.
        expect(hits.map((h) => (enc === 'base64url' && h.encoding === 'base64' ? 'base64url' : h.encoding))).toContain(enc);
      }
    }
  });
  it('ignores malformed lures and non-string secrets', () => {
    const m = new LureMatcher([{ kind: 'x', location: '/x', secrets: [42 as unknown as string, 'short', 'x'.repeat(20_000)] }, { kind: 'y', location: '/y', secrets: undefined as unknown as string[] }]);
    expect(m.empty).toBe(true);
    expect(m.skipped).toBe(2);
  });
  it('percent-decodes %XX and + only', () => {
    expect(Buffer.from(percentDecode(Buffer.from('a%2Fb+c%zz%4'))).toString('latin1')).toBe('a/b c%zz%4');
  });
});

describe('capture reader details', () => {
  it('normalizes IPv4-mapped and bracketed addresses', () => {
    expect(normalizeIp('::FFFF:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeIp('[FD00:EC2::254]')).toBe('fd00:ec2::254');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
  });
  it('sorts by time, splits lines across chunks, accepts CRLF and a last line without newline', async () => {
    const a = '{"v":1,"ts":20,"kind":"udp","transport":"udp","src":{"ip":"10.0.0.5","port":1},"dst":{"ip":"10.0.0.9","port":123},"bytesIn":48}';
    const b = a.replace('"ts":20', '"ts":10');
    const text = `${a}\r\n${b}`;
    const { captures, stats } = await readCaptures([text.slice(0, 7), text.slice(7, 150), text.slice(150)]);
    expect(captures.map((c) => c.ts)).toEqual([10, 20]);
    expect(stats).toMatchObject({ lines: 2, accepted: 2, bad: 0 });
  });
  it('keeps what was read when the capture stream fails part-way', async () => {
    async function* failing() {
      yield '{"v":1,"ts":1,"kind":"udp","transport":"udp","src":{"ip":"10.0.0.5","port":1},"dst":{"ip":"10.0.0.9","port":123},"bytesIn":48}\n';
      throw new Error('EIO: i/o error, read');
    }
    const { captures, stats } = await readCaptures(failing());
    expect(captures).toHaveLength(1);
    expect(stats).toMatchObject({ truncated: true, error: 'EIO: i/o error, read' });
  });
});
