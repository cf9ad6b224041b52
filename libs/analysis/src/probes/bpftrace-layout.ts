/**
 * The one table both sides of the `ebpf` probe read: which syscalls the bpftrace program traces,
 * which tracepoint fields it saves at sys_enter, and how each is printed at sys_exit; the parser
 * (`bpftrace-parser.ts`) walks the printed values with the same table. Argument names follow the
 * strace parser (Falco's names), so the state tracker and the rules see the same events.
 *
 * Kinds (what the program prints for an argument, in table order):
 * - numbers: `fd` (int32), `int` (int64), `uint` (uint64), and numbers the parser decodes into
 *   strace's symbolic spelling (linux-constants.ts): `oflags`, `mode`, `fmode` (mode with file type, mknod), `clone`, `domain`, `socktype`, `proto`, `ptrace`,
 *   `fcntl`, `mount`, `mfd`, `at`, `rename`, `sig`, `ns`, `bpf`, `ptr` (printed, not decoded);
 * - `str`: a user string, printed as its own `S` record (read at sys_exit, when the kernel has
 *   already faulted the page in);
 * - `sockaddr` (with `len` = the argument holding its length): five numbers (family, raw port,
 *   IPv4 word, two IPv6 halves as hex), plus an `S` record with the unix path when AF_UNIX;
 *   `peer`: the same, read through the `int *` length argument (accept);
 * - `data` (with `len`): up to DATA_CAP bytes of the buffer as an `S` record (`%r` escaping);
 *   `iov`: the same for the first iovec; `msghdr`: sockaddr numbers + first iovec data;
 * - `fdpair`: two numbers (pipe/socketpair results); `openhow`: three numbers (flags, mode, resolve);
 * - `clone3`: struct clone_args flags, read at sys_enter (printed like `clone`).
 */
export type BtKind =
  | 'fd' | 'int' | 'uint' | 'ptr' | 'oflags' | 'mode' | 'fmode' | 'clone' | 'domain' | 'socktype' | 'proto' | 'ptrace' | 'fcntl'
  | 'mount' | 'mfd' | 'at' | 'rename' | 'sig' | 'ns' | 'bpf' | 'prctl'
  | 'str' | 'sockaddr' | 'peer' | 'data' | 'iov' | 'msghdr' | 'fdpair' | 'openhow' | 'clone3';

export interface BtArg {
  /** Tracepoint field (`args->field`), or `argN` for raw_syscalls probes. */
  field: string;
  /** Normalized (Falco / strace parser) argument name. */
  name: string;
  kind: BtKind;
  /** For `sockaddr`/`data`/`peer`: the field holding the length. */
  len?: string;
}

export interface BtSyscall {
  name: string;
  args: BtArg[];
  /** Printed at sys_enter with `?` as the result (exit, exit_group). */
  noReturn?: true;
  /** No `syscalls:` tracepoint on this kernel (built without modules): traced through raw_syscalls by number. */
  rawNr?: number;
  /** The call returns an fd (open*, socket, accept, dup*, memfd_create, …). */
  retFd?: true;
}

const a = (field: string, name: string, kind: BtKind, len?: string): BtArg => (len === undefined ? { field, name, kind } : { field, name, kind, len });

/** Bytes of write/send buffers captured (`evt.buffer`: ELF magic, stratum JSON). */
export const BT_DATA_CAP = 128;
/** argv / envp strings captured per exec (each one `S` record, each capped at BPFTRACE_STRLEN). */
export const BT_MAX_ARGS = 20;
export const BT_MAX_ENV = 20;
/** BPFTRACE_STRLEN the program is run with (longer strings are cut to STRLEN-1 bytes). */
export const BT_STRLEN = 128;

