import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGzip, createGunzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { RawEvent } from '../events/event.js';
import { createStraceParser } from './strace-parser.js';
import { parseStream, parseText } from './trace-parser.js';
import { decodeString, splitArgs, annotatedFd, decodeSockaddr, wasTruncated, parseNum } from './strace-syntax.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`./__fixtures__/${name}.strace`, import.meta.url)), 'utf8');
const parse = (text: string) => parseText(createStraceParser, text);
const byType = (events: RawEvent[], type: string) => events.filter((e) => e.type === type);

describe('strace syntax', () => {
  it('decodes C escapes, octal, hex and UTF-8 bytes', () => {
    expect(decodeString('"a\\n\\t\\"q\\"\\\\b"')).toBe('a\n\t"q"\\b');
    expect(decodeString('"\\177ELF\\2\\1"', 100, 'latin1')).toBe('\x7fELF\x02\x01');
    expect(decodeString('"\\08"', 100, 'latin1')).toBe('\x008');
    expect(decodeString('"\\x41\\x42"')).toBe('AB');
    expect(decodeString('"caf\\303\\251"')).toBe('café');
    expect(decodeString('NULL')).toBeUndefined();
  });
  it('flags truncated strings and caps long ones', () => {
    expect(decodeString('"abc"...')).toBe('abc');
    expect(wasTruncated()).toBe(true);
    expect(decodeString('"abc"')).toBe('abc');
    expect(wasTruncated()).toBe(false);
    expect(decodeString('"abcdef"', 3)).toBe('abc');
    expect(wasTruncated()).toBe(true);
  });
  it('splits arguments at top level only', () => {
    const out: string[] = [];
    const text = '3</a, b>, "x, ) = y", [1, 2], {f=g(1, 2)}, 0</dev/null<char 1:3>>) = 0';
    const close = splitArgs(text, 0, out);
    expect(out).toEqual(['3</a, b>', '"x, ) = y"', '[1, 2]', '{f=g(1, 2)}', '0</dev/null<char 1:3>>']);
    expect(text.slice(close)).toBe(') = 0');
  });
  it('decodes fd annotations', () => {
    expect(annotatedFd('3</etc/shadow>')).toMatchObject({ num: 3, type: 'file', name: '/etc/shadow' });
    expect(annotatedFd('3</memfd:payload>(deleted)')).toMatchObject({ num: 3, type: 'memfd', name: 'memfd:payload' });
    expect(annotatedFd('0</dev/null<char 1:3>>')).toMatchObject({ num: 0, type: 'file', name: '/dev/null' });
    expect(annotatedFd('5<TCP:[10.0.0.2:3333->10.0.0.1:4444]>')).toMatchObject({ type: 'ipv4', name: '10.0.0.2:3333->10.0.0.1:4444' });
    expect(annotatedFd('4<UNIX-STREAM:[123->456,"/run/x.sock"]>')).toMatchObject({ type: 'unix', name: '/run/x.sock' });
    expect(annotatedFd('1<pipe:[11990]>')).toMatchObject({ type: 'pipe' });
    expect(annotatedFd('3</tmp/a\\x3eb>')).toMatchObject({ name: '/tmp/a>b' });
    expect(annotatedFd('7')).toBeUndefined();
  });

  it('closes an fd annotation whose path ends in "-" (useradd backups such as /etc/shadow-)', () => {
    expect(annotatedFd('3</etc/shadow->')).toMatchObject({ num: 3, type: 'file', name: '/etc/shadow-' });
    const { events, stats } = parseText(createStraceParser, '2814 1700000000.000002 read(3</etc/shadow->, "x", 4096) = 1');
    expect(stats.unparsed).toBe(0);
    expect(events[0]).toMatchObject({ type: 'read', fd: { num: 3, name: '/etc/shadow-' } });
  });
  it('decodes socket addresses', () => {
    expect(decodeSockaddr('{sa_family=AF_INET, sin_port=htons(4444), sin_addr=inet_addr("10.0.0.1")}')).toEqual({ family: 'AF_INET', ip: '10.0.0.1', port: 4444 });
    expect(decodeSockaddr('{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "fd00::1", &sin6_addr), sin6_scope_id=0}')).toEqual({ family: 'AF_INET6', ip: 'fd00::1', port: 443 });
    expect(decodeSockaddr('{sa_family=AF_UNIX, sun_path=@"abstract"}')).toEqual({ family: 'AF_UNIX', path: '@abstract' });
  });
  it('parses numbers', () => {
    expect(parseNum('0x1f')).toBe(31);
    expect(parseNum('0644')).toBe(420);
    expect(parseNum('-1 ENOENT')).toBe(-1);
    expect(parseNum('AT_FDCWD</>')).toBe(-100);
    expect(Number.isNaN(parseNum('SIGKILL'))).toBe(true);
  });
});

