/**
 * Multi-call binaries (busybox, toybox): one executable that runs the tool named by argv[0]
 * (`/bin/nc -> busybox`) or by argv[1] (`busybox nc …`). Re-executed through `/proc/self/exe`
 * the kernel's comm is `exe`, so a rule on `proc.name in (nc, find, …)` never sees the tool.
 *
 * `proc.applet` (this module) names the tool that actually runs:
 *   - the exe is a known multi-call binary, or was reached through /proc/<self|pid>/exe, or the
 *     comm is `exe` → argv[0]'s basename, or argv[1]'s when argv[0] is the multi-call binary's
 *     own name (`busybox nc`);
 *   - otherwise → proc.name (comm), so `proc.applet` is a superset of `proc.name` for matching.
 *
 * argv[0] is chosen by the caller: use proc.applet to CATCH tools, never to EXCUSE them
 * (`not proc.applet in (sshd)` would let any busybox applet claim to be sshd). proc.name keeps
 * Falco's comm semantics.
 */
import type { ProcessState } from './context.js';
import { basename } from './path.js';

/** Executable basenames that dispatch on argv[0] / argv[1]. */
export const MULTICALL_BINARIES: ReadonlySet<string> = new Set([
  'busybox', 'busybox.static', 'busybox.nosuid', 'busybox.suid', 'busybox-static', 'toybox', 'toolbox', 'exe',
]);

const PROC_EXE = /^\/proc\/(self|thread-self|\d+)\/exe$/;

/** True when the process image is (or may be) a multi-call binary. */
export function isMultiCall(p: Pick<ProcessState, 'name' | 'exe' | 'exepath'>): boolean {
  return p.name === 'exe' || MULTICALL_BINARIES.has(basename(p.exepath)) || PROC_EXE.test(p.exepath) || PROC_EXE.test(p.exe);
}

/** The applet a process runs (see the module comment); comm for ordinary executables. */
export function appletOf(p: Pick<ProcessState, 'name' | 'exe' | 'exepath' | 'args'>): string {
  if (!isMultiCall(p)) return p.name;
  let a0 = basename(p.args[0] ?? '');
  // A login shell's argv[0] is "-sh".
  if (a0.startsWith('-')) a0 = a0.slice(1);
  if ((a0 === '' || MULTICALL_BINARIES.has(a0)) && p.args.length > 1) {
    const a1 = basename(p.args[1]!);
    if (a1 !== '' && !a1.startsWith('-')) return a1.slice(0, 64);
  }
  return a0 === '' ? p.name : a0.slice(0, 64);
}
