/**
 * Falco fs.path.* fields: which syscalls answer which field (Falco's libsinsp table), success-only,
 * resolved against cwd / dirfd by the state tracker, and the same answer for contexts built
 * without the tracker.
 */
import { createStraceParser } from '../probes/strace-parser.js';
import { parseText } from '../probes/trace-parser.js';
import type { EvalContext, SandboxMetadata } from '../state/context.js';
import { StateTracker } from '../state/state-tracker.js';
import { compileRules } from './index.js';
import { defaultFields, describeFields } from './fields.js';
import { makeContext } from './testing.js';

const FIELDS = ['fs.path.name', 'fs.path.nameraw', 'fs.path.source', 'fs.path.sourceraw', 'fs.path.target', 'fs.path.targetraw'] as const;
type Values = Partial<Record<(typeof FIELDS)[number], string>>;

const getters = FIELDS.map((f) => [f, defaultFields.get(f)!.bind!()] as const);
/** The fs.path.* fields that have a value on this context. */
function fsValues(c: EvalContext): Values {
  const out: Values = {};
  for (const [name, get] of getters) {
    const v = get(c);
    if (v !== undefined) out[name] = v as string;
  }
  return out;
}

const sandbox: SandboxMetadata = { containerId: 'c1', containerName: 'q', image: 'i:1', imageRepository: 'i', imageTag: '1', privileged: false, mounts: [] };

/** strace lines (after the entrypoint's execve) through the real parser and tracker; contexts by line. */
function replay(...lines: string[]): EvalContext[] {
  const text = ['900 1.000000 execve("/bin/sh", ["sh"], []) = 0', ...lines].map((l, i) => (i === 0 ? l : `900 1.${String(i).padStart(6, '0')} ${l}`)).join('\n') + '\n';
  const t = new StateTracker({ sandbox });
  const out: EvalContext[] = [];
  for (const e of parseText(createStraceParser, text).events) {
    const c = t.push(e);
    if (c) out.push({ ...c, fd: c.fd ? { ...c.fd } : undefined, proc: { ...c.proc } } as EvalContext);
  }
  return out.slice(1);
}

describe('fs.path.* fields over tracker contexts', () => {
  it('single-path calls give name/nameraw, resolved against cwd with .. normalised; no source/target', () => {
    const [, unlinkat, mkdir, chmod, chown] = replay(
      'chdir("/var/log") = 0',
      'unlinkat(AT_FDCWD, "syslog", 0) = 0',
      'mkdir("../cache//x/", 0755) = 0',
      'chmod("./a/../b", 04755) = 0',
      'lchown("/etc/../etc/passwd", 0, 0) = 0',
    );
    expect(fsValues(unlinkat!)).toEqual({ 'fs.path.name': '/var/log/syslog', 'fs.path.nameraw': 'syslog' });
    expect(fsValues(mkdir!)).toEqual({ 'fs.path.name': '/var/cache/x', 'fs.path.nameraw': '../cache//x/' });
    expect(fsValues(chmod!)).toEqual({ 'fs.path.name': '/var/log/b', 'fs.path.nameraw': './a/../b' });
    expect(fsValues(chown!)).toEqual({ 'fs.path.name': '/etc/passwd', 'fs.path.nameraw': '/etc/../etc/passwd' });
  });

  it('*at calls resolve against their directory fd, not the cwd', () => {
    const [, , unlinkat] = replay(
      'chdir("/tmp") = 0',
      'openat(AT_FDCWD, "/var/log", O_RDONLY|O_DIRECTORY) = 5</var/log>',
      'unlinkat(5</var/log>, "wtmp", 0) = 0',
    );
    expect(fsValues(unlinkat!)).toEqual({ 'fs.path.name': '/var/log/wtmp', 'fs.path.nameraw': 'wtmp' });
  });

  it('rename: source = oldpath, target = newpath; link: source = new link, target = existing file; symlink: target = contents', () => {
    const [, rename, link, symlink] = replay(
      'chdir("/tmp") = 0',
      'renameat(AT_FDCWD, "kworker", AT_FDCWD, "/usr/local/bin/kworker") = 0',
      'link("/bin/busybox", "sh") = 0',
      'symlink("../dev/null", ".bash_history") = 0',
    );
    expect(fsValues(rename!)).toEqual({
      'fs.path.source': '/tmp/kworker', 'fs.path.sourceraw': 'kworker', 'fs.path.target': '/usr/local/bin/kworker', 'fs.path.targetraw': '/usr/local/bin/kworker',
    });
    expect(fsValues(link!)).toEqual({ 'fs.path.source': '/tmp/sh', 'fs.path.sourceraw': 'sh', 'fs.path.target': '/bin/busybox', 'fs.path.targetraw': '/bin/busybox' });
    expect(fsValues(symlink!)).toEqual({
      'fs.path.source': '/tmp/.bash_history', 'fs.path.sourceraw': '.bash_history', 'fs.path.target': '/dev/null', 'fs.path.targetraw': '../dev/null',
    });
  });

  it('opens, fchmod and fchown answer fs.path.name from the fd the tracker resolved', () => {
    const [, open, fchmod] = replay(
      'chdir("/etc") = 0',
      'openat(AT_FDCWD, "cron.d/job", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</etc/cron.d/job>',
      'fchmod(3</etc/cron.d/job>, 0755) = 0',
    );
    expect(fsValues(open!)).toEqual({ 'fs.path.name': '/etc/cron.d/job', 'fs.path.nameraw': 'cron.d/job' });
    expect(fsValues(fchmod!)).toEqual({ 'fs.path.name': '/etc/cron.d/job', 'fs.path.nameraw': '/etc/cron.d/job' });
  });

  it('only for successful calls (Falco semantics), and <NA> on syscalls without paths', () => {
    const [, failedUnlink, failedOpen, read] = replay(
      'chdir("/var/log") = 0',
      'unlinkat(AT_FDCWD, "syslog", 0) = -1 EACCES (Permission denied)',
      'openat(AT_FDCWD, "x", O_RDONLY) = -1 ENOENT (No such file or directory)',
      'read(0</dev/null>, "", 1) = 0',
    );
    expect(failedUnlink!.fsPath?.name).toBe('/var/log/syslog'); // the tracker still knows it
    expect(fsValues(failedUnlink!)).toEqual({});
    expect(fsValues(failedOpen!)).toEqual({});
    expect(fsValues(read!)).toEqual({});
  });
});