describe('strace parser: edge lines', () => {
  it('joins unfinished/resumed pairs across interleaved pids', () => {
    const { events, stats } = parse([
      '10 1.000001 read(3</etc/passwd>,  <unfinished ...>',
      '11 1.000002 write(1<pipe:[5]>, "hi\\n", 3 <unfinished ...>',
      '11 1.000003 <... write resumed>) = 3',
      '10 1.000004 <... read resumed>"root:x:0:0", 4096) = 10',
    ].join('\n'));
    expect(stats.unparsed).toBe(0);
    expect(events.map((e) => [e.pid, e.type, e.res])).toEqual([[11, 'write', 3], [10, 'read', 10]]);
    expect(events[0]!.args).toMatchObject({ fd: 1, data: 'hi\n', size: 3 });
    expect(events[1]!.fd).toEqual({ num: 3, type: 'file', name: '/etc/passwd' });
    expect(events[1]!.ts).toBe(1.000004e9);
  });
  it('decodes errors, unknown returns and ERESTARTSYS', () => {
    const { events } = parse([
      '7 2.5 openat(AT_FDCWD</>, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)',
      '7 2.6 exit_group(0) = ?',
      '7 2.7 wait4(-1, NULL, 0, NULL) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)',
      '7 2.8 umask(000) = 022',
    ].join('\n'));
    expect(events.map((e) => [e.res, e.rawres])).toEqual([['ENOENT', -2], ['?', 0], ['ERESTARTSYS', -512], [18, 18]]);
    expect(events[0]!.hints?.cwd).toBe('/');
  });
  it('emits signals, exits and kills, and flushes calls cut by death', () => {
    const { events, stats } = parse([
      '5 1.0 --- stopped by SIGSTOP ---',
      '5 1.1 --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---',
      '6 1.2 pause( <unfinished ...>',
      '6 1.3 +++ killed by SIGKILL +++',
      '5 1.4 +++ killed by SIGSEGV (core dumped) +++',
      '8 1.5 +++ exited with 3 +++',
    ].join('\n'));
    expect(stats.unparsed).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['signaldeliver', 'signaldeliver', 'pause', 'procexit', 'procexit', 'procexit']);
    expect(events[0]!.args).toMatchObject({ sig: 'SIGSTOP', stopped: 1 });
    expect(events[1]!.args).toMatchObject({ sig: 'SIGSEGV', code: 'SEGV_MAPERR' });
    expect(events[2]!.hints?.interrupted).toBe(true);
    expect(events[3]!.args).toMatchObject({ sig: 'SIGKILL', core: 0 });
    expect(events[4]!.args).toMatchObject({ sig: 'SIGSEGV', core: 1 });
    expect(events[5]!.args).toMatchObject({ ret: 3, status: 768 });
  });
  it('decodes execve argv/envp with escapes and truncation, and clone returns with host pids', () => {
    const { events } = parse([
      '9 3.0 execve("/bin/sh", ["sh", "-c", "echo \\"a b\\"\\n"...], ["PATH=/bin", "X=\\303\\251"]) = 0',
      '9 3.1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 7 /* 6509 in strace\'s PID NS */',
      '9 3.2 clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0, stack=0x1}, 88) = 8 /* 6510 in strace\'s PID NS */',
    ].join('\n'));
    expect(events[0]!.proc?.args).toEqual(['sh', '-c', 'echo "a b"\n']);
    expect(events[0]!.truncatedArgs).toEqual(['argv']);
    expect(events[0]!.env).toEqual(['PATH=/bin', 'X=é']);
    expect(events[0]!.args).toMatchObject({ filename: '/bin/sh', args: '-c echo "a b"\n' });
    expect(events[1]!.hints).toMatchObject({ childVpid: 7, childPid: 6509 });
    expect(events[2]!.hints).toMatchObject({ childVpid: 8, childPid: 6510, cloneFlags: 'CLONE_VM|CLONE_THREAD' });
  });
  it('names the parent of a child seen before its vfork returns', () => {
    const { events } = parse([
      '20 1.0 vfork( <unfinished ...>',
      '21 1.1 execve("/bin/ls", ["ls"], []) = 0',
      '20 1.2 <... vfork resumed>) = 4 /* 21 in strace\'s PID NS */',
    ].join('\n'));
    expect(events[0]!.hints).toMatchObject({ parentPid: 20, cloneFlags: 'CLONE_VM|CLONE_VFORK|SIGCHLD' });
    expect(events[1]!.hints).toMatchObject({ childPid: 21, childVpid: 4 });
  });
  it('counts garbage without throwing, and orphan resumes as lost', () => {
    const { events, stats } = parse(['garbage', '12 x.y foo', '12 1.0 <... read resumed>) = 1', '12 1.0 read(', ''].join('\n'));
    expect(stats.unparsed).toBe(3);
    expect(stats.lost).toBe(1);
    expect(events).toHaveLength(1);
    expect(stats.unparsedSamples).toContain('garbage');
  });
  it('flushes calls still pending at the end of the trace', () => {
    const { events, stats } = parse('30 1.0 accept(3<TCP:[1]>, NULL, NULL <unfinished ...>');
    expect(events).toHaveLength(1);
    expect(events[0]!.res).toBe('?');
    expect(stats.detail.unfinishedAtEnd).toBe(1);
  });
});

