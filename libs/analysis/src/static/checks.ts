/**
 * The static image checks (issue 18), pure functions over an ImageDescription. Each check that
 * finds something yields one StaticCheckResult tagged with its CIS Docker Benchmark id (section 4,
 * "Container Images and Build File") or our own `Q.n` id. docs/static-checks.md lists them.
 */
import type { Priority } from '../rules/types.js';
import { classifyPresent } from './minimal.js';
import { eolStatus, type OsRelease, parseOsRelease } from './os-eol.js';
import { findSecrets } from './secrets.js';
import { setuidBaseline, usrMerged } from './setuid-baseline.js';
import type { ImageDescription, StaticCheckResult, StaticScan, StaticSettings } from './types.js';

export interface CheckSpec {
  id: string;
  cis: string;
  title: string;
  priority: Priority;
}

/** Every check, with its default priority (a profile's `static.checks` overrides it, or turns it off). */
export const STATIC_CHECKS = {
  rootUser: { id: 'root-user', cis: '4.1', title: 'Image Runs as Root', priority: 'notice' },
  noHealthcheck: { id: 'no-healthcheck', cis: '4.6', title: 'Image Has No HEALTHCHECK', priority: 'informational' },
  secret: { id: 'secret', cis: '4.10', title: 'Secret in Image Config or History', priority: 'error' },
  possibleSecret: { id: 'possible-secret', cis: '4.10', title: 'Possible Secret in Image Config or History', priority: 'warning' },
  setuid: { id: 'setuid', cis: '4.8', title: 'Setuid/Setgid File Beyond the Base Distribution', priority: 'notice' },
  worldWritable: { id: 'world-writable-dir', cis: 'Q.1', title: 'World-Writable Directory Without Sticky Bit', priority: 'notice' },
  notMinimal: { id: 'not-minimal', cis: '4.3', title: 'Package Manager or Shell in a Minimal Image', priority: 'notice' },
  imageSize: { id: 'image-size', cis: 'Q.2', title: 'Image Larger Than the Profile Allows', priority: 'notice' },
  layerCount: { id: 'layer-count', cis: 'Q.3', title: 'More Layers Than the Profile Allows', priority: 'notice' },
  osEol: { id: 'os-eol', cis: '4.4', title: 'Base OS Release Past End of Life', priority: 'warning' },
  osEolUnknown: { id: 'os-eol-unknown', cis: '4.4', title: 'Base OS Release With Unknown End of Life', priority: 'informational' },
  scanIncomplete: { id: 'scan-incomplete', cis: 'Q.4', title: 'Static Scan Incomplete', priority: 'informational' },
} as const satisfies Record<string, CheckSpec>;

export const STATIC_CHECK_IDS: readonly string[] = Object.values(STATIC_CHECKS).map((c) => c.id);

const MAX_ITEMS = 20;
const ALLOWED_WORLD_WRITABLE = new Set(['/tmp', '/var/tmp', '/dev/shm', '/run/lock', '/var/lock']);

/** `''`, `root`, `0`, `0:0`, `root:root` → root; a name is resolved through the image's /etc/passwd when it was read. */
export function runsAsRoot(user: string, passwd?: string): boolean {
  const u = user.trim();
  if (u === '') return true;
  const name = u.split(':')[0];
  if (name === 'root' || name === '0') return true;
  if (/^\d+$/.test(name)) return false;
  if (passwd === undefined) return false;
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return f[2] === '0';
  }
  return false;
}

function resolveLink(from: string, target: string): string {
  if (target.startsWith('/')) return target;
  const parts = from.split('/').slice(0, -1);
  for (const seg of target.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/') || '/';
}

/** os-release as the image has it: /etc/os-release (following one symlink), else /usr/lib/os-release. */
export function osReleaseOf(files: ImageDescription['files']): OsRelease | undefined {
  if (!files) return undefined;
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    const link = files.links[p];
    const text = files.files[p] ?? (link !== undefined ? files.files[resolveLink(p, link)] : undefined);
    if (text !== undefined) {
      const os = parseOsRelease(text);
      if (os) return os;
    }
  }
  return undefined;
}

function mode(m: number): string {
  return m.toString(8).padStart(4, '0');
}

/**
 * Runs every enabled check. `today` (YYYY-MM-DD) is the date end-of-life is judged on. Checks that
 * need the filesystem are skipped (and the scan said partial) when it could not be read.
 */
