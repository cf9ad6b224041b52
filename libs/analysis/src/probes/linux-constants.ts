/**
 * Linux constants spelled the way strace prints them, shared by the parsers that decode numeric
 * syscall arguments (bpftrace, perf, ftrace) so every probe hands rules the same notation.
 */
export const CLONE_FLAGS: readonly (readonly [number, string])[] = [
  [0x100, 'CLONE_VM'], [0x200, 'CLONE_FS'], [0x400, 'CLONE_FILES'], [0x800, 'CLONE_SIGHAND'], [0x1000, 'CLONE_PIDFD'],
  [0x2000, 'CLONE_PTRACE'], [0x4000, 'CLONE_VFORK'], [0x8000, 'CLONE_PARENT'], [0x10000, 'CLONE_THREAD'], [0x20000, 'CLONE_NEWNS'],
  [0x40000, 'CLONE_SYSVSEM'], [0x80000, 'CLONE_SETTLS'], [0x100000, 'CLONE_PARENT_SETTID'], [0x200000, 'CLONE_CHILD_CLEARTID'],
  [0x400000, 'CLONE_DETACHED'], [0x800000, 'CLONE_UNTRACED'], [0x1000000, 'CLONE_CHILD_SETTID'], [0x2000000, 'CLONE_NEWCGROUP'],
  [0x4000000, 'CLONE_NEWUTS'], [0x8000000, 'CLONE_NEWIPC'], [0x10000000, 'CLONE_NEWUSER'], [0x20000000, 'CLONE_NEWPID'],
  [0x40000000, 'CLONE_NEWNET'], [0x80000000, 'CLONE_IO'],
];

/** ptrace(2) requests. */
export const PTRACE: Record<number, string> = {
  0: 'PTRACE_TRACEME', 1: 'PTRACE_PEEKTEXT', 2: 'PTRACE_PEEKDATA', 3: 'PTRACE_PEEKUSER', 4: 'PTRACE_POKETEXT', 5: 'PTRACE_POKEDATA',
  6: 'PTRACE_POKEUSER', 7: 'PTRACE_CONT', 8: 'PTRACE_KILL', 9: 'PTRACE_SINGLESTEP', 12: 'PTRACE_GETREGS', 13: 'PTRACE_SETREGS',
  14: 'PTRACE_GETFPREGS', 15: 'PTRACE_SETFPREGS', 16: 'PTRACE_ATTACH', 17: 'PTRACE_DETACH', 24: 'PTRACE_SYSCALL',
  0x4200: 'PTRACE_SETOPTIONS', 0x4201: 'PTRACE_GETEVENTMSG', 0x4202: 'PTRACE_GETSIGINFO', 0x4203: 'PTRACE_SETSIGINFO',
  0x4204: 'PTRACE_GETREGSET', 0x4205: 'PTRACE_SETREGSET', 0x4206: 'PTRACE_SEIZE', 0x4207: 'PTRACE_INTERRUPT', 0x4208: 'PTRACE_LISTEN',
};

/** prctl(2) options, as strace names them (those a sandbox report cares about). */
export const PRCTL_OPTIONS: Record<number, string> = {
  1: 'PR_SET_PDEATHSIG', 2: 'PR_GET_PDEATHSIG', 3: 'PR_GET_DUMPABLE', 4: 'PR_SET_DUMPABLE', 8: 'PR_SET_KEEPCAPS',
  15: 'PR_SET_NAME', 16: 'PR_GET_NAME', 22: 'PR_SET_SECCOMP', 23: 'PR_CAPBSET_READ', 24: 'PR_CAPBSET_DROP',
  35: 'PR_SET_MM', 36: 'PR_SET_CHILD_SUBREAPER', 38: 'PR_SET_NO_NEW_PRIVS', 39: 'PR_GET_NO_NEW_PRIVS',
  47: 'PR_CAP_AMBIENT', 0x59616d61: 'PR_SET_PTRACER', 0x53564d41: 'PR_SET_VMA',
};

