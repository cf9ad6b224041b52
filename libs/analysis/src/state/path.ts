/** POSIX path helpers for paths seen inside the sandbox (never touches the host filesystem). */

/** Normalises `.`, `..` and repeated slashes of an absolute path. */
export function normalizePath(p: string): string {
  if (p.indexOf('/.') < 0 && p.indexOf('//') < 0 && (p.length <= 1 || p.charCodeAt(p.length - 1) !== 47)) return p;
  const parts = p.split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') { out.pop(); continue; }
    out.push(part);
  }
  return '/' + out.join('/');
}

/** Resolves `p` against directory `base` (absolute paths ignore the base). */
export function resolvePath(base: string, p: string): string {
  if (p.charCodeAt(0) === 47) return normalizePath(p);
  if (p === '') return normalizePath(base);
  return normalizePath(base.endsWith('/') ? base + p : base + '/' + p);
}

export function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}
