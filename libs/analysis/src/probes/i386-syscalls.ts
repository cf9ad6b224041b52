/**
 * i386 (`int 0x80`, compat mode) numbers of the syscalls the ebpf probe traces (bpftrace-layout.ts),
 * from the kernel's arch/x86/entry/syscalls/syscall_32.tbl (`asm/unistd_32.h`; the unit test checks
 * them against that header when it is installed). Where i386 has an old 16-bit or 32-bit-offset
 * call beside the modern one, the modern one is listed under the x86_64 name (`chown32` → chown,
 * `setuid32` → setuid, `fcntl64` → fcntl). Left out: calls whose arguments point to structures with
 * pointers, laid out differently for 32-bit callers (writev, pwritev, sendmsg), and accept (i386
 * has it only through socketcall). The libbpf engine decodes these calls from the compat registers
 * (ebx, ecx, edx, esi, edi, ebp, each 32 bits) with the same table entry as the x86_64 call.
 */
export const I386_SYSCALL_NR: Readonly<Record<string, number>> = {
  execve: 11, execveat: 358, clone: 120, clone3: 435, fork: 2, vfork: 190, exit: 1, exit_group: 252, kill: 37, tgkill: 270,
  setsid: 66, open: 5, openat: 295, openat2: 437, creat: 8, close: 6, dup: 41, dup2: 63, dup3: 330, fcntl: 221, pipe: 42,
  pipe2: 331, memfd_create: 356, write: 4, pwrite64: 181, unlink: 10, unlinkat: 301, rmdir: 40, rename: 38, renameat: 302,
  renameat2: 353, mkdir: 39, mkdirat: 296, mknod: 14, mknodat: 297, symlink: 83, symlinkat: 304, link: 9, linkat: 303,
  chmod: 15, fchmod: 94, fchmodat: 306, chown: 212, fchownat: 298, truncate: 92, ftruncate: 93, chdir: 12, fchdir: 133,
  chroot: 61, socket: 359, socketpair: 360, connect: 362, bind: 361, listen: 363, accept4: 364, sendto: 369, ptrace: 26,
  process_vm_writev: 348, process_vm_readv: 347, userfaultfd: 374, io_uring_setup: 425, unshare: 310, setns: 346, mount: 21,
  umount2: 52, pivot_root: 217, fsopen: 430, fsmount: 432, move_mount: 429, open_tree: 428, init_module: 128,
  finit_module: 350, delete_module: 129, bpf: 357, setuid: 213, setgid: 214, setreuid: 203, setregid: 204, setresuid: 208,
  setresgid: 210, prctl: 172,
};

/** The i386 header name of a table entry (for the check against asm/unistd_32.h). */
export const I386_HEADER_NAME: Readonly<Record<string, string>> = {
  chown: 'chown32', setuid: 'setuid32', setgid: 'setgid32', setreuid: 'setreuid32', setregid: 'setregid32',
  setresuid: 'setresuid32', setresgid: 'setresgid32', fcntl: 'fcntl64',
};