/** bpf(2) commands, by number. */
export const BPF_CMDS = ['BPF_MAP_CREATE', 'BPF_MAP_LOOKUP_ELEM', 'BPF_MAP_UPDATE_ELEM', 'BPF_MAP_DELETE_ELEM', 'BPF_MAP_GET_NEXT_KEY',
  'BPF_PROG_LOAD', 'BPF_OBJ_PIN', 'BPF_OBJ_GET', 'BPF_PROG_ATTACH', 'BPF_PROG_DETACH', 'BPF_PROG_TEST_RUN', 'BPF_PROG_GET_NEXT_ID',
  'BPF_MAP_GET_NEXT_ID', 'BPF_PROG_GET_FD_BY_ID', 'BPF_MAP_GET_FD_BY_ID', 'BPF_OBJ_GET_INFO_BY_FD', 'BPF_PROG_QUERY',
  'BPF_RAW_TRACEPOINT_OPEN', 'BPF_BTF_LOAD', 'BPF_BTF_GET_FD_BY_ID', 'BPF_TASK_FD_QUERY', 'BPF_MAP_LOOKUP_AND_DELETE_ELEM',
  'BPF_MAP_FREEZE', 'BPF_BTF_GET_NEXT_ID', 'BPF_MAP_LOOKUP_BATCH', 'BPF_MAP_LOOKUP_AND_DELETE_BATCH', 'BPF_MAP_UPDATE_BATCH',
  'BPF_MAP_DELETE_BATCH', 'BPF_LINK_CREATE'];

// ---------------------------------------------------------------------------------------------
// Argument decoders, spelled exactly as strace 6.1 prints them (checked against real strace
// output on this machine), so a rule written against strace's notation matches every probe.

/** Names of the bits set in `v`, in the table's order; leftover bits as one hex number. */
export function flagNames(v: number, table: readonly (readonly [number, string])[]): string[] {
  const out: string[] = [];
  let rest = v;
  for (const [bit, name] of table) if (bit !== 0 && (rest & bit) === bit) { out.push(name); rest &= ~bit; }
  if (rest !== 0) out.push(`0x${(rest >>> 0).toString(16)}`);
  return out;
}

/** `a|b`, or `0` when no bit is set. */
export function flagsOr0(v: number, table: readonly (readonly [number, string])[]): string {
  return v === 0 ? '0' : flagNames(v, table).join('|');
}

/**
 * open(2) flags after the access mode, in strace's order (its xlat table, not bit order):
 * `O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY`. O_SYNC before O_DSYNC (it contains it), O_TMPFILE
 * before O_DIRECTORY (likewise); O_ASYNC is spelled FASYNC; O_LARGEFILE is shown when the caller set it.
 */
export const O_FLAGS: readonly (readonly [number, string])[] = [
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'], [0o2000, 'O_APPEND'], [0o4000, 'O_NONBLOCK'],
  [0o4010000, 'O_SYNC'], [0o10000, 'O_DSYNC'], [0o40000, 'O_DIRECT'], [0o100000, 'O_LARGEFILE'], [0o400000, 'O_NOFOLLOW'],
  [0o1000000, 'O_NOATIME'], [0o2000000, 'O_CLOEXEC'], [0o10000000, 'O_PATH'], [0o20200000, 'O_TMPFILE'], [0o200000, 'O_DIRECTORY'],
  [0o20000, 'FASYNC'],
];

/** open(2) flags as strace prints them: `O_WRONLY|O_CREAT|O_TRUNC`. */
export function openFlags(v: number): string {
  const acc = v & 3;
  return [acc === 0 ? 'O_RDONLY' : acc === 1 ? 'O_WRONLY' : acc === 2 ? 'O_RDWR' : 'O_ACCMODE', ...flagNames(v & ~3, O_FLAGS)].join('|');
}

/** Only flag bits, no access mode (dup3, pipe2): `O_NONBLOCK|O_CLOEXEC`, `0` when none. */
export function fdFlags(v: number): string {
  return flagsOr0(v, O_FLAGS);
}

/** A permission mode as strace prints it (`%#03o`): `000`, `007`, `0644`, `04755`, `0100644`. */
export function octalMode(v: number): string {
  return v === 0 ? '000' : `0${v.toString(8)}`.padStart(3, '0');
}

