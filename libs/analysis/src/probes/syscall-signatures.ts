/**
 * The one table of syscall argument signatures the text-trace parsers read: for each syscall whose
 * arguments are decoded, which positional argument goes under which Falco argument name, as which
 * kind, and what the call returns. `strace-parser.ts` and `gvisor-parser.ts` each interpret the
 * kinds with their own small decoders (strace prints flags symbolically and annotates fds as
 * `3</etc/shadow>`; gVisor prints `0x3 /etc/shadow` and many flags as hex that it maps to the same
 * names), so the table says WHAT an argument is and each parser knows HOW its notation spells it.
 *
 * Arguments are decoded in table order (not position order): the first named fd of a call becomes
 * its `ev.fd`, so `copy_file_range` lists its output fd first. The return is decoded last.
 *
 * The `ebpf` probe has its own table (`bpftrace-layout.ts`): it also drives the generated bpftrace
 * program (tracepoint fields, printed number kinds), so it stays apart; perf/ftrace see numeric
 * tracepoint fields by kernel name (`tracepoint-events.ts`).
 */

/** What an argument is; each parser decodes each kind in its own notation. */
export type ArgKind =
  /** An fd argument (`fd`, `dirfd`…); the first named fd becomes `ev.fd`, AT_FDCWD's directory → hints.cwd. */
  | 'fd'
  /** An fd argument recorded only when the tracer names it (eventfd2(…) on a named fd). */
  | 'namedfd'
  /** accept's listening fd: an `fd`, and its number as hints.listenFd. */
  | 'listenfd'
  /** dup2/dup3's target fd number. */
  | 'newfd'
  /** A path or string argument. */
  | 'path'
  /** An integer. */
  | 'num'
  /** A pid (strace also records the host pid it translates to as hints.targetPid). */
  | 'pid'
  /** Text kept as printed. */
  | 'raw'
  /** File mode (`0644`; gVisor prints `0o644`). */
  | 'mode'
  /** open flags (symbolic in both; gVisor appends `|0x0`). */
  | 'oflags'
  /** Flag sets gVisor prints as hex and maps to names (strace prints them symbolically already). */
  | 'atflags' | 'fdflags' | 'mfdflags'
  /** Single values gVisor prints as numbers and maps to names. */
  | 'fcntlcmd' | 'ptracereq' | 'prctlopt' | 'bpfcmd'
  /** socket(2)'s type (gVisor appends `|0x0`). */
  | 'socktype'
  /** clone's flags (strace prints `flags=…` among other named arguments). */
  | 'cloneflags'
  /** clone3's struct clone_args flags (gVisor prints only a pointer: empty). */
  | 'clone3flags'
  /** unshare's namespace flags; setns's namespace type. */
  | 'nsflags' | 'nstype'
  /** A write/send buffer → `args.data` (capped). */
  | 'data'
  /** The first iovec's buffer → `args.data`. */
  | 'iov'
  /** A struct msghdr: its address → the key, its first iovec's buffer → `args.data`. */
  | 'msghdr'
  /** A socket address → `ip:port`, a unix path or the family; family/ip/port/path hints. */
  | 'addr'
  /** execve's argv → ev.proc and `args.args`; envp → ev.env. */
  | 'argv' | 'envp'
  /** pipe's returned fd pair → fd1/fd2 (and their names); socketpair's → fd1/fd2. */
  | 'pipefds' | 'fdpair'
  /** openat2's struct open_how → flags, mode, resolve (gVisor prints only a pointer). */
  | 'openhow'
  /** prctl's second argument when it is a string (PR_SET_NAME's task name). */
  | 'taskname'
  /** No argument: the constant `value` (creat's implied flags, fork's clone flags). */
  | 'const';

export interface ArgSig {
  /** Position of the argument in the call (−1 for `const`). */
  readonly at: number;
  /** The event argument name (Falco's). */
  readonly key: string;
  readonly kind: ArgKind;
  /** Record `''` when the argument is missing (a cut line), instead of nothing. */
  readonly orEmpty?: true;
  /** For `const`. */
  readonly value?: string;
  /** Decoded by this parser only. */
  readonly only?: 'strace' | 'gvisor';
}

/** What the call returns, beyond its result code. */
export type ReturnSig =
  /** A new file fd named by `args.name` → `ev.fd`, and `args.fd`. */
  | 'file'
  /** A memfd named `memfd:<args.name>` → `ev.fd`, and `args.fd`. */
  | 'memfd'
  /** A socket fd of `args.domain`'s type (and the l4 protocol hint for inet sockets). */
  | 'socket'
  /** accept's connected fd → `ev.fd`, and `args.fd`. */
  | 'accept'
  /** A duplicate of the argument fd. */
  | 'dup'
  /** fcntl: a duplicate when `args.cmd` is F_DUPFD*, with hints.dup. */
  | 'dupfd'
  /** clone family: the child's pid (hints childVpid/childPid) and hints.cloneFlags = `args.flags`. */
  | 'child'
  /** A byte count → `args.size`. */
  | 'size'
  /** An anonymous fd of this type. */
  | { readonly fd: 'event' | 'signalfd' | 'timerfd' | 'inotify' | 'unknown' };