describe('fs.path.* fields over contexts built without the tracker', () => {
  it('resolve the same table against proc.cwd; a relative path under a real dirfd stays <NA>', () => {
    const cwd = { cwd: '/var/log' };
    expect(fsValues(makeContext({ event: { type: 'unlinkat', args: { dirfd: -100, name: 'syslog', flags: '0' } }, proc: cwd }))).toEqual({
      'fs.path.name': '/var/log/syslog', 'fs.path.nameraw': 'syslog',
    });
    expect(fsValues(makeContext({ event: { type: 'truncate', args: { path: '../log/./x', length: 0 } }, proc: cwd }))['fs.path.name']).toBe('/var/log/x');
    expect(fsValues(makeContext({ event: { type: 'unlinkat', args: { dirfd: 4, name: 'syslog' } }, proc: cwd }))).toEqual({ 'fs.path.nameraw': 'syslog' });
    expect(fsValues(makeContext({ event: { type: 'rename', args: { oldpath: 'a', newpath: '/usr/bin/a' } }, proc: cwd }))).toMatchObject({
      'fs.path.source': '/var/log/a', 'fs.path.target': '/usr/bin/a',
    });
    expect(fsValues(makeContext({ event: { type: 'openat', res: 3, rawres: 3, args: { dirfd: -100, name: 'app.log', flags: 'O_WRONLY' } }, proc: cwd }))).toEqual({
      'fs.path.name': '/var/log/app.log', 'fs.path.nameraw': 'app.log',
    });
  });

  it('a tracker-provided fsPath wins over re-resolving the arguments', () => {
    const c = makeContext({ event: { type: 'unlinkat', args: { dirfd: 7, name: 'x' } }, proc: { cwd: '/' } });
    c.fsPath = { name: '/srv/x', nameraw: 'x' };
    expect(fsValues(c)).toEqual({ 'fs.path.name': '/srv/x', 'fs.path.nameraw': 'x' });
  });
});

describe('fs.path.* in rules', () => {
  const rule = (cond: string) =>
    compileRules([{ name: 'f.yaml', text: `- rule: R\n  desc: d\n  condition: ${JSON.stringify(cond)}\n  output: "p=%fs.path.name s=%fs.path.source t=%fs.path.target"\n  priority: warning\n` }]);

  it('compile, index by event type, fire on relative paths and render in outputs', () => {
    const set = rule('evt.type in (unlink, unlinkat) and fs.path.name startswith /var/log/');
    expect(set.report.filter((r) => r.status !== 'loaded')).toEqual([]);
    const [rm, outside] = replay('chdir("/var/log") = 0', 'unlinkat(AT_FDCWD, "syslog", 0) = 0', 'unlinkat(AT_FDCWD, "../tmp/x", 0) = 0').slice(1);
    expect(set.evaluate(rm!).map((m) => m.output)).toEqual(['p=/var/log/syslog s=<NA> t=<NA>']);
    expect(set.evaluate(outside!)).toEqual([]);
    const mv = rule('evt.type = rename and fs.path.target pmatch (/usr/bin, /usr/local/bin)');
    const [ren] = replay('chdir("/tmp") = 0', 'rename("kworker", "../usr/local/bin/kworker") = 0').slice(1);
    expect(mv.evaluate(ren!).map((m) => m.output)).toEqual(['p=<NA> s=/tmp/kworker t=/usr/local/bin/kworker']);
  });

  it('are documented, with their departures from Falco', () => {
    const d = Object.fromEntries(describeFields().map((f) => [f.name, f]));
    for (const f of FIELDS) expect(d[f]).toMatchObject({ type: 'string' });
    expect(d['fs.path.name']!.approximation).toMatch(/successful/);
    expect(d['fs.path.target']!.approximation).toMatch(/symlink target/);
  });
});
