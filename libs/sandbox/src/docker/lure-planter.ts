import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Lure } from '#analysis/lures/lure';
import { type LureFile, fileLures } from '../lures/lure-values.js';
import type { PathKind, SandboxFs } from './planter.js';
import { type TarFile, tarFiles } from './tar-files.js';

/**
 * Plants credential lures into a created (not yet started) container through the engine's archive
 * API: nothing runs inside the image, and nothing the image has is replaced — a path that exists
 * (file, directory or link) is skipped, and so is one whose parent would need a directory where the
 * image has a file. Missing directories are created owned by the lure's owner.
 */

const DIR_BIT = 2 ** 31; // Go os.ModeDir in X-Docker-Container-Path-Stat
const LINK_BIT = 2 ** 27; // Go os.ModeSymlink
const PASSWD_CAP = 1024 * 1024;

export interface ImageUser {
  uid: number;
  gid: number;
  /** Home directory, or undefined when the image's passwd does not name one we can use. */
  home?: string;
}


/** `X-Docker-Container-Path-Stat` of a path: a directory (symlinks to one count), something else, or missing. */
async function statPath(container: Docker.Container, path: string): Promise<PathKind> {
  const head = async (p: string): Promise<{ mode: number } | null | 'error'> => {
    try {
      const res = (await container.infoArchive({ path: p })) as unknown as Readable & { headers: Record<string, string> };
      res.resume();
      const h = res.headers['x-docker-container-path-stat'];
      return h ? (JSON.parse(Buffer.from(h, 'base64').toString('utf8')) as { mode: number }) : 'error';
    } catch (e) {
      return (e as { statusCode?: number }).statusCode === 404 ? null : 'error';
    }
  };
  const st = await head(path);
  if (st === 'error') return 'error';
  if (st === null) return 'missing';
  if (st.mode >= DIR_BIT) return 'dir';
  if ((st.mode & LINK_BIT) !== 0) {
    // The engine resolves symlinks in the parent part of a path: `link/.` is the link's target.
    const t = await head(`${path}/.`);
    return t !== null && t !== 'error' && t.mode >= DIR_BIT ? 'dir' : 'other';
  }
  return 'other';
}

/** Reads one small regular file out of a created container (a tar stream of one entry). */
export async function readContainerFile(container: Docker.Container, path: string, cap = PASSWD_CAP): Promise<Buffer | null> {
  let stream: Readable;
  try {
    stream = (await container.getArchive({ path })) as unknown as Readable;
  } catch {
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    chunks.push(c as Buffer);
    size += (c as Buffer).length;
    if (size > cap + 1024) {
      stream.destroy();
      return null;
    }
  }
  const tar = Buffer.concat(chunks);
  if (tar.length < 512 || tar[156] !== 0x30 /* '0' regular file */) return null;
  const len = Number.parseInt(tar.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim(), 8);
  if (!Number.isFinite(len) || len > cap || 512 + len > tar.length) return null;
  return tar.subarray(512, 512 + len);
}

/**
 * The image's user (`USER` as name, uid, `name:group` or `uid:gid`; empty = root) resolved against
 * its /etc/passwd. A user the passwd does not list has no usable home.
 */
export function resolveImageUser(user: string, passwd: string | null): ImageUser {
  const [u = '', g] = user.split(':');
  const rows = (passwd ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7);
  const who = u === '' ? (rows.find((f) => f[2] === '0') ?? ['root', 'x', '0', '0', '', '/root']) : rows.find((f) => (/^\d+$/.test(u) ? f[2] === u : f[0] === u));
  const uid = who ? Number(who[2]) : /^\d+$/.test(u) ? Number(u) : -1;
  let gid = who ? Number(who[3]) : 0;
  if (g !== undefined && /^\d+$/.test(g)) gid = Number(g);
  const home = who?.[5];
  if (uid < 0) return { uid: 0, gid: 0 };
  const usable = home && home.startsWith('/') && home !== '/' && !/nonexistent/.test(home) && !home.includes('..');
  return { uid, gid, home: usable ? home.replace(/\/+$/, '') : undefined };
}

/** The directories above a path, outermost first, without `/`: `/a/b/c` → `/a`, `/a/b`. */
function parentDirs(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const p of path.split('/').filter(Boolean).slice(0, -1)) {
    cur += `/${p}`;
    out.push(cur);
  }
  return out;
}

