import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatTars, sandboxNetworkFiles, tarFiles } from './tar-files.js';

describe('tarFiles', () => {
  it('writes an archive GNU tar lists and extracts byte for byte, with modes, no directory entries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'q-tar-'));
    try {
      const big = Buffer.alloc(1500, 7);
      const tar = tarFiles([{ name: 'etc/hosts', content: '127.0.0.1\tlocalhost\n' }, { name: 'a/b/bin', content: big, mode: 0o755 }, { name: 'empty', content: '' }]);
      expect(tar.length % 512).toBe(0);
      writeFileSync(join(dir, 'x.tar'), tar);
      expect(execFileSync('tar', ['-tf', join(dir, 'x.tar')], { encoding: 'utf8' }).trim().split('\n')).toEqual(['etc/hosts', 'a/b/bin', 'empty']);
      execFileSync('tar', ['-xf', join(dir, 'x.tar'), '-C', dir]);
      expect(readFileSync(join(dir, 'etc/hosts'), 'utf8')).toBe('127.0.0.1\tlocalhost\n');
      expect(readFileSync(join(dir, 'a/b/bin')).equals(big)).toBe(true);
      expect(statSync(join(dir, 'a/b/bin')).mode & 0o777).toBe(0o755);
      expect(statSync(join(dir, 'etc/hosts')).mode & 0o777).toBe(0o644);
      expect(statSync(join(dir, 'empty')).size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('directory entries and owners, as GNU tar lists them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'q-tar-'));
    try {
      writeFileSync(join(dir, 'x.tar'), tarFiles([{ name: 'home/app/.ssh', content: '', dir: true, mode: 0o700, uid: 1000, gid: 1001 }, { name: 'home/app/.ssh/id', content: 'k', mode: 0o600, uid: 1000, gid: 1001 }]));
      const list = execFileSync('tar', ['-tvf', join(dir, 'x.tar'), '--numeric-owner'], { encoding: 'utf8' }).trim().split('\n');
      expect(list[0]).toMatch(/^drwx------ 1000\/1001 .* home\/app\/\.ssh\/$/);
      expect(list[1]).toMatch(/^-rw------- 1000\/1001 .* home\/app\/\.ssh\/id$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('concatTars joins ours and a GNU tar archive into one that lists every entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'q-tar-'));
    try {
      writeFileSync(join(dir, 'g'), Buffer.alloc(700, 1));
      execFileSync('tar', ['-C', dir, '-cf', join(dir, 'gnu.tar'), 'g']);
      const joined = concatTars([tarFiles([{ name: 'a', content: Buffer.alloc(513, 2) }, { name: 'b', content: '' }]), readFileSync(join(dir, 'gnu.tar'))]);
      writeFileSync(join(dir, 'x.tar'), joined);
      expect(execFileSync('tar', ['-tf', join(dir, 'x.tar')], { encoding: 'utf8' }).trim().split('\n')).toEqual(['a', 'b', 'g']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses names tar cannot hold in a plain header', () => {
    expect(() => tarFiles([{ name: 'x'.repeat(101), content: '' }])).toThrow('1–100 bytes');
  });

  it('network files: localhost, the hostname on 127.0.1.1, a loopback resolver', () => {
    const files = Object.fromEntries(sandboxNetworkFiles('a1b2c3d4e5f6').map((f) => [f.name, String(f.content)]));
    expect(files['etc/hosts']).toContain('127.0.0.1\tlocalhost\n');
    expect(files['etc/hosts']).toContain('127.0.1.1\ta1b2c3d4e5f6\n');
    expect(files['etc/resolv.conf']).toBe('nameserver 127.0.0.1\n');
    expect(files['etc/hostname']).toBe('a1b2c3d4e5f6\n');
  });
});
