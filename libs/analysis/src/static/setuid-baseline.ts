/**
 * The setuid / setgid files a base distribution ships (CIS 4.8: anything beyond them is a finding).
 * Paths are compared after merging /bin → /usr/bin and /sbin → /usr/sbin (usrmerge), so one
 * table serves old and new layouts.
 */
const DEBIAN = [
  '/usr/bin/passwd', '/usr/bin/su', '/usr/bin/mount', '/usr/bin/umount', '/usr/bin/chsh', '/usr/bin/chfn', '/usr/bin/gpasswd', '/usr/bin/newgrp',
  '/usr/bin/chage', '/usr/bin/expiry', '/usr/bin/wall', '/usr/bin/ssh-agent', '/usr/bin/crontab', '/usr/bin/write', '/usr/bin/bsd-write',
  '/usr/sbin/unix_chkpwd', '/usr/lib/openssh/ssh-keysign', '/usr/lib/dbus-1.0/dbus-daemon-launch-helper', '/usr/bin/ping', '/usr/bin/fusermount', '/usr/bin/fusermount3',
  '/usr/sbin/pam_extrausers_chkpwd', '/usr/bin/dotlockfile', '/usr/bin/mail-lock', '/usr/bin/mail-unlock', '/usr/bin/mail-touchlock', '/usr/sbin/postdrop', '/usr/sbin/postqueue',
];
const ALPINE = ['/usr/bin/bbsuid', '/usr/bin/passwd', '/usr/bin/su', '/usr/bin/gpasswd', '/usr/bin/newgrp', '/usr/bin/chage', '/usr/bin/expiry', '/usr/bin/chsh', '/usr/bin/chfn'];
const RHEL = [
  '/usr/bin/passwd', '/usr/bin/su', '/usr/bin/mount', '/usr/bin/umount', '/usr/bin/chage', '/usr/bin/gpasswd', '/usr/bin/newgrp', '/usr/bin/chfn', '/usr/bin/chsh',
  '/usr/bin/write', '/usr/bin/crontab', '/usr/bin/ssh-agent', '/usr/sbin/unix_chkpwd', '/usr/sbin/pam_timestamp_check', '/usr/sbin/userhelper',
  '/usr/libexec/utempter/utempter', '/usr/libexec/openssh/ssh-keysign', '/usr/libexec/dbus-1/dbus-daemon-launch-helper', '/usr/bin/fusermount', '/usr/bin/fusermount3',
];

export const SETUID_BASELINE: Readonly<Record<string, ReadonlySet<string>>> = {
  debian: new Set(DEBIAN),
  ubuntu: new Set(DEBIAN),
  alpine: new Set(ALPINE),
  rhel: new Set(RHEL),
  centos: new Set(RHEL),
  rocky: new Set(RHEL),
  almalinux: new Set(RHEL),
  ol: new Set(RHEL),
  fedora: new Set(RHEL),
  amzn: new Set(RHEL),
};

const UNION: ReadonlySet<string> = new Set([...DEBIAN, ...ALPINE, ...RHEL]);

/** `/bin/su` → `/usr/bin/su`, `/sbin/x` → `/usr/sbin/x`. */
export function usrMerged(path: string): string {
  if (path.startsWith('/bin/')) return `/usr${path}`;
  if (path.startsWith('/sbin/')) return `/usr${path}`;
  return path;
}

/**
 * The baseline for a distribution (os-release `ID`, then its `ID_LIKE`); the union of every table
 * when the distribution is unknown or the image has no os-release.
 */
export function setuidBaseline(id?: string, idLike: readonly string[] = []): ReadonlySet<string> {
  for (const d of [id, ...idLike]) if (d && SETUID_BASELINE[d]) return SETUID_BASELINE[d];
  return UNION;
}