/**
 * Generates this analysis's file lures and decides which fit into the container: the tar entries to
 * put in (the caller sends them in its one `putArchive` with the sandbox's other files), and the
 * lures they plant (companion files that hold no secret — a key's .pub, the token's ca.crt — are
 * planted but not listed). Root (empty `USER`, `root`, `0`) has home /root without reading the passwd.
 */
/** The engine's archive API as a SandboxFs (a created container, not yet started). */
export function engineFs(container: Docker.Container): SandboxFs {
  return { stat: (p) => statPath(container, p), readFile: (p, cap) => readContainerFile(container, p, cap) };
}

export async function prepareFileLures(where: Docker.Container | SandboxFs, imageUser: string, hostname: string): Promise<{ entries: TarFile[]; lures: Lure[] }> {
  const fs: SandboxFs = 'stat' in where && 'readFile' in where ? where : engineFs(where);
  const isRoot = /^(|root|0)(:.*)?$/.test(imageUser);
  const passwd = isRoot ? null : await fs.readFile('/etc/passwd', PASSWD_CAP);
  const user = isRoot ? { ...resolveImageUser(imageUser, null), home: '/root' } : resolveImageUser(imageUser, passwd ? passwd.toString('utf8') : null);
  const files = (await fileLures(hostname))
    .map((f) => ({ ...f, abs: f.path.startsWith('~/') ? (user.home ? `${user.home}${f.path.slice(1)}` : undefined) : f.path }))
    .filter((f): f is LureFile & { abs: string } => f.abs !== undefined && f.abs.length < 100);
  const paths = new Set<string>();
  for (const f of files) {
    paths.add(f.abs);
    for (const a of parentDirs(f.abs)) paths.add(a);
  }
  // Level by level, each level's stats in parallel: under a missing directory everything is missing,
  // so a typical image needs ~10 stats (each one an engine round trip) rather than one per path.
  const kinds = new Map<string, PathKind>();
  const byDepth = new Map<number, string[]>();
  for (const p of paths) {
    const d = p.split('/').length - 1;
    byDepth.set(d, [...(byDepth.get(d) ?? []), p]);
  }
  for (const d of [...byDepth.keys()].sort((a, b) => a - b)) {
    const ask: string[] = [];
    for (const p of byDepth.get(d)!) {
      const parent = p.slice(0, p.lastIndexOf('/')) || '/';
      const pk = parent === '/' ? 'dir' : kinds.get(parent);
      if (pk === 'dir') ask.push(p);
      else kinds.set(p, pk === 'missing' ? 'missing' : 'error');
    }
    await Promise.all(ask.map(async (p) => kinds.set(p, await fs.stat(p))));
  }

  const entries: TarFile[] = [];
  const dirsAdded = new Set<string>();
  const planted: Lure[] = [];
  for (const f of files) {
    if (kinds.get(f.abs) !== 'missing') continue; // never replace what the image has
    const dirs = parentDirs(f.abs);
    if (dirs.some((d) => kinds.get(d) === 'other' || kinds.get(d) === 'error')) continue;
    const owner = f.owner === 'user' ? { uid: user.uid, gid: user.gid } : { uid: 0, gid: 0 };
    for (const d of dirs) {
      if (kinds.get(d) !== 'missing' || dirsAdded.has(d)) continue;
      dirsAdded.add(d);
      const rel = user.home && d.startsWith(`${user.home}/`) ? `~${d.slice(user.home.length)}` : d;
      const inHome = user.home !== undefined && (d === user.home || d.startsWith(`${user.home}/`));
      entries.push({ name: d.slice(1), content: '', dir: true, mode: f.dirModes?.[rel] ?? 0o755, ...(inHome ? { uid: user.uid, gid: user.gid } : { uid: 0, gid: 0 }) });
    }
    entries.push({ name: f.abs.slice(1), content: f.content, mode: f.mode, ...owner });
    if (f.secrets.length > 0) planted.push({ kind: f.kind, location: f.abs, secrets: f.secrets });
  }
  return { entries, lures: planted };
}

/** `prepareFileLures` and a `putArchive` of its entries (for callers with nothing else to put in). */
export async function plantFileLures(container: Docker.Container, imageUser: string, hostname: string): Promise<Lure[]> {
  const { entries, lures } = await prepareFileLures(container, imageUser, hostname);
  if (entries.length > 0) await container.putArchive(tarFiles(entries), { path: '/' });
  return lures;
}