export const BT_SYSCALLS: readonly BtSyscall[] = [
  // process
  { name: 'execve', args: [a('filename', 'filename', 'str')] },
  { name: 'execveat', args: [a('fd', 'dirfd', 'fd'), a('filename', 'pathname', 'str'), a('flags', 'flags', 'at')] },
  { name: 'clone', args: [a('clone_flags', 'flags', 'clone')] },
  { name: 'clone3', args: [a('uargs', 'flags', 'clone3')] },
  { name: 'fork', args: [] },
  { name: 'vfork', args: [] },
  { name: 'exit', args: [a('error_code', 'status', 'int')], noReturn: true },
  { name: 'exit_group', args: [a('error_code', 'status', 'int')], noReturn: true },
  { name: 'kill', args: [a('pid', 'pid', 'int'), a('sig', 'sig', 'sig')] },
  { name: 'tgkill', args: [a('tgid', 'pid', 'int'), a('pid', 'tid', 'int'), a('sig', 'sig', 'sig')] },
  { name: 'setsid', args: [] },
  // files
  { name: 'open', args: [a('filename', 'name', 'str'), a('flags', 'flags', 'oflags'), a('mode', 'mode', 'mode')], retFd: true },
  { name: 'openat', args: [a('dfd', 'dirfd', 'fd'), a('filename', 'name', 'str'), a('flags', 'flags', 'oflags'), a('mode', 'mode', 'mode')], retFd: true },
  { name: 'openat2', args: [a('dfd', 'dirfd', 'fd'), a('filename', 'name', 'str'), a('how', 'how', 'openhow')], retFd: true },
  { name: 'creat', args: [a('pathname', 'name', 'str'), a('mode', 'mode', 'mode')], retFd: true },
  { name: 'close', args: [a('fd', 'fd', 'fd')] },
  { name: 'dup', args: [a('fildes', 'oldfd', 'fd')], retFd: true },
  { name: 'dup2', args: [a('oldfd', 'oldfd', 'fd'), a('newfd', 'newfd', 'fd')], retFd: true },
  { name: 'dup3', args: [a('oldfd', 'oldfd', 'fd'), a('newfd', 'newfd', 'fd'), a('flags', 'flags', 'oflags')], retFd: true },
  { name: 'fcntl', args: [a('fd', 'fd', 'fd'), a('cmd', 'cmd', 'fcntl'), a('arg', 'arg', 'int')] },
  { name: 'pipe', args: [a('fildes', 'fds', 'fdpair')] },
  { name: 'pipe2', args: [a('fildes', 'fds', 'fdpair'), a('flags', 'flags', 'oflags')] },
  { name: 'memfd_create', args: [a('uname', 'name', 'str'), a('flags', 'flags', 'mfd')], retFd: true },
  { name: 'write', args: [a('fd', 'fd', 'fd'), a('buf', 'data', 'data', 'count'), a('count', 'size', 'uint')] },
  { name: 'pwrite64', args: [a('fd', 'fd', 'fd'), a('buf', 'data', 'data', 'count'), a('count', 'size', 'uint')] },
  { name: 'writev', args: [a('fd', 'fd', 'fd'), a('vec', 'data', 'iov')] },
  { name: 'pwritev', args: [a('fd', 'fd', 'fd'), a('vec', 'data', 'iov')] },
  { name: 'unlink', args: [a('pathname', 'path', 'str')] },
  { name: 'unlinkat', args: [a('dfd', 'dirfd', 'fd'), a('pathname', 'name', 'str'), a('flag', 'flags', 'at')] },
  { name: 'rmdir', args: [a('pathname', 'path', 'str')] },
  { name: 'rename', args: [a('oldname', 'oldpath', 'str'), a('newname', 'newpath', 'str')] },
  { name: 'renameat', args: [a('olddfd', 'olddirfd', 'fd'), a('oldname', 'oldpath', 'str'), a('newdfd', 'newdirfd', 'fd'), a('newname', 'newpath', 'str')] },
  { name: 'renameat2', args: [a('olddfd', 'olddirfd', 'fd'), a('oldname', 'oldpath', 'str'), a('newdfd', 'newdirfd', 'fd'), a('newname', 'newpath', 'str'), a('flags', 'flags', 'rename')] },
  { name: 'mkdir', args: [a('pathname', 'path', 'str'), a('mode', 'mode', 'mode')] },
  { name: 'mkdirat', args: [a('dfd', 'dirfd', 'fd'), a('pathname', 'path', 'str'), a('mode', 'mode', 'mode')] },
  { name: 'mknod', args: [a('filename', 'path', 'str'), a('mode', 'mode', 'fmode')] },
  { name: 'mknodat', args: [a('dfd', 'dirfd', 'fd'), a('filename', 'path', 'str'), a('mode', 'mode', 'fmode')] },
  { name: 'symlink', args: [a('oldname', 'target', 'str'), a('newname', 'linkpath', 'str')] },
  { name: 'symlinkat', args: [a('oldname', 'target', 'str'), a('newdfd', 'linkdirfd', 'fd'), a('newname', 'linkpath', 'str')] },
  { name: 'link', args: [a('oldname', 'oldpath', 'str'), a('newname', 'newpath', 'str')] },
  { name: 'linkat', args: [a('olddfd', 'olddir', 'fd'), a('oldname', 'oldpath', 'str'), a('newdfd', 'newdir', 'fd'), a('newname', 'newpath', 'str'), a('flags', 'flags', 'at')] },
  { name: 'chmod', args: [a('filename', 'filename', 'str'), a('mode', 'mode', 'mode')] },
  { name: 'fchmod', args: [a('fd', 'fd', 'fd'), a('mode', 'mode', 'mode')] },
  { name: 'fchmodat', args: [a('dfd', 'dirfd', 'fd'), a('filename', 'filename', 'str'), a('mode', 'mode', 'mode')] },
  { name: 'chown', args: [a('filename', 'path', 'str'), a('user', 'uid', 'int'), a('group', 'gid', 'int')] },
  { name: 'fchownat', args: [a('dfd', 'dirfd', 'fd'), a('filename', 'pathname', 'str'), a('user', 'uid', 'int'), a('group', 'gid', 'int'), a('flag', 'flags', 'at')] },
  { name: 'truncate', args: [a('path', 'path', 'str'), a('length', 'length', 'int')] },
  { name: 'ftruncate', args: [a('fd', 'fd', 'fd'), a('length', 'length', 'int')] },
  { name: 'chdir', args: [a('filename', 'path', 'str')] },
  { name: 'fchdir', args: [a('fd', 'fd', 'fd')] },
  { name: 'chroot', args: [a('filename', 'path', 'str')] },
  // network
  { name: 'socket', args: [a('family', 'domain', 'domain'), a('type', 'type', 'socktype'), a('protocol', 'proto', 'proto')], retFd: true },
  { name: 'socketpair', args: [a('family', 'domain', 'domain'), a('type', 'type', 'socktype'), a('protocol', 'proto', 'proto'), a('usockvec', 'fds', 'fdpair')] },
  { name: 'connect', args: [a('fd', 'fd', 'fd'), a('uservaddr', 'addr', 'sockaddr', 'addrlen')] },
  { name: 'bind', args: [a('fd', 'fd', 'fd'), a('umyaddr', 'addr', 'sockaddr', 'addrlen')] },
  { name: 'listen', args: [a('fd', 'fd', 'fd'), a('backlog', 'backlog', 'int')] },
  { name: 'accept', args: [a('fd', 'listenfd', 'fd'), a('upeer_sockaddr', 'tuple', 'peer', 'upeer_addrlen')], retFd: true },
  { name: 'accept4', args: [a('fd', 'listenfd', 'fd'), a('upeer_sockaddr', 'tuple', 'peer', 'upeer_addrlen'), a('flags', 'flags', 'socktype')], retFd: true },
  { name: 'sendto', args: [a('fd', 'fd', 'fd'), a('buff', 'data', 'data', 'len'), a('len', 'size', 'uint'), a('addr', 'tuple', 'sockaddr', 'addr_len')] },
  { name: 'sendmsg', args: [a('fd', 'fd', 'fd'), a('msg', 'tuple', 'msghdr')] },
  // privilege and escape
  { name: 'ptrace', args: [a('request', 'request', 'ptrace'), a('pid', 'pid', 'int')] },
  { name: 'process_vm_writev', args: [a('pid', 'pid', 'int')] },
  { name: 'process_vm_readv', args: [a('pid', 'pid', 'int')] },
  { name: 'userfaultfd', args: [a('flags', 'flags', 'int')] },
  { name: 'io_uring_setup', args: [a('entries', 'entries', 'uint')] },
  { name: 'unshare', args: [a('unshare_flags', 'flags', 'ns')] },
  { name: 'setns', args: [a('fd', 'fd', 'fd'), a('flags', 'nstype', 'ns')] },
  { name: 'mount', args: [a('dev_name', 'dev', 'str'), a('dir_name', 'dir', 'str'), a('type', 'type', 'str'), a('flags', 'flags', 'mount')] },
  { name: 'umount2', args: [a('name', 'name', 'str'), a('flags', 'flags', 'int')] },
  { name: 'pivot_root', args: [a('new_root', 'new_root', 'str'), a('put_old', 'put_old', 'str')] },
  { name: 'fsopen', args: [a('_fs_name', 'fs_name', 'str'), a('flags', 'flags', 'int')], retFd: true },
  { name: 'fsmount', args: [a('fs_fd', 'fd', 'fd'), a('flags', 'flags', 'int')], retFd: true },
  { name: 'move_mount', args: [a('from_dfd', 'from_dfd', 'fd'), a('from_pathname', 'from_pathname', 'str'), a('to_dfd', 'to_dfd', 'fd'), a('to_pathname', 'to_pathname', 'str')] },
  { name: 'open_tree', args: [a('dfd', 'dirfd', 'fd'), a('filename', 'path', 'str'), a('flags', 'flags', 'uint')], retFd: true },
  { name: 'init_module', args: [a('arg0', 'umod', 'ptr'), a('arg1', 'length', 'uint'), a('arg2', 'uargs', 'str')], rawNr: 175 },
  { name: 'finit_module', args: [a('arg0', 'fd', 'fd'), a('arg1', 'uargs', 'str'), a('arg2', 'flags', 'uint')], rawNr: 313 },
  { name: 'delete_module', args: [a('arg0', 'name', 'str'), a('arg1', 'flags', 'uint')], rawNr: 176 },
  { name: 'bpf', args: [a('cmd', 'cmd', 'bpf')] },
  { name: 'setuid', args: [a('uid', 'uid', 'int')] },
  { name: 'setgid', args: [a('gid', 'gid', 'int')] },
  { name: 'setreuid', args: [a('ruid', 'ruid', 'int'), a('euid', 'euid', 'int')] },
  { name: 'setregid', args: [a('rgid', 'rgid', 'int'), a('egid', 'egid', 'int')] },
  { name: 'setresuid', args: [a('ruid', 'ruid', 'int'), a('euid', 'euid', 'int'), a('suid', 'suid', 'int')] },
  { name: 'setresgid', args: [a('rgid', 'rgid', 'int'), a('egid', 'egid', 'int'), a('sgid', 'sgid', 'int')] },
  // arg2 is read as a string for every option (a failed read of a non-pointer is harmless); the
  // parser keeps it only for PR_SET_NAME, where it is the new process name (masquerade rules).
  { name: 'prctl', args: [a('option', 'option', 'prctl'), a('arg2', 'arg2_str', 'str')] },
];

