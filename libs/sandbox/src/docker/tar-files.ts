/**
 * A minimal ustar writer for the few small files the sandbox puts into a container before it
 * starts (putArchive): regular files only, owned by root, no parent directory entries (the engine
 * creates missing parents 0755 and leaves existing ones as they are).
 */
export interface TarFile {
  /** Path inside the archive, relative (`etc/hosts`); at most 100 bytes. */
  name: string;
  content: Buffer | string;
  mode?: number;
}

const BLOCK = 512;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, mode: number, mtime: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length === 0 || nameBytes.length > 100) throw new Error(`tar: name "${name}" must be 1–100 bytes`);
  const h = Buffer.alloc(BLOCK, 0);
  nameBytes.copy(h, 0);
  h.write(octal(mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  h.write('0', 156, 'ascii'); // regular file
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
    const body = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content;
    parts.push(header(f.name, body.length, f.mode ?? 0o644, mtime), body);
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