const S_IFMT: Record<number, string> = { 0o140000: 'S_IFSOCK', 0o120000: 'S_IFLNK', 0o100000: 'S_IFREG', 0o60000: 'S_IFBLK', 0o40000: 'S_IFDIR', 0o20000: 'S_IFCHR', 0o10000: 'S_IFIFO' };

/** A mode with its file type (mknod): `S_IFIFO|0644`; without a type like octalMode. */
export function fileTypeMode(v: number): string {
  const type = v & 0o170000;
  if (type === 0) return octalMode(v);
  const name = S_IFMT[type];
  return name === undefined ? octalMode(v) : `${name}|${octalMode(v & 0o7777)}`;
}

const SIGNAL_NAMES = ['0', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV',
  'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG',
  'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS'];

/** Signal name as strace prints it: `SIGKILL`, real-time signals `SIGRT_2` (= 34), `0` for none. */
export function signalName(n: number): string {
  return SIGNAL_NAMES[n] ?? (n >= 32 && n <= 64 ? `SIGRT_${n - 32}` : String(n));
}

/** clone flags as strace prints them: `CLONE_VM|CLONE_VFORK|SIGCHLD` (exit signal last, by name). */
export function cloneFlags(v: number): string {
  const sig = v & 0xff;
  const hi = Math.floor(v / 0x100000000);
  const names = flagNames(((v >>> 0) & ~0xff) >>> 0, CLONE_FLAGS);
  if (hi !== 0) names.push(`0x${hi.toString(16)}00000000`);
  if (sig !== 0) names.push(signalName(sig));
  return names.length > 0 ? names.join('|') : '0';
}

const NS_FLAGS = CLONE_FLAGS.filter(([, n]) => n.startsWith('CLONE_NEW') || n === 'CLONE_FS' || n === 'CLONE_FILES' || n === 'CLONE_SYSVSEM');
/** unshare(2) flags and setns(2) nstype: `CLONE_NEWNS|CLONE_NEWUSER`, `0` when none. */
export function nsFlags(v: number): string {
  return flagsOr0(v, NS_FLAGS);
}

const FAMILIES: Record<number, string> = {
  0: 'AF_UNSPEC', 1: 'AF_UNIX', 2: 'AF_INET', 3: 'AF_AX25', 4: 'AF_IPX', 5: 'AF_APPLETALK', 6: 'AF_NETROM', 7: 'AF_BRIDGE',
  8: 'AF_ATMPVC', 9: 'AF_X25', 10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET', 38: 'AF_ALG', 40: 'AF_VSOCK', 44: 'AF_XDP',
};
/** Address family: `AF_INET`; the number when unknown. */
export function familyName(n: number): string {
  return FAMILIES[n] ?? String(n);
}

const SOCK_TYPES: Record<number, string> = { 1: 'SOCK_STREAM', 2: 'SOCK_DGRAM', 3: 'SOCK_RAW', 4: 'SOCK_RDM', 5: 'SOCK_SEQPACKET', 6: 'SOCK_DCCP', 10: 'SOCK_PACKET' };
/** socket(2) type as strace prints it: `SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK` (also accept4's flags: `SOCK_CLOEXEC`). */
export function sockType(v: number): string {
  const base = v & 0xf;
  const names: string[] = base !== 0 ? [SOCK_TYPES[base] ?? String(base)] : [];
  if (v & 0o2000000) names.push('SOCK_CLOEXEC');
  if (v & 0o4000) names.push('SOCK_NONBLOCK');
  const rest = v & ~(0xf | 0o4000 | 0o2000000);
  if (rest !== 0) names.push(`0x${(rest >>> 0).toString(16)}`);
  return names.length > 0 ? names.join('|') : '0';
}

