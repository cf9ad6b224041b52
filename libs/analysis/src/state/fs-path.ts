/**
 * Filesystem paths of path-only syscalls (unlink, rename, chmod, mkdir, …), resolved the way
 * the kernel resolves them: against the process cwd, or the directory fd of the `*at` variant.
 *
 * One table (`FS_PATH_SPECS`) says which argument is which path for each syscall; the state
 * tracker resolves it with its fd table and puts the result on `EvalContext.fsPath`, and the
 * Falco `fs.path.*` fields read it (or resolve the same table against the cwd alone when a
 * context was built without the tracker). Keeping both behind one table keeps them in step.
 *
 * Orientation follows Falco's libsinsp (sinsp_filtercheck_fspath): `name` for single-path calls;
 * for rename `source` = oldpath and `target` = newpath; for link and symlink `source` is the new
 * link (newpath / linkpath) and `target` what it refers to (oldpath / the symlink's contents);
 * for mount `source` = dev and `target` = dir.
 */
import type { FsPaths } from './context.js';
import { normalizePath, resolvePath } from './path.js';

export type { FsPaths };

/** Where one path comes from: its argument, and the argument holding the directory fd it is relative to. */
export interface FsPathSlot {
  arg: string;
  /** `*at` calls: the dirfd argument (AT_FDCWD or a directory fd). */
  dirArg?: string;
  /** Relative values are resolved against the directory of the resolved `source`, not the cwd (symlink contents). */
  relativeToSource?: true;
}

export interface FsPathSpec {
  name?: FsPathSlot;
  source?: FsPathSlot;
  target?: FsPathSlot;
  /** Not in Falco's fs.path table; Quarantine answers for it too (truncate, mknod, utimensat). */
  extension?: true;
}

const one = (arg: string, dirArg?: string, extension?: true): FsPathSpec => {
  const spec: FsPathSpec = { name: dirArg === undefined ? { arg } : { arg, dirArg } };
  if (extension) spec.extension = true;
  return spec;
};

/**
 * Path-only syscalls by event type, with our normalized argument names (strace parser; the same
 * names Falco uses where Falco has the syscall).
 */
export const FS_PATH_SPECS: ReadonlyMap<string, FsPathSpec> = new Map<string, FsPathSpec>([
  ['mkdir', one('path')],
  ['mkdirat', one('path', 'dirfd')],
  ['rmdir', one('path')],
  ['unlink', one('path')],
  ['unlinkat', one('name', 'dirfd')],
  ['chmod', one('filename')],
  ['fchmodat', one('filename', 'dirfd')],
  ['chown', one('path')],
  ['lchown', one('path')],
  ['fchownat', one('pathname', 'dirfd')],
  ['quotactl', one('special')],
  ['umount', one('name')],
  ['umount2', one('name')],
  ['truncate', one('path', undefined, true)],
  ['mknod', one('path', undefined, true)],
  ['mknodat', one('path', 'dirfd', true)],
  ['utimensat', one('path', 'dirfd', true)],
  ['rename', { source: { arg: 'oldpath' }, target: { arg: 'newpath' } }],
  ['renameat', { source: { arg: 'oldpath', dirArg: 'olddirfd' }, target: { arg: 'newpath', dirArg: 'newdirfd' } }],
  ['renameat2', { source: { arg: 'oldpath', dirArg: 'olddirfd' }, target: { arg: 'newpath', dirArg: 'newdirfd' } }],
  ['link', { source: { arg: 'newpath' }, target: { arg: 'oldpath' } }],
  ['linkat', { source: { arg: 'newpath', dirArg: 'newdir' }, target: { arg: 'oldpath', dirArg: 'olddir' } }],
  ['symlink', { source: { arg: 'linkpath' }, target: { arg: 'target', relativeToSource: true } }],
  ['symlinkat', { source: { arg: 'linkpath', dirArg: 'linkdirfd' }, target: { arg: 'target', relativeToSource: true } }],
  ['mount', { source: { arg: 'dev' }, target: { arg: 'dir' } }],
]);

export const AT_FDCWD = -100;

/**
 * Directory a relative path of `slot` is resolved against: the cwd when the call has no dirfd
 * (or AT_FDCWD), the directory of a known fd, or undefined when the fd is unknown.
 */
export type DirLookup = (dirArg: string | undefined) => string | undefined;

function dirName(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function resolveSlot(slot: FsPathSlot, raw: string, dirOf: DirLookup, source: string | undefined): string | undefined {
  if (raw.charCodeAt(0) === 47) return normalizePath(raw);
  if (slot.relativeToSource === true) return source === undefined ? undefined : resolvePath(dirName(source), raw);
  // An empty path only means something with AT_EMPTY_PATH on an `*at` call: the dirfd itself.
  if (raw === '' && slot.dirArg === undefined) return undefined;
  const base = dirOf(slot.dirArg);
  return base === undefined ? undefined : resolvePath(base, raw);
}

/**
 * Resolves the paths of one event of a path-only syscall (`spec` from FS_PATH_SPECS). Raw
 * values are the arguments as passed; resolved ones are absolute or absent (argument missing,
 * relative to an unknown fd). Never touches the host filesystem (lexical, like Falco).
 */
export function resolveFsPaths(spec: FsPathSpec, args: Readonly<Record<string, string | number>>, dirOf: DirLookup): FsPaths {
  const out: FsPaths = {};
  if (spec.name !== undefined) {
    const raw = args[spec.name.arg];
    if (typeof raw === 'string') {
      out.nameraw = raw;
      const r = resolveSlot(spec.name, raw, dirOf, undefined);
      if (r !== undefined) out.name = r;
    }
  }
  if (spec.source !== undefined) {
    const raw = args[spec.source.arg];
    if (typeof raw === 'string') {
      out.sourceraw = raw;
      const r = resolveSlot(spec.source, raw, dirOf, undefined);
      if (r !== undefined) out.source = r;
    }
  }
  if (spec.target !== undefined) {
    const raw = args[spec.target.arg];
    if (typeof raw === 'string') {
      out.targetraw = raw;
      const r = resolveSlot(spec.target, raw, dirOf, out.source);
      if (r !== undefined) out.target = r;
    }
  }
  return out;
}
