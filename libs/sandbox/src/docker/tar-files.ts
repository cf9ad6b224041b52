/**
 * A minimal ustar writer for the few small files the sandbox puts into a container before it
 * starts (putArchive): regular files, and directory entries when asked (owner and mode given per
 * entry, root by default). Missing parents without an entry are created 0755 by the engine, and
 * existing ones are left as they are — so give a directory entry only for a directory that does
 * not exist yet (an entry re-applies its owner and mode to an existing one).
 */
export interface TarFile {
  /** Path inside the archive, relative (`etc/hosts`); at most 100 bytes. */
  name: string;
  content: Buffer | string;
  mode?: number;
  /** Owner (default root). */
  uid?: number;
  gid?: number;
  /** A directory entry (content ignored) rather than a regular file. */
  dir?: boolean;
}

const BLOCK = 512;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, mode: number, mtime: number, uid = 0, gid = 0, type = '0'): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length === 0 || nameBytes.length > 100) throw new Error(`tar: name "${name}" must be 1–100 bytes`);
  const h = Buffer.alloc(BLOCK, 0);
  nameBytes.copy(h, 0);
  h.write(octal(mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(uid, 8), 108, 'ascii');
  h.write(octal(gid, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  h.write(type, 156, 'ascii'); // '0' regular file, '5' directory
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

export function tarFiles(files: readonly TarFile[], mtime = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    if (f.dir) {
      parts.push(header(f.name.endsWith('/') ? f.name : `${f.name}/`, 0, f.mode ?? 0o755, mtime, f.uid, f.gid, '5'));
      continue;
    }
    const body = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content;
    parts.push(header(f.name, body.length, f.mode ?? 0o644, mtime, f.uid, f.gid), body);
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}

/**
 * The name-resolution files Docker would write for a container without networking: `localhost`
 * (IPv4 and IPv6), the sandbox's hostname on 127.0.1.1 (Debian's convention; services that resolve
 * their own hostname at start-up, such as mariadb-install-db, need it), and a resolver on loopback,
 * where nothing answers, so lookups fail at once without looking outbound — or, on the simulated
 * network, the simulator.
 */
export function sandboxNetworkFiles(hostname: string, nameserver = '127.0.0.1'): TarFile[] {
  return [
    {
      name: 'etc/hosts',
      content: `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n`,
    },
    { name: 'etc/resolv.conf', content: `nameserver ${nameserver}\n` },
    { name: 'etc/hostname', content: `${hostname}\n` },
  ];
}

/** One archive from several: each one's end-of-archive blocks dropped but the last's. */
export function concatTars(tars: readonly Buffer[]): Buffer {
  const parts = tars.map((t, i) => (i === tars.length - 1 ? t : t.subarray(0, endOfEntries(t))));
  return Buffer.concat(parts);
}

/** Offset of the first all-zero header block (the end-of-archive marker) of a ustar/GNU archive. */
function endOfEntries(tar: Buffer): number {
  let off = 0;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) return off;
    const size = Number.parseInt(h.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
    off += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return tar.length;
}