export interface SyscallSignature {
  readonly args: readonly ArgSig[];
  readonly returns?: ReturnSig;
  /** Decoded by this parser only (the other leaves the call to its generic fd guess). */
  readonly only?: 'strace' | 'gvisor';
}

const arg = (at: number, key: string, kind: ArgKind): ArgSig => ({ at, key, kind });
const fd = (at: number, key = 'fd'): ArgSig => ({ at, key, kind: 'fd' });
const path = (at: number, key: string): ArgSig => ({ at, key, kind: 'path' });
const num = (at: number, key: string): ArgSig => ({ at, key, kind: 'num' });
const raw = (at: number, key: string): ArgSig => ({ at, key, kind: 'raw' });
const orEmpty = (a: ArgSig): ArgSig => ({ ...a, orEmpty: true });
const straceOnly = (a: ArgSig): ArgSig => ({ ...a, only: 'strace' });
const constant = (key: string, value: string): ArgSig => ({ at: -1, key, kind: 'const', value });
const sig = (args: readonly ArgSig[], returns?: ReturnSig, only?: 'strace' | 'gvisor'): SyscallSignature => {
  const s: { args: readonly ArgSig[]; returns?: ReturnSig; only?: 'strace' | 'gvisor' } = { args };
  if (returns !== undefined) s.returns = returns;
  if (only !== undefined) s.only = only;
  return s;
};

const readLike = sig([fd(0)], 'size');
const writeLike = sig([fd(0), arg(1, 'data', 'data'), num(2, 'size')]);
const anonFd = (type: 'event' | 'signalfd' | 'timerfd' | 'inotify' | 'unknown'): SyscallSignature => sig([arg(0, 'fd', 'namedfd')], { fd: type });
const ids = (...keys: string[]): SyscallSignature => sig(keys.map((k, i) => num(i, k)));
const pathOnly = (key: string): SyscallSignature => sig([path(0, key)]);
const atPath = (key: string): SyscallSignature => sig([fd(0, 'dirfd'), path(1, key)]);

