import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { DEFAULT_SCAN_LIMITS, entryPath, scanFilesystem } from './image-reader.js';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; mode?: number; content?: string | Buffer; linkname?: string };

function tarOf(entries: Entry[]): Readable {
  const p = pack();
  for (const e of entries) {
    const content = e.content ?? '';
    const header = { name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, linkname: e.linkname, uid: 0, gid: 0, size: e.type && e.type !== 'file' ? 0 : Buffer.byteLength(content) };
    if (e.type && e.type !== 'file') p.entry(header, '');
    else p.entry(header, content);
  }
  p.finalize();
  return Readable.from(p as unknown as AsyncIterable<Buffer>);
}

describe('scanFilesystem (docker export stream)', () => {
  it('lists setuid/setgid files, world-writable directories, binaries of interest and os-release', async () => {
    const out = await scanFilesystem(tarOf([
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { name: 'bin/busybox', mode: 0o755, content: 'ELF' },
      { name: 'usr/bin/passwd', mode: 0o4755, content: 'x' },
      { name: 'usr/bin/wall', mode: 0o2755, content: 'x' },
      { name: 'usr/bin/apt-get', mode: 0o755, content: 'x' },
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
      { name: 'srv/data/', type: 'directory', mode: 0o777 },
      { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      { name: 'usr/lib/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
      { name: 'opt/big.bin', content: Buffer.alloc(300_000, 1) },
    ]));
    expect(out.incomplete).toBeUndefined();
    expect(out.entries).toBe(11);
    expect(out.setuid).toEqual([{ path: '/usr/bin/passwd', mode: 0o4755, uid: 0 }, { path: '/usr/bin/wall', mode: 0o2755, uid: 0 }]);
    expect(out.worldWritableDirs.map((d) => [d.path, d.mode])).toEqual([['/tmp', 0o1777], ['/srv/data', 0o777]]);
    expect(out.present).toEqual(['/bin/busybox', '/bin/sh', '/usr/bin/apt-get']);
    expect(out.links).toEqual({ '/etc/os-release': '../usr/lib/os-release' });
    expect(out.files).toEqual({ '/usr/lib/os-release': 'ID=debian\nVERSION_ID="12"\n' });
  });

  it('stops at the entry cap and the byte cap, and says so', async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
    const byEntries = await scanFilesystem(tarOf(many), { ...DEFAULT_SCAN_LIMITS, maxEntries: 10 });
    expect(byEntries.incomplete).toMatch(/entry cap/);
    expect(byEntries.entries).toBeLessThanOrEqual(11);
    const byBytes = await scanFilesystem(tarOf([{ name: 'a', content: Buffer.alloc(1 << 20) }, { name: 'usr/bin/x', mode: 0o4755, content: 'x' }]), { ...DEFAULT_SCAN_LIMITS, maxBytes: 64 * 1024 });
    expect(byBytes.incomplete).toMatch(/byte cap/);
  });

  it('keeps at most maxFileBytes of a file it reads, and maxListed items', async () => {
    const out = await scanFilesystem(tarOf([
      { name: 'etc/os-release', content: `ID=x\n${'#'.repeat(100_000)}` },
      ...Array.from({ length: 5 }, (_, i) => ({ name: `s${i}`, mode: 0o4755, content: 'x' })),
    ]), { ...DEFAULT_SCAN_LIMITS, maxFileBytes: 1024, maxListed: 2 });
    expect(out.files['/etc/os-release'].length).toBe(1024);
    expect(out.setuid).toHaveLength(2);
  });

  it('rejects a stream that is not a tar', async () => {
    await expect(scanFilesystem(Readable.from([Buffer.alloc(2048, 0x41)]))).rejects.toThrow();
  });

  it('normalises entry names', () => {
    expect(['./usr/bin/x', 'usr/bin/x', '/usr/bin/x', 'tmp/', '.'].map(entryPath)).toEqual(['/usr/bin/x', '/usr/bin/x', '/usr/bin/x', '/tmp', '/']);
  });
});