export function runStaticChecks(desc: ImageDescription, settings: StaticSettings, today: string): Pick<StaticScan, 'results' | 'os' | 'image' | 'status' | 'reason'> {
  const results: StaticCheckResult[] = [];
  const add = (spec: CheckSpec, items: string[], detail: string, count = items.length) => {
    const override = settings.checks[spec.id];
    if (override === 'off') return;
    results.push({ check: spec.id, cis: spec.cis, title: spec.title, priority: override ?? spec.priority, count: Math.max(1, count), items: items.slice(0, MAX_ITEMS), detail });
  };
  const files = desc.files;

  if (runsAsRoot(desc.user, files?.files['/etc/passwd'])) {
    add(STATIC_CHECKS.rootUser, [desc.user === '' ? 'no USER' : `USER ${desc.user}`], desc.user === '' ? 'the image sets no USER: it runs as root' : `USER ${desc.user} is root`);
  }
  if (!desc.healthcheck || desc.healthcheck.length === 0 || desc.healthcheck[0] === 'NONE') {
    add(STATIC_CHECKS.noHealthcheck, [desc.healthcheck?.[0] === 'NONE' ? 'HEALTHCHECK NONE' : 'no HEALTHCHECK'], 'the image declares no HEALTHCHECK');
  }
  const secrets = findSecrets(desc);
  const strong = secrets.filter((s) => s.level === 'secret');
  const weak = secrets.filter((s) => s.level === 'possible-secret');
  if (strong.length) add(STATIC_CHECKS.secret, strong.map((s) => `${s.where}: ${s.kind} ${s.redacted}`), `${strong.length} secret(s): ${[...new Set(strong.map((s) => `${s.kind} in ${s.where}`))].slice(0, 3).join('; ')}`);
  if (weak.length) add(STATIC_CHECKS.possibleSecret, weak.map((s) => `${s.where}: ${s.kind} ${s.redacted}`), `${weak.length} possible secret(s): ${[...new Set(weak.map((s) => `${s.kind} in ${s.where}`))].slice(0, 3).join('; ')}`);

  const sizeMb = desc.sizeBytes / 1024 ** 2;
  if (settings.maxSizeMb !== undefined && sizeMb > settings.maxSizeMb) {
    add(STATIC_CHECKS.imageSize, [`${sizeMb.toFixed(1)} MiB > ${settings.maxSizeMb} MiB`], `image is ${sizeMb.toFixed(1)} MiB, the profile allows ${settings.maxSizeMb} MiB (static.maxSizeMb)`);
  }
  if (settings.maxLayers !== undefined && desc.layers > settings.maxLayers) {
    add(STATIC_CHECKS.layerCount, [`${desc.layers} layers > ${settings.maxLayers}`], `image has ${desc.layers} layers, the profile allows ${settings.maxLayers} (static.maxLayers)`);
  }

  let os: StaticScan['os'];
  let status: StaticScan['status'] = 'done';
  let reason: string | undefined;
  if (!files) {
    status = 'partial';
    reason = desc.filesError ?? 'the image filesystem was not read';
    add(STATIC_CHECKS.scanIncomplete, [reason], `${reason}: setuid, world-writable, minimal-image and OS checks did not run`);
  } else {
    if (files.incomplete) {
      status = 'partial';
      reason = files.incomplete;
      add(STATIC_CHECKS.scanIncomplete, [files.incomplete], `filesystem scan ${files.incomplete}: its lists may be partial`);
    }
    const rel = osReleaseOf(files);
    const baseline = setuidBaseline(rel?.id, rel?.idLike);
    const stray = files.setuid.filter((f) => !baseline.has(usrMerged(f.path)));
    if (stray.length) {
      add(STATIC_CHECKS.setuid, stray.map((f) => `${f.path} (${mode(f.mode)}${f.mode & 0o4000 ? ' setuid' : ''}${f.mode & 0o2000 ? ' setgid' : ''}, uid ${f.uid})`), `${stray.length} setuid/setgid file(s) beyond ${rel?.id ?? 'any known'} base distribution's: ${stray.slice(0, 3).map((f) => f.path).join(', ')}`);
    }
    const ww = files.worldWritableDirs.filter((d) => (d.mode & 0o1000) === 0 && !ALLOWED_WORLD_WRITABLE.has(d.path));
    if (ww.length) add(STATIC_CHECKS.worldWritable, ww.map((d) => `${d.path} (${mode(d.mode)})`), `${ww.length} world-writable director${ww.length > 1 ? 'ies' : 'y'} without sticky bit: ${ww.slice(0, 3).map((d) => d.path).join(', ')}`);
    if (settings.minimal) {
      const { packageManagers, shells } = classifyPresent(files.present);
      if (packageManagers.length || shells.length) {
        const items = [...packageManagers.map((p) => `package manager ${p}`), ...shells.map((s) => `shell ${s}`)];
        add(STATIC_CHECKS.notMinimal, items, `the profile wants a minimal image (static.minimal); present: ${items.slice(0, 4).join(', ')}`);
      }
    }
    if (rel) {
      const e = eolStatus(rel, today);
      os = { id: rel.id, versionId: rel.versionId, name: rel.prettyName ?? rel.name, eol: e.eol, eolStatus: e.status };
      const label = `${rel.prettyName ?? rel.name ?? rel.id}${rel.versionId ? ` (${rel.id} ${rel.versionId})` : ''}`;
      if (e.status === 'end-of-life') add(STATIC_CHECKS.osEol, [`${label}: end of life ${e.eol}`], `base OS ${label} reached end of life on ${e.eol}`);
      else if (e.status === 'unknown') add(STATIC_CHECKS.osEolUnknown, [label], `base OS ${label}: end of life unknown (not in the shipped table)`);
    }
  }
  return {
    results,
    os,
    image: { sizeBytes: desc.sizeBytes, layers: desc.layers, user: desc.user, ...(files ? { entries: files.entries, bytes: files.bytes } : {}) },
    status,
    ...(reason ? { reason } : {}),
  };
}