export const SYSCALL_SIGNATURES: Readonly<Record<string, SyscallSignature>> = {
  // open family
  open: sig([path(0, 'name'), arg(1, 'flags', 'oflags'), arg(2, 'mode', 'mode')], 'file'),
  openat: sig([fd(0, 'dirfd'), path(1, 'name'), arg(2, 'flags', 'oflags'), arg(3, 'mode', 'mode')], 'file'),
  openat2: sig([fd(0, 'dirfd'), path(1, 'name'), arg(2, 'how', 'openhow')], 'file'),
  creat: sig([path(0, 'name'), constant('flags', 'O_WRONLY|O_CREAT|O_TRUNC'), arg(1, 'mode', 'mode')], 'file'),
  memfd_create: sig([path(0, 'name'), arg(1, 'flags', 'mfdflags')], 'memfd'),
  // process
  execve: sig([path(0, 'filename'), arg(1, 'argv', 'argv'), arg(2, 'envp', 'envp')]),
  execveat: sig([fd(0, 'dirfd'), path(1, 'pathname'), arg(2, 'argv', 'argv'), arg(3, 'envp', 'envp'), arg(4, 'flags', 'atflags')]),
  clone: sig([arg(0, 'flags', 'cloneflags')], 'child'),
  clone3: sig([arg(0, 'flags', 'clone3flags')], 'child'),
  fork: sig([constant('flags', 'SIGCHLD')], 'child'),
  vfork: sig([constant('flags', 'CLONE_VM|CLONE_VFORK|SIGCHLD')], 'child'),
  exit: sig([num(0, 'status')]),
  exit_group: sig([num(0, 'status')]),
  kill: sig([arg(0, 'pid', 'pid'), raw(1, 'sig')]),
  tkill: sig([arg(0, 'pid', 'pid'), raw(1, 'sig')]),
  tgkill: sig([arg(0, 'pid', 'pid'), num(1, 'tid'), raw(2, 'sig')]),
  setsid: sig([]),
  setpgid: sig([arg(0, 'pid', 'pid'), num(1, 'pgid')]),
  prctl: sig([arg(0, 'option', 'prctlopt'), arg(1, 'arg2_str', 'taskname')]),
  // network
  socket: sig([orEmpty(raw(0, 'domain')), orEmpty(arg(1, 'type', 'socktype')), orEmpty(raw(2, 'proto'))], 'socket'),
  socketpair: sig([raw(0, 'domain'), raw(1, 'type'), raw(2, 'proto'), arg(3, 'fds', 'fdpair')]),
  connect: sig([fd(0), arg(1, 'addr', 'addr')]),
  bind: sig([fd(0), arg(1, 'addr', 'addr')]),
  listen: sig([fd(0), num(1, 'backlog')]),
  accept: sig([arg(0, 'listenfd', 'listenfd'), arg(1, 'tuple', 'addr'), straceOnly(raw(3, 'flags'))], 'accept'),
  accept4: sig([arg(0, 'listenfd', 'listenfd'), arg(1, 'tuple', 'addr'), raw(3, 'flags')], 'accept', 'gvisor'),
  // gVisor prints sendto's buffer as an address only.
  sendto: sig([fd(0), straceOnly(arg(1, 'data', 'data')), num(2, 'size'), arg(4, 'tuple', 'addr')]),
  sendmsg: sig([fd(0), arg(1, 'tuple', 'msghdr')], 'size'),
  recvfrom: readLike,
  recvmsg: readLike,
  // reads and writes
  read: readLike,
  pread64: readLike,
  readv: readLike,
  preadv: readLike,
  write: writeLike,
  pwrite64: writeLike,
  writev: sig([fd(0), arg(1, 'data', 'iov')], 'size'),
  pwritev: sig([fd(0)], 'size'),
  sendfile: sig([fd(0, 'out_fd'), fd(1, 'in_fd'), num(3, 'size')]),
  copy_file_range: sig([fd(2, 'fdout'), fd(0, 'fdin'), num(4, 'len')]),
  splice: sig([fd(2, 'fd_out'), fd(0, 'fd_in')]),
  // fds
  close: sig([fd(0)]),
  close_range: sig([num(0, 'first'), num(1, 'last'), raw(2, 'flags')], undefined, 'strace'),
  dup: sig([fd(0, 'oldfd')], 'dup'),
  dup2: sig([fd(0, 'oldfd'), arg(1, 'newfd', 'newfd')], 'dup'),
  dup3: sig([fd(0, 'oldfd'), arg(1, 'newfd', 'newfd'), arg(2, 'flags', 'fdflags')], 'dup'),
  fcntl: sig([fd(0), orEmpty(arg(1, 'cmd', 'fcntlcmd'))], 'dupfd'),
  pipe: sig([arg(0, 'fds', 'pipefds'), arg(1, 'flags', 'fdflags')]),
  pipe2: sig([arg(0, 'fds', 'pipefds'), arg(1, 'flags', 'fdflags')]),
  eventfd: anonFd('event'),
  eventfd2: anonFd('event'),
  epoll_create: anonFd('event'),
  epoll_create1: anonFd('event'),
  signalfd: anonFd('signalfd'),
  signalfd4: anonFd('signalfd'),
  timerfd_create: anonFd('timerfd'),
  inotify_init: anonFd('inotify'),
  inotify_init1: anonFd('inotify'),
  userfaultfd: anonFd('unknown'),
  pidfd_open: anonFd('unknown'),
  perf_event_open: anonFd('unknown'),
  fanotify_init: { ...anonFd('unknown'), only: 'strace' },
  ioctl: sig([fd(0), raw(1, 'request')]),
  // files
  unlink: pathOnly('path'),
  rmdir: pathOnly('path'),
  unlinkat: sig([fd(0, 'dirfd'), path(1, 'name'), arg(2, 'flags', 'atflags')]),
  rename: sig([path(0, 'oldpath'), path(1, 'newpath')]),
  renameat: sig([fd(0, 'olddirfd'), path(1, 'oldpath'), fd(2, 'newdirfd'), path(3, 'newpath')]),
  renameat2: sig([fd(0, 'olddirfd'), path(1, 'oldpath'), fd(2, 'newdirfd'), path(3, 'newpath'), raw(4, 'flags')]),
  mkdir: sig([path(0, 'path'), arg(1, 'mode', 'mode')]),
  mkdirat: sig([fd(0, 'dirfd'), path(1, 'path'), arg(2, 'mode', 'mode')]),
  mknod: sig([path(0, 'path'), arg(1, 'mode', 'mode')]),
  mknodat: sig([fd(0, 'dirfd'), path(1, 'path'), arg(2, 'mode', 'mode')]),
  symlink: sig([path(0, 'target'), path(1, 'linkpath')]),
  symlinkat: sig([path(0, 'target'), fd(1, 'linkdirfd'), path(2, 'linkpath')]),
  link: sig([path(0, 'oldpath'), path(1, 'newpath')]),
  linkat: sig([fd(0, 'olddir'), path(1, 'oldpath'), fd(2, 'newdir'), path(3, 'newpath'), arg(4, 'flags', 'atflags')]),
  chmod: sig([path(0, 'filename'), arg(1, 'mode', 'mode')]),
  fchmod: sig([fd(0), arg(1, 'mode', 'mode')]),
  fchmodat: sig([fd(0, 'dirfd'), path(1, 'filename'), arg(2, 'mode', 'mode')]),
  chown: sig([path(0, 'path'), num(1, 'uid'), num(2, 'gid')]),
  lchown: sig([path(0, 'path'), num(1, 'uid'), num(2, 'gid')]),
  fchown: sig([fd(0), num(1, 'uid'), num(2, 'gid')]),
  fchownat: sig([fd(0, 'dirfd'), path(1, 'pathname'), num(2, 'uid'), num(3, 'gid'), arg(4, 'flags', 'atflags')]),
  truncate: sig([path(0, 'path'), num(1, 'length')]),
  ftruncate: sig([fd(0), num(1, 'length')]),
  chdir: pathOnly('path'),
  fchdir: sig([fd(0)]),
  chroot: pathOnly('path'),
  readlink: pathOnly('path'),
  readlinkat: atPath('path'),
  stat: pathOnly('path'),
  lstat: pathOnly('path'),
  newfstatat: atPath('path'),
  statx: atPath('path'),
  access: sig([path(0, 'name'), raw(1, 'mode')]),
  faccessat: sig([fd(0, 'dirfd'), path(1, 'name'), raw(2, 'mode')]),
  faccessat2: sig([fd(0, 'dirfd'), path(1, 'name'), raw(2, 'mode')]),
  // privilege and escape
  ptrace: sig([arg(0, 'request', 'ptracereq'), arg(1, 'pid', 'pid')]),
  process_vm_writev: sig([arg(0, 'pid', 'pid')]),
  process_vm_readv: sig([arg(0, 'pid', 'pid')]),
  mount: sig([path(0, 'dev'), path(1, 'dir'), path(2, 'type'), raw(3, 'flags'), path(4, 'data')]),
  umount: pathOnly('name'),
  umount2: sig([path(0, 'name'), raw(1, 'flags')]),
  pivot_root: sig([path(0, 'new_root'), path(1, 'put_old')]),
  unshare: sig([arg(0, 'flags', 'nsflags')]),
  setns: sig([fd(0), arg(1, 'nstype', 'nstype')]),
  init_module: sig([num(1, 'length'), path(2, 'uargs')]),
  finit_module: sig([fd(0), path(1, 'uargs'), raw(2, 'flags')]),
  delete_module: sig([path(0, 'name'), raw(1, 'flags')]),
  bpf: sig([arg(0, 'cmd', 'bpfcmd')]),
  setuid: ids('uid'),
  setgid: ids('gid'),
  setreuid: ids('ruid', 'euid'),
  setregid: ids('rgid', 'egid'),
  setresuid: ids('ruid', 'euid', 'suid'),
  setresgid: ids('rgid', 'egid', 'sgid'),
  capset: sig([], undefined, 'strace'),
  // memory
  mprotect: sig([raw(0, 'addr'), num(1, 'length'), raw(2, 'prot')]),
  mmap: sig([num(1, 'length'), raw(2, 'prot'), raw(3, 'flags'), fd(4)]),
};