const IP_PROTOS: Record<number, string> = { 0: 'IPPROTO_IP', 1: 'IPPROTO_ICMP', 6: 'IPPROTO_TCP', 17: 'IPPROTO_UDP', 41: 'IPPROTO_IPV6', 58: 'IPPROTO_ICMPV6', 132: 'IPPROTO_SCTP', 255: 'IPPROTO_RAW' };
/** socket(2) protocol: IPPROTO_* names for AF_INET/AF_INET6 (as strace), the number for other families. */
export function socketProto(family: number, proto: number): string {
  return family === 2 || family === 10 ? (IP_PROTOS[proto] ?? String(proto)) : String(proto);
}

const FCNTL_CMDS: Record<number, string> = {
  0: 'F_DUPFD', 1: 'F_GETFD', 2: 'F_SETFD', 3: 'F_GETFL', 4: 'F_SETFL', 5: 'F_GETLK', 6: 'F_SETLK', 7: 'F_SETLKW', 8: 'F_SETOWN', 9: 'F_GETOWN',
  1024: 'F_SETLEASE', 1025: 'F_GETLEASE', 1030: 'F_DUPFD_CLOEXEC', 1031: 'F_SETPIPE_SZ', 1032: 'F_GETPIPE_SZ', 1033: 'F_ADD_SEALS', 1034: 'F_GET_SEALS',
};
/** fcntl(2) command: `F_DUPFD_CLOEXEC`; the number when unknown. */
export function fcntlCmd(n: number): string {
  return FCNTL_CMDS[n] ?? String(n);
}

const MOUNT_FLAGS: readonly (readonly [number, string])[] = [
  [1, 'MS_RDONLY'], [2, 'MS_NOSUID'], [4, 'MS_NODEV'], [8, 'MS_NOEXEC'], [16, 'MS_SYNCHRONOUS'], [32, 'MS_REMOUNT'], [64, 'MS_MANDLOCK'],
  [128, 'MS_DIRSYNC'], [1024, 'MS_NOATIME'], [2048, 'MS_NODIRATIME'], [4096, 'MS_BIND'], [8192, 'MS_MOVE'], [16384, 'MS_REC'],
  [32768, 'MS_SILENT'], [1 << 16, 'MS_POSIXACL'], [1 << 17, 'MS_UNBINDABLE'], [1 << 18, 'MS_PRIVATE'], [1 << 19, 'MS_SLAVE'],
  [1 << 20, 'MS_SHARED'], [1 << 21, 'MS_RELATIME'], [1 << 24, 'MS_STRICTATIME'], [1 << 25, 'MS_LAZYTIME'],
];
/** mount(2) flags: `MS_MANDLOCK|MS_BIND|MS_REC`, `0` when none. */
export function mountFlags(v: number): string {
  return flagsOr0(v, MOUNT_FLAGS);
}

const MFD_FLAGS: readonly (readonly [number, string])[] = [[1, 'MFD_CLOEXEC'], [2, 'MFD_ALLOW_SEALING'], [4, 'MFD_HUGETLB'], [8, 'MFD_NOEXEC_SEAL'], [16, 'MFD_EXEC']];
/** memfd_create(2) flags: `MFD_CLOEXEC|MFD_ALLOW_SEALING`, `0` when none. */
export function memfdFlags(v: number): string {
  return flagsOr0(v, MFD_FLAGS);
}

const AT_FLAGS: readonly (readonly [number, string])[] = [[0x100, 'AT_SYMLINK_NOFOLLOW'], [0x200, 'AT_REMOVEDIR'], [0x400, 'AT_SYMLINK_FOLLOW'], [0x800, 'AT_NO_AUTOMOUNT'], [0x1000, 'AT_EMPTY_PATH']];
/** *at(2) flags: `AT_EMPTY_PATH`, `0` when none. */
export function atFlags(v: number): string {
  return flagsOr0(v, AT_FLAGS);
}

const RENAME_FLAGS: readonly (readonly [number, string])[] = [[1, 'RENAME_NOREPLACE'], [2, 'RENAME_EXCHANGE'], [4, 'RENAME_WHITEOUT']];
/** renameat2(2) flags: `RENAME_NOREPLACE`, `0` when none. */
export function renameFlags(v: number): string {
  return flagsOr0(v, RENAME_FLAGS);
}
