/**
 * Issue 12 beyond the per-rule cases (attack-coverage.cases.ts): multi-call binaries
 * (proc.applet) on a real static-busybox trace, precision of the process-memory and kernel-module
 * rules on a real procps/kmod trace, and discovery as context in the score.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileRules, type CompiledRuleSet } from '../../../libs/analysis/src/rules/index.js';
import { FindingCollector, scoreFindings } from '../../../libs/analysis/src/scoring/scoring.js';
import { appletOf } from '../../../libs/analysis/src/state/applet.js';
import type { EvalContext, SandboxMetadata } from '../../../libs/analysis/src/state/context.js';
import { ENTRYPOINT, connect, exec, open, parent } from './rule-cases.js';
import { replayStrace } from './trace-replay.js';

const RULES_DIR = fileURLToPath(new URL('../../../sandbox-profiles/rules/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const rules: CompiledRuleSet = compileRules(
  readdirSync(RULES_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => ({ name: f, text: readFileSync(RULES_DIR + f, 'utf8') })),
);
const sandbox: SandboxMetadata = {
  containerId: 'f00dfeedbeef0123456789abcdef', containerName: 'q-sample', image: 'quarantine-samples/x:latest',
  imageRepository: 'quarantine-samples/x', imageTag: 'latest', privileged: false, mounts: [],
};
const trace = (name: string): EvalContext[] => replayStrace(readFileSync(`${FIXTURES}${name}.strace`, 'utf8'), sandbox);
const fired = (c: EvalContext): string[] => rules.evaluate(c).map((m) => m.rule);
const execs = (ctxs: EvalContext[]): EvalContext[] => ctxs.filter((c) => c.event.type === 'execve' && c.event.rawres >= 0);

describe('multi-call binaries: proc.applet (real static busybox, applets re-executed through /proc/self/exe)', () => {
  const ctxs = trace('busybox-applets');
  const byApplet = (a: string): EvalContext[] => execs(ctxs).filter((c) => appletOf(c.proc) === a);

  it('comm stays `exe` (proc.name, as Falco) while proc.applet names the tool; the exe is the file that re-executed itself', () => {
    const [b64] = byApplet('base64');
    expect(b64).toBeDefined();
    expect(b64!.proc.name).toBe('exe');
    // /proc/self/exe is resolved to what the process was running (the image's /bin/sh → busybox)
    expect(b64!.proc.exepath).toBe('/bin/sh');
    expect(byApplet('nc').map((c) => c.proc.name)).toEqual(['exe', 'exe']);
  });

  it('rules keyed on tool names see the applets: nc -e is a reverse shell, nc -z stays quiet', () => {
    const [ncE, ncZ] = byApplet('nc');
    expect(fired(ncE!)).toContain('Reverse Shell Command Line');
    expect(fired(ncZ!)).toEqual([]);
    // without the applet, the same condition on proc.name could not match
    const byName = compileRules([{ name: 't.yaml', text: '- rule: T\n  desc: netcat by comm only\n  condition: evt.type = execve and proc.name in (nc)\n  output: "%proc.name"\n  priority: WARNING\n  tags: [T1095, command_and_control]\n' }]);
    expect(byName.evaluate(ncE!)).toEqual([]);
  });

  it('the applet comes from argv[1] after `busybox`, and a plain program keeps its comm', () => {
    expect(appletOf({ name: 'busybox', exe: 'busybox', exepath: '/bin/busybox', args: ['busybox', 'nc', '-l', '-p', '4444'] })).toBe('nc');
    expect(appletOf({ name: 'busybox', exe: '/bin/busybox', exepath: '/bin/busybox', args: ['/bin/busybox', '--list'] })).toBe('busybox');
    expect(appletOf({ name: 'toybox', exe: 'toybox', exepath: '/usr/bin/toybox', args: ['toybox', 'base64', '-d'] })).toBe('base64');
    expect(appletOf({ name: 'exe', exe: '/proc/self/exe', exepath: '/usr/local/bin/agent', args: ['find', '/', '-name', 'id_rsa'] })).toBe('find');
    expect(appletOf({ name: 'sh', exe: '-sh', exepath: '/bin/sh', args: ['-sh'] })).toBe('sh');
    // argv[0] of an ordinary program does not rename it (argv[0] is the caller's choice)
    expect(appletOf({ name: 'payload', exe: 'nc', exepath: '/tmp/payload', args: ['nc', '-e', '/bin/sh'] })).toBe('payload');
  });

  it('shipped rules on tool names fire for busybox applets (find, nc, base64 | sh)', () => {
    const bb = (args: string[]): EvalContext => exec(args, { exe: '/proc/self/exe', name: 'exe', parents: [ENTRYPOINT] });
    expect(fired(bb(['find', '/', '-name', 'id_rsa']))).toContain('Private Key or Secret Search');
    expect(fired(bb(['nc', '10.66.66.66', '9001']))).toContain('Netcat-like Tool Launched');
    expect(fired(bb(['sh', '-i']))).toContain('Interactive Shell Without Terminal');
    expect(fired(bb(['nsenter', '-t', '1', '-m', 'sh']))).toContain('Namespace Join Attempt');
    expect(fired(bb(['insmod', '/tmp/r.ko']))).toContain('Kernel Module Load Attempt');
    expect(fired(bb(['nc', '-z', 'db', '5432']))).toEqual([]);
    // the applet never excuses: busybox claiming to be sshd still reads shadow as a stranger
    const claimsSshd = open('/etc/shadow', 'O_RDONLY', { exe: '/proc/self/exe', name: 'exe', args: ['sshd'] });
    expect(fired(claimsSshd)).toContain('Password Hash File Read');
  });
});

describe('precision: listing processes and modules is not reading memory or loading modules (real procps/kmod trace)', () => {
  const ctxs = trace('precision-listing');
  const firedBy = (names: string[]): string[] =>
    ctxs.filter((c) => names.includes(c.proc.name)).flatMap((c) => rules.evaluate(c).filter((m) => m.priority !== 'informational').map((m) => `${m.rule} <- ${c.proc.name} ${c.fd?.name ?? ''}`));

  it('ps (which opens every /proc/<pid>/environ), pgrep, pidof, top, lsmod, kmod list and modprobe -n match nothing above context', () => {
    const opened = ctxs.filter((c) => c.proc.name === 'ps' && c.event.type === 'openat').map((c) => c.fd?.name ?? '');
    expect(opened.some((n) => /^\/proc\/\d+\/environ$/.test(n))).toBe(true);
    expect(opened.some((n) => /^\/proc\/\d+\/(stat|status|cmdline)$/.test(n))).toBe(true);
    expect(firedBy(['ps', 'pgrep', 'pidof', 'top', 'lsmod', 'kmod', 'modprobe'])).toEqual([]);
  });

  it('a process reading its own /proc/self/environ is not flagged', () => {
    const own = ctxs.filter((c) => c.proc.name === 'cat' && c.event.type === 'openat' && c.event.args.name === '/proc/self/environ');
    expect(own).toHaveLength(1);
    expect(fired(own[0]!)).toEqual([]);
  });

  it("another process's environ and mem, and insmod, are still caught", () => {
    const hits = new Set(ctxs.flatMap((c) => rules.evaluate(c).map((m) => `${m.rule} <- ${c.proc.name}`)));
    expect(hits).toEqual(expect.objectContaining({}));
    expect([...hits]).toEqual(expect.arrayContaining([
      'Other Process Memory Read <- cat', 'Other Process Memory Read <- dd', 'Kernel Module Load Attempt <- insmod',
    ]));
  });

  it('a process lister written during the run, or outside the system directories, gets no excuse', () => {
    const dropped = open('/proc/1/environ', 'O_RDONLY', { exe: '/tmp/ps', name: 'ps' });
    const drifted = open('/proc/1/environ', 'O_RDONLY', { exe: '/usr/bin/ps', name: 'ps', exeWritten: true });
    const shipped = open('/proc/1/environ', 'O_RDONLY', { exe: '/usr/bin/ps', name: 'ps' });
    expect(fired(dropped)).toContain('Other Process Memory Read');
    expect(fired(drifted)).toContain('Other Process Memory Read');
    expect(fired(shipped)).not.toContain('Other Process Memory Read');
    expect(fired(open('/proc/1/mem', 'O_RDONLY', { exe: '/usr/bin/ps', name: 'ps' }))).toContain('Other Process Memory Read');
  });
});

describe('discovery is context: never a verdict by itself, in any combination', () => {
  const EP = ENTRYPOINT;
  const discovery: EvalContext[] = [
    exec(['uname', '-a'], { exe: '/bin/uname', parents: [EP] }), exec(['cat', '/proc/version'], { exe: '/bin/cat', parents: [EP] }),
    exec(['lscpu'], { exe: '/usr/bin/lscpu', parents: [EP] }), exec(['cat', '/etc/passwd'], { exe: '/bin/cat', parents: [EP] }),
    exec(['getent', 'group'], { exe: '/usr/bin/getent', parents: [EP] }), exec(['ip', 'addr'], { exe: '/sbin/ip', parents: [EP] }),
    exec(['netstat', '-tlpn'], { exe: '/bin/netstat', parents: [EP] }), exec(['ps', 'aux'], { exe: '/bin/ps', parents: [EP] }),
    exec(['pgrep', '-f', 'x'], { exe: '/usr/bin/pgrep', parents: [EP] }), exec(['dpkg', '-l'], { exe: '/usr/bin/dpkg', parents: [EP] }),
    exec(['lsmod'], { exe: '/sbin/lsmod', parents: [EP] }), exec(['find', '/', '-name', '*.conf'], { exe: '/usr/bin/find', parents: [EP] }),
    exec(['sh', '-c', 'whoami; id; uname -a; cat /etc/passwd; ip addr; ps aux'], { exe: '/bin/sh', parents: [EP] }),
  ];
  const score = (ctxs: EvalContext[]) => {
    const fc = new FindingCollector();
    for (const c of ctxs) fc.addAll(rules.evaluate(c), c.event);
    return { findings: fc.findings(), result: scoreFindings(fc.findings()) };
  };

  it('every discovery rule is tagged context and at most notice', () => {
    const { findings } = score(discovery);
    const rulesSeen = findings.map((f) => f.rule).sort();
    expect(rulesSeen).toEqual(expect.arrayContaining([
      'Account and Group Discovery', 'File and Directory Discovery of Sensitive Places', 'Network Configuration Discovery',
      'Process Discovery', 'Reconnaissance Command Chain', 'Software and Security Tool Discovery', 'System Information Discovery',
    ]));
    for (const f of findings) expect({ rule: f.rule, context: f.tags.includes('context'), low: ['notice', 'informational'].includes(f.priority) }).toEqual({ rule: f.rule, context: true, low: true });
  });

  it('all of it together, repeated, is clean; with one notice (even repeated) still clean; with a warning it adds weight', () => {
    const many = [...discovery, ...discovery, ...discovery];
    const alone = score(many).result;
    expect(alone.verdict).toBe('clean');
    expect(alone.score).toBeLessThan(20);
    expect(alone.reasons.join('\n')).toContain('context findings');

    const notice = Array.from({ length: 12 }, () => connect('10.66.66.66', 443, { exe: '/usr/bin/curl', parents: [EP] }));
    const withNotice = score([...many, ...notice]).result;
    expect(withNotice.verdict).toBe('clean');
    expect(withNotice.score).toBe(19);

    const warning = connect('10.66.66.66', 4444, { exe: '/tmp/x', parents: [EP] });
    const withWarning = score([...many, warning]).result;
    expect(withWarning.verdict).toBe('suspicious');
    const ctxPoints = withWarning.contributions.filter((c) => !['Connection to a Backdoor or Proxy Port', 'Outbound Connection Attempt'].includes(c.rule)).reduce((s, c) => s + c.points, 0);
    expect(ctxPoints).toBe(9);
  });

  it('a realistic healthcheck + service-user start-up (ps, pgrep, id, useradd) is clean', () => {
    const hc = parent('sh', ['/usr/local/bin/healthcheck']);
    const { result } = score([
      exec(['useradd', '--system', '--uid', '1001', '--gid', 'ops', 'ops'], { exe: '/usr/sbin/useradd', parents: [EP] }),
      exec(['pgrep', '-f', 'busybox httpd'], { exe: '/usr/bin/pgrep', parents: [hc, EP] }),
      exec(['ps', '-eo', 'pid,comm'], { exe: '/usr/bin/ps', parents: [hc, EP] }),
      open('/proc/1/environ', 'O_RDONLY', { exe: '/usr/bin/ps', name: 'ps', parents: [hc, EP] }),
      exec(['top', '-b', '-n', '1'], { exe: '/usr/bin/top', parents: [hc, EP] }),
      exec(['lsmod'], { exe: '/usr/sbin/lsmod', parents: [hc, EP] }),
      open('/proc/modules', 'O_RDONLY', { exe: '/usr/sbin/lsmod', name: 'lsmod', parents: [hc, EP] }),
    ]);
    expect(result.verdict).toBe('clean');
  });
});
