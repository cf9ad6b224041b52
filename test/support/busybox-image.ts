import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Builds a tiny busybox-static image locally (no registry needed) with the given CMD and
 * returns its tag. Used by integration tests that need an image of their own.
 */
export function buildBusyboxImage(
  tag: string,
  cmd: string[],
  opts: { user?: string; entrypoint?: string[]; changes?: string[]; files?: { path: string; content: string; mode: number }[] } = {},
): string {
  const root = mkdtempSync(join(tmpdir(), 'q-bb-'));
  try {
    // mkdtemp makes the directory 0700: as the image's / it would lock a non-root USER out.
    chmodSync(root, 0o755);
    for (const d of ['bin', 'etc', 'tmp', 'root']) mkdirSync(join(root, d));
    chmodSync(join(root, 'tmp'), 0o1777);
    copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
    chmodSync(join(root, 'bin/busybox'), 0o755);
    for (const a of ['sh', 'cat', 'echo', 'ls', 'sleep', 'id', 'touch', 'yes', 'true']) symlinkSync('busybox', join(root, 'bin', a));
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/tmp:/bin/sh\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\napp:x:1000:\n');
    writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o600 });
    for (const f of opts.files ?? []) {
      mkdirSync(join(root, f.path, '..'), { recursive: true });
      writeFileSync(join(root, f.path), f.content);
      chmodSync(join(root, f.path), f.mode);
    }
    const changes = [`CMD ${JSON.stringify(cmd)}`, 'ENV PATH=/bin', ...(opts.changes ?? [])];
    if (opts.entrypoint) changes.push(`ENTRYPOINT ${JSON.stringify(opts.entrypoint)}`);
    if (opts.user) changes.push(`USER ${opts.user}`);
    const tar = join(root, '..', `${root.split('/').pop()}.tar`);
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    execFileSync('docker', ['import', ...changes.flatMap((c) => ['-c', c]), tar, tag], { stdio: 'ignore' });
    rmSync(tar, { force: true });
    return tag;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