/** The fd type of a socket of this (symbolic) domain. */
export function socketFdType(domain: string): 'ipv4' | 'ipv6' | 'unix' | 'netlink' | 'packet' | 'unknown' {
  if (domain === 'AF_INET') return 'ipv4';
  if (domain === 'AF_INET6') return 'ipv6';
  if (domain === 'AF_UNIX' || domain === 'AF_LOCAL') return 'unix';
  if (domain === 'AF_NETLINK') return 'netlink';
  if (domain === 'AF_PACKET') return 'packet';
  return 'unknown';
}

/** The l4 protocol of an inet socket from its symbolic type and protocol. */
export function inetL4proto(type: string, proto: string): 'icmp' | 'tcp' | 'udp' | 'raw' | undefined {
  if (proto.includes('ICMP')) return 'icmp';
  if (type.startsWith('SOCK_STREAM')) return 'tcp';
  if (type.startsWith('SOCK_DGRAM')) return 'udp';
  if (type.startsWith('SOCK_RAW')) return 'raw';
  return undefined;
}

/** The signature `parser` decodes `name` with, or undefined (the parser then only guesses an fd). */
export function signatureOf(name: string, parser: 'strace' | 'gvisor'): SyscallSignature | undefined {
  const s = Object.hasOwn(SYSCALL_SIGNATURES, name) ? SYSCALL_SIGNATURES[name] : undefined;
  return s === undefined || (s.only !== undefined && s.only !== parser) ? undefined : s;
}
