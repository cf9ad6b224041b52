/**
 * "As small a base image as possible" (CIS 4.3: do not install unnecessary packages): which
 * binaries in an image make it non-minimal. Only the usual binary directories are looked at.
 */
export const BIN_DIRS = ['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'] as const;

export const PACKAGE_MANAGERS = ['apt', 'apt-get', 'aptitude', 'dpkg', 'apk', 'yum', 'dnf', 'microdnf', 'rpm', 'zypper', 'pacman', 'emerge', 'pip', 'pip3', 'npm', 'yarn', 'gem'] as const;
export const SHELLS = ['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish', 'busybox'] as const;

const PM = new Set<string>(PACKAGE_MANAGERS);
const SH = new Set<string>(SHELLS);
const DIRS = new Set<string>(BIN_DIRS);

/** The files the reader keeps the (capped) content or link target of. */
export const INTERESTING_FILES: ReadonlySet<string> = new Set(['/etc/os-release', '/usr/lib/os-release', '/etc/passwd']);

function split(path: string): { dir: string; base: string } {
  const i = path.lastIndexOf('/');
  return { dir: i <= 0 ? '/' : path.slice(0, i), base: path.slice(i + 1) };
}

/** Whether the reader should record this path as present (a package manager or shell in a binary directory). */
export function interestingBinary(path: string): boolean {
  const { dir, base } = split(path);
  return DIRS.has(dir) && (PM.has(base) || SH.has(base));
}

/** Splits present binaries into package managers and shells (by name; several paths of one name count once). */
export function classifyPresent(present: readonly string[]): { packageManagers: string[]; shells: string[] } {
  const pm = new Set<string>();
  const sh = new Set<string>();
  for (const p of present) {
    const { dir, base } = split(p);
    if (!DIRS.has(dir)) continue;
    if (PM.has(base)) pm.add(base);
    else if (SH.has(base)) sh.add(base);
  }
  return { packageManagers: [...pm].sort(), shells: [...sh].sort() };
}
