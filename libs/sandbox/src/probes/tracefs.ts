import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where tracefs lives. A freshly booted machine has nothing mounted there. */
export const TRACEFS = '/sys/kernel/tracing';

/**
 * Mounts tracefs at `root` unless it is there already. The ftrace probe needs it, and so does the
 * bpftrace engine of the ebpf probe (`tracepoint:syscalls:*`); the libbpf engine does not.
 */
export async function ensureTracefs(root = TRACEFS): Promise<void> {
  if (existsSync(`${root}/instances`)) return;
  await new Promise<void>((resolve, reject) => {
    const m = spawn('mount', ['-t', 'tracefs', 'nodev', root], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    m.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    m.once('error', reject);
    m.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mount tracefs: ${err.trim() || `exit ${code}`}`))));
  });
}
