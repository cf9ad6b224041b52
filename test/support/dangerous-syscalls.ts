/**
 * Syscalls the escape and privilege-escalation samples and rules are about (test/samples/src/escape-probe.c:
 * mknod; the container-escape, kernel-module, namespace, tracing and host-tampering rules under
 * sandbox-profiles/rules): a seccomp profile generated from a benign run must allow none of them
 * (libs/analysis/src/hardening/hardening.spec.ts, test/e2e/realworld.e2e-spec.ts).
 */
export const DANGEROUS_SYSCALLS: readonly string[] = [
  'mknod', 'mknodat', 'unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'chroot', 'ptrace', 'init_module', 'finit_module', 'delete_module',
  'kexec_load', 'kexec_file_load', 'bpf', 'keyctl', 'add_key', 'request_key', 'open_by_handle_at', 'name_to_handle_at', 'perf_event_open',
  'process_vm_writev', 'process_vm_readv', 'userfaultfd', 'iopl', 'ioperm', 'swapon', 'swapoff', 'reboot', 'fsopen', 'fsmount', 'move_mount',
  'open_tree', 'fsconfig', 'mount_setattr', 'settimeofday', 'clock_settime', 'sethostname', 'setdomainname', 'acct', 'quotactl', 'syslog',
  'personality', 'lookup_dcookie', 'vhangup', 'uselib',
];
