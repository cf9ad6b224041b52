/**
 * Base OS and release from os-release (`/etc/os-release`, else `/usr/lib/os-release`), and its
 * end-of-life date from a table shipped here (no download at run time). Dates are the end of the
 * last security support each vendor publishes for free (Debian: LTS; Ubuntu: standard support;
 * RHEL and rebuilds: maintenance support; Alpine: the branch's end; Amazon Linux, Fedora, openSUSE
 * Leap: the vendor's EOL), as published in the vendors' lifecycle pages; update the table as
 * releases come and go (docs/static-checks.md).
 */

export interface OsRelease {
  id: string;
  versionId?: string;
  name?: string;
  prettyName?: string;
  idLike?: string[];
}

/** Parses os-release (`KEY=value`, values optionally quoted; comments and blank lines ignored). */
export function parseOsRelease(text: string): OsRelease | undefined {
  const kv: Record<string, string> = {};
  for (const raw of text.slice(0, 16 * 1024).split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let v = line.slice(eq + 1).trim();
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) v = v.slice(1, -1);
    kv[line.slice(0, eq)] = v.replace(/\\(.)/g, '$1').slice(0, 200);
  }
  if (!kv.ID) return undefined;
  return {
    id: kv.ID.toLowerCase(),
    versionId: kv.VERSION_ID || undefined,
    name: kv.NAME || undefined,
    prettyName: kv.PRETTY_NAME || undefined,
    idLike: kv.ID_LIKE ? kv.ID_LIKE.toLowerCase().split(/\s+/).filter(Boolean) : undefined,
  };
}

/** Release → last day of security support (YYYY-MM-DD), per distribution id (os-release `ID`). */
export const EOL_TABLE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  debian: { '7': '2018-05-31', '8': '2020-06-30', '9': '2022-06-30', '10': '2024-06-30', '11': '2026-08-31', '12': '2028-06-30', '13': '2030-06-30' },
  ubuntu: {
    '14.04': '2019-04-30', '16.04': '2021-04-30', '18.04': '2023-05-31', '20.04': '2025-05-29', '22.04': '2027-06-01', '24.04': '2029-05-31',
    '20.10': '2021-07-22', '21.04': '2022-01-20', '21.10': '2022-07-14', '22.10': '2023-07-20', '23.04': '2024-01-25', '23.10': '2024-07-11', '24.10': '2025-07-10', '25.04': '2026-01-15',
  },
  alpine: {
    '3.10': '2021-05-01', '3.11': '2021-11-01', '3.12': '2022-05-01', '3.13': '2022-11-01', '3.14': '2023-05-01', '3.15': '2023-11-01', '3.16': '2024-05-23',
    '3.17': '2024-11-22', '3.18': '2025-05-09', '3.19': '2025-11-01', '3.20': '2026-04-01', '3.21': '2026-11-01', '3.22': '2027-05-01',
  },
  rhel: { '6': '2020-11-30', '7': '2024-06-30', '8': '2029-05-31', '9': '2032-05-31', '10': '2035-05-31' },
  centos: { '6': '2020-11-30', '7': '2024-06-30', '8': '2021-12-31', '9': '2027-05-31' },
  rocky: { '8': '2029-05-31', '9': '2032-05-31', '10': '2035-05-31' },
  almalinux: { '8': '2029-03-01', '9': '2032-05-31', '10': '2035-05-31' },
  ol: { '7': '2024-12-31', '8': '2029-07-31', '9': '2032-06-30' },
  amzn: { '2018.03': '2020-12-31', '2': '2026-06-30', '2023': '2029-06-30' },
  fedora: { '36': '2023-05-16', '37': '2023-12-05', '38': '2024-05-21', '39': '2024-11-26', '40': '2025-05-13', '41': '2025-12-15', '42': '2026-05-13' },
  'opensuse-leap': { '15.3': '2022-12-31', '15.4': '2023-12-31', '15.5': '2024-12-31', '15.6': '2026-04-30' },
};

/** The table key for a release: Debian and RHEL-likes by major, Alpine and openSUSE by major.minor, Ubuntu as is. */
export function releaseKey(id: string, versionId: string): string {
  const parts = versionId.split('.');
  switch (id) {
    case 'debian':
    case 'rhel':
    case 'centos':
    case 'rocky':
    case 'almalinux':
    case 'ol':
    case 'fedora':
      return parts[0];
    case 'alpine':
    case 'opensuse-leap':
      return parts.slice(0, 2).join('.');
    default:
      return versionId;
  }
}

export interface EolStatus {
  eol?: string;
  status: 'supported' | 'end-of-life' | 'unknown';
}

/** End-of-life status of a release on `today` (YYYY-MM-DD): past the table's date is end-of-life. */
export function eolStatus(os: OsRelease, today: string): EolStatus {
  const table = EOL_TABLE[os.id];
  if (!table || !os.versionId) return { status: 'unknown' };
  const eol = table[releaseKey(os.id, os.versionId)];
  if (!eol) return { status: 'unknown' };
  return { eol, status: today > eol ? 'end-of-life' : 'supported' };
}