/**
 * Each traced syscall's parameters in x86_64 ABI order, `field:C type` (from the kernel's
 * `syscalls:sys_enter_*` tracepoint formats, which list them in call order; the module syscalls,
 * which have no tracepoint here, from their man pages). The libbpf engine reads arguments from the
 * saved user registers by position and narrows them to the declared type, as bpftrace does when
 * it reads a tracepoint field.
 */
export const BT_SYSCALL_PARAMS: Readonly<Record<string, readonly string[]>> = {
  execve: ['filename:const char *', 'argv:const char *const *', 'envp:const char *const *'],
  execveat: ['fd:int', 'filename:const char *', 'argv:const char *const *', 'envp:const char *const *', 'flags:int'],
  clone: ['clone_flags:unsigned long', 'newsp:unsigned long', 'parent_tidptr:int *', 'child_tidptr:int *', 'tls:unsigned long'],
  clone3: ['uargs:struct clone_args *', 'size:size_t'],
  fork: [],
  vfork: [],
  exit: ['error_code:int'],
  exit_group: ['error_code:int'],
  kill: ['pid:pid_t', 'sig:int'],
  tgkill: ['tgid:pid_t', 'pid:pid_t', 'sig:int'],
  setsid: [],
  open: ['filename:const char *', 'flags:int', 'mode:umode_t'],
  openat: ['dfd:int', 'filename:const char *', 'flags:int', 'mode:umode_t'],
  openat2: ['dfd:int', 'filename:const char *', 'how:struct open_how *', 'usize:size_t'],
  creat: ['pathname:const char *', 'mode:umode_t'],
  close: ['fd:unsigned int'],
  dup: ['fildes:unsigned int'],
  dup2: ['oldfd:unsigned int', 'newfd:unsigned int'],
  dup3: ['oldfd:unsigned int', 'newfd:unsigned int', 'flags:int'],
  fcntl: ['fd:unsigned int', 'cmd:unsigned int', 'arg:unsigned long'],
  pipe: ['fildes:int *'],
  pipe2: ['fildes:int *', 'flags:int'],
  memfd_create: ['uname:const char *', 'flags:unsigned int'],
  write: ['fd:unsigned int', 'buf:const char *', 'count:size_t'],
  pwrite64: ['fd:unsigned int', 'buf:const char *', 'count:size_t', 'pos:loff_t'],
  writev: ['fd:unsigned long', 'vec:const struct iovec *', 'vlen:unsigned long'],
  pwritev: ['fd:unsigned long', 'vec:const struct iovec *', 'vlen:unsigned long', 'pos_l:unsigned long', 'pos_h:unsigned long'],
  unlink: ['pathname:const char *'],
  unlinkat: ['dfd:int', 'pathname:const char *', 'flag:int'],
  rmdir: ['pathname:const char *'],
  rename: ['oldname:const char *', 'newname:const char *'],
  renameat: ['olddfd:int', 'oldname:const char *', 'newdfd:int', 'newname:const char *'],
  renameat2: ['olddfd:int', 'oldname:const char *', 'newdfd:int', 'newname:const char *', 'flags:unsigned int'],
  mkdir: ['pathname:const char *', 'mode:umode_t'],
  mkdirat: ['dfd:int', 'pathname:const char *', 'mode:umode_t'],
  mknod: ['filename:const char *', 'mode:umode_t', 'dev:unsigned'],
  mknodat: ['dfd:int', 'filename:const char *', 'mode:umode_t', 'dev:unsigned int'],
  symlink: ['oldname:const char *', 'newname:const char *'],
  symlinkat: ['oldname:const char *', 'newdfd:int', 'newname:const char *'],
  link: ['oldname:const char *', 'newname:const char *'],
  linkat: ['olddfd:int', 'oldname:const char *', 'newdfd:int', 'newname:const char *', 'flags:int'],
  chmod: ['filename:const char *', 'mode:umode_t'],
  fchmod: ['fd:unsigned int', 'mode:umode_t'],
  fchmodat: ['dfd:int', 'filename:const char *', 'mode:umode_t'],
  chown: ['filename:const char *', 'user:uid_t', 'group:gid_t'],
  fchownat: ['dfd:int', 'filename:const char *', 'user:uid_t', 'group:gid_t', 'flag:int'],
  truncate: ['path:const char *', 'length:long'],
  ftruncate: ['fd:unsigned int', 'length:off_t'],
  chdir: ['filename:const char *'],
  fchdir: ['fd:unsigned int'],
  chroot: ['filename:const char *'],
  socket: ['family:int', 'type:int', 'protocol:int'],
  socketpair: ['family:int', 'type:int', 'protocol:int', 'usockvec:int *'],
  connect: ['fd:int', 'uservaddr:struct sockaddr *', 'addrlen:int'],
  bind: ['fd:int', 'umyaddr:struct sockaddr *', 'addrlen:int'],
  listen: ['fd:int', 'backlog:int'],
  accept: ['fd:int', 'upeer_sockaddr:struct sockaddr *', 'upeer_addrlen:int *'],
  accept4: ['fd:int', 'upeer_sockaddr:struct sockaddr *', 'upeer_addrlen:int *', 'flags:int'],
  sendto: ['fd:int', 'buff:void *', 'len:size_t', 'flags:unsigned int', 'addr:struct sockaddr *', 'addr_len:int'],
  sendmsg: ['fd:int', 'msg:struct user_msghdr *', 'flags:unsigned int'],
  ptrace: ['request:long', 'pid:long', 'addr:unsigned long', 'data:unsigned long'],
  process_vm_writev: ['pid:pid_t', 'lvec:const struct iovec *', 'liovcnt:unsigned long', 'rvec:const struct iovec *', 'riovcnt:unsigned long', 'flags:unsigned long'],
  process_vm_readv: ['pid:pid_t', 'lvec:const struct iovec *', 'liovcnt:unsigned long', 'rvec:const struct iovec *', 'riovcnt:unsigned long', 'flags:unsigned long'],
  userfaultfd: ['flags:int'],
  io_uring_setup: ['entries:u32', 'params:struct io_uring_params *'],
  unshare: ['unshare_flags:unsigned long'],
  setns: ['fd:int', 'flags:int'],
  mount: ['dev_name:char *', 'dir_name:char *', 'type:char *', 'flags:unsigned long', 'data:void *'],
  umount2: ['name:char *', 'flags:int'],
  pivot_root: ['new_root:const char *', 'put_old:const char *'],
  fsopen: ['_fs_name:const char *', 'flags:unsigned int'],
  fsmount: ['fs_fd:int', 'flags:unsigned int', 'attr_flags:unsigned int'],
  move_mount: ['from_dfd:int', 'from_pathname:const char *', 'to_dfd:int', 'to_pathname:const char *', 'flags:unsigned int'],
  open_tree: ['dfd:int', 'filename:const char *', 'flags:unsigned'],
  bpf: ['cmd:int', 'uattr:union bpf_attr *', 'size:unsigned int'],
  setuid: ['uid:uid_t'],
  setgid: ['gid:gid_t'],
  setreuid: ['ruid:uid_t', 'euid:uid_t'],
  setregid: ['rgid:gid_t', 'egid:gid_t'],
  setresuid: ['ruid:uid_t', 'euid:uid_t', 'suid:uid_t'],
  setresgid: ['rgid:gid_t', 'egid:gid_t', 'sgid:gid_t'],
  prctl: ['option:int', 'arg2:unsigned long', 'arg3:unsigned long', 'arg4:unsigned long', 'arg5:unsigned long'],
  init_module: ['arg0:void *', 'arg1:unsigned long', 'arg2:const char *'],
  finit_module: ['arg0:int', 'arg1:const char *', 'arg2:int'],
  delete_module: ['arg0:const char *', 'arg1:unsigned int'],
};

/** Tracepoint name of a syscall when it differs from the syscall's (umount2 is `sys_enter_umount`). */
export const BT_TRACEPOINT_NAME: Readonly<Record<string, string>> = { umount2: 'umount' };

/** How many numbers a kind prints in the `Y` record. */
export function btNumbers(kind: BtKind): number {
  switch (kind) {
    case 'str': case 'data': case 'iov': return 0;
    case 'sockaddr': case 'peer': case 'msghdr': return 5;
    case 'fdpair': return 2;
    case 'openhow': return 3;
    default: return 1;
  }
}