describe('strace parser: captured fixtures', () => {
  it('readshadow: open of /etc/shadow with fd, read size, failed open', () => {
    const { events, stats } = parse(fixture('readshadow'));
    expect(stats.unparsed).toBe(0);
    const opens = byType(events, 'openat');
    expect(opens[0]).toMatchObject({ res: 3, args: { name: '/etc/shadow', flags: 'O_RDONLY|O_CLOEXEC', dirfd: -100 }, fd: { num: 3, type: 'file', name: '/etc/shadow' } });
    expect(opens[1]).toMatchObject({ res: 'ENOENT', rawres: -2, args: { name: '/nonexistent/key' } });
    expect(byType(events, 'read')[0]!.args).toMatchObject({ fd: 3, size: 48 });
    expect(byType(events, 'procexit')[0]!.args).toMatchObject({ ret: 0 });
  });
  it('revshell: connect attempts, dup2 onto stdio, exec of sh', () => {
    const { events, stats } = parse(fixture('revshell'));
    expect(stats.unparsed).toBe(0);
    expect(stats.lost).toBe(0);
    const c = byType(events, 'connect');
    expect(c.map((e) => [e.args.addr, e.res])).toEqual([
      ['10.0.0.1:4444', 'ENETUNREACH'], ['fd00::1:4444', 'EADDRNOTAVAIL'], ['/var/run/docker.sock', 'ENOENT'], ['127.0.0.1:4444', 0],
    ]);
    const dups = byType(events, 'dup2');
    expect(dups.map((e) => [e.args.oldfd, e.args.newfd, e.fd?.type])).toEqual([[3, 0, 'ipv4'], [3, 1, 'ipv4'], [3, 2, 'ipv4']]);
    const ex = byType(events, 'execve');
    expect(ex[1]!.proc?.args).toEqual(['/bin/sh', '-c', 'echo shell-up; id']);
    expect(ex[1]!.env).toEqual(['PATH=/bin', 'TERM=dumb']);
    expect(byType(events, 'sendto')[0]!.args).toMatchObject({ tuple: '10.0.0.1:53', data: 'q' });
    expect(byType(events, 'accept')[0]).toMatchObject({ pid: 6509, res: 4, hints: { listenFd: 3 } });
  });
  it('memfdexec: memfd_create, execveat on the memfd, exec via /proc/self/fd', () => {
    const { events, stats } = parse(fixture('memfdexec'));
    expect(stats.unparsed).toBe(0);
    expect(byType(events, 'memfd_create')[0]).toMatchObject({ args: { name: 'payload' }, fd: { num: 3, type: 'memfd', name: 'memfd:payload' } });
    const w = byType(events, 'write').find((e) => e.fd?.type === 'memfd')!;
    expect(String(w.args.data).startsWith('\x7fELF')).toBe(true);
    expect(String(w.args.data).length).toBe(256);
    expect(byType(events, 'execveat')[0]).toMatchObject({ pid: 6652, args: { dirfd: 3, pathname: '', flags: 'AT_EMPTY_PATH' }, fd: { type: 'memfd' } });
    expect(byType(events, 'execve')[1]!.args.filename).toBe('/proc/self/fd/3');
  });
  it('forker: threads, fork, vfork, kill', () => {
    const { events, stats } = parse(fixture('forker'));
    expect(stats.unparsed).toBe(0);
    const clones = byType(events, 'clone');
    expect(clones.filter((e) => String(e.args.flags).includes('CLONE_THREAD')).map((e) => e.hints?.childPid)).toEqual([6823, 6824]);
    expect(byType(events, 'vfork')[0]!.hints).toMatchObject({ childPid: 6826 });
    expect(byType(events, 'kill')[0]).toMatchObject({ args: { pid: 13, sig: 'SIGKILL' }, hints: { targetPid: 6827 } });
    expect(byType(events, 'procexit').map((e) => [e.pid, e.args.ret ?? e.args.sig])).toContainEqual([6827, 'SIGKILL']);
  });
  it('escape: ptrace, mount, unshare, setns, modules, bpf, setuid, link family', () => {
    const { events, stats } = parse(fixture('escape'));
    expect(stats.unparsed).toBe(0);
    const t = (type: string) => byType(events, type)[0]!;
    expect(t('ptrace').args).toMatchObject({ request: 'PTRACE_TRACEME' });
    expect(byType(events, 'ptrace')[1]!.hints).toMatchObject({ targetPid: 6913 });
    expect(t('mount').args).toMatchObject({ dev: 'none', dir: '/mnt', type: 'tmpfs', flags: '0' });
    expect(t('unshare').args).toMatchObject({ flags: 'CLONE_NEWNS|CLONE_NEWUSER' });
    expect(t('setns').args).toMatchObject({ fd: 3, nstype: '0' });
    expect(t('finit_module').args).toMatchObject({ fd: 4 });
    expect(t('init_module').res).toBe('EPERM');
    expect(t('bpf').args).toMatchObject({ cmd: 'BPF_PROG_LOAD' });
    expect(t('setuid')).toMatchObject({ res: 0, args: { uid: 1000 } });
    expect(t('symlink').args).toMatchObject({ target: '/etc/passwd', linkpath: '/tmp/pw' });
    expect(t('mkdir').args).toMatchObject({ path: '/tmp/d\n"x"' });
    expect(t('chmod').args).toMatchObject({ filename: '/tmp/x.ko', mode: '04755' });
    expect(t('creat').args).toMatchObject({ name: '/tmp/created', mode: '0644' });
  });
  it('streams a gzipped trace with constant buffering', async () => {
    const gz = Readable.from([Buffer.from(fixture('busybox-drift'))]).pipe(createGzip()).pipe(createGunzip());
    const it = parseStream(createStraceParser, gz);
    const events: RawEvent[] = [];
    let r = await it.next();
    while (!r.done) { events.push(r.value); r = await it.next(); }
    expect(r.value.unparsed).toBe(0);
    expect(events).toHaveLength(parse(fixture('busybox-drift')).events.length);
    expect(byType(events, 'unlink')[0]!.args.path).toBe('/etc/evil.conf');
  });
});
