import { DEFAULT_SCORING_POLICY, scoreFindings } from '../scoring/scoring.js';
import { runsAsRoot, runStaticChecks } from './checks.js';
import { staticFindings } from './findings.js';
import { eolStatus, parseOsRelease } from './os-eol.js';
import { DEFAULT_STATIC_SETTINGS, type ImageDescription, type ImageFiles, type StaticSettings } from './types.js';

const BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';
const BUSTER = 'PRETTY_NAME="Debian GNU/Linux 10 (buster)"\nVERSION_ID="10"\nID=debian\n';
const TODAY = '2026-12-06';

function files(over: Partial<ImageFiles> = {}): ImageFiles {
  return { entries: 100, bytes: 1000, setuid: [], worldWritableDirs: [], present: [], files: { '/usr/lib/os-release': BOOKWORM }, links: { '/etc/os-release': '../usr/lib/os-release' }, ...over };
}

/** A well-built image: non-root, healthcheck, bookworm, Debian's own setuid files, sticky /tmp. */
function clean(over: Partial<ImageDescription> = {}): ImageDescription {
  return {
    imageId: 'sha256:x',
    user: 'app',
    env: ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8'],
    labels: { 'org.opencontainers.image.revision': 'e3ff2839c048b25c084debe9b26995e310250568' },
    healthcheck: ['CMD-SHELL', 'true'],
    history: [{ createdBy: '/bin/sh -c #(nop) ADD file:9a4f77dfaba7fd2aa78186e4ef0e7486ad55101cefc1fabbc1b385601bb38920 in / ', emptyLayer: false }],
    sizeBytes: 80 * 1024 ** 2,
    layers: 3,
    files: files({
      setuid: [{ path: '/usr/bin/passwd', mode: 0o4755, uid: 0 }, { path: '/bin/su', mode: 0o4755, uid: 0 }, { path: '/usr/bin/chage', mode: 0o2755, uid: 0 }],
      worldWritableDirs: [{ path: '/tmp', mode: 0o1777, uid: 0 }, { path: '/run/postgresql', mode: 0o3777, uid: 0 }],
      present: ['/usr/bin/apt-get', '/usr/bin/bash', '/bin/sh'],
    }),
    ...over,
  };
}

const checks = (d: ImageDescription, s: Partial<StaticSettings> = {}) => runStaticChecks(d, { ...DEFAULT_STATIC_SETTINGS, ...s }, TODAY);
const ids = (d: ImageDescription, s: Partial<StaticSettings> = {}) => checks(d, s).results.map((r) => r.check);

describe('static checks', () => {
  it('a well-built image has no findings', () => {
    const out = checks(clean());
    expect(out.results).toEqual([]);
    expect(out.status).toBe('done');
    expect(out.os).toEqual({ id: 'debian', versionId: '12', name: 'Debian GNU/Linux 12 (bookworm)', eol: '2028-06-30', eolStatus: 'supported' });
  });

  it.each([
    ['no USER', '', true],
    ['USER root', 'root', true],
    ['USER 0', '0', true],
    ['USER 0:0', '0:0', true],
    ['USER root:app', 'root:app', true],
    ['USER 1000', '1000', false],
    ['USER app', 'app', false],
    ['USER toor (uid 0 in /etc/passwd)', 'toor', true],
  ])('CIS 4.1 %s → root %s', (_w, user, root) => {
    expect(runsAsRoot(user, 'root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n')).toBe(root);
    const found = checks(clean({ user, files: files({ files: { '/etc/passwd': 'toor:x:0:0::/:/bin/sh\n', '/usr/lib/os-release': BOOKWORM } }) })).results.find((r) => r.check === 'root-user');
    expect(found !== undefined).toBe(root);
    if (found) expect(found).toMatchObject({ cis: '4.1', priority: 'notice' });
  });

  it.each([
    ['none', undefined, true],
    ['HEALTHCHECK NONE', ['NONE'], true],
    ['CMD', ['CMD', 'curl', '-f', 'http://localhost/'], false],
  ])('CIS 4.6 healthcheck %s', (_w, healthcheck, flagged) => {
    expect(ids(clean({ healthcheck })).includes('no-healthcheck')).toBe(flagged);
  });

  it('CIS 4.10: a secret (error) and a possible one (warning), redacted', () => {
    const key = ['AKIA', 'Q3ZT7WJ2LMNR5XVB'].join('');
    const out = checks(clean({ env: [`AWS_ACCESS_KEY_ID=${key}`, 'POSTGRES_PASSWORD=example-password'] }));
    expect(out.results.map((r) => [r.check, r.cis, r.priority])).toEqual([['secret', '4.10', 'error'], ['possible-secret', '4.10', 'warning']]);
    expect(JSON.stringify(out)).not.toContain(key);
    expect(out.results[0].items).toEqual(['ENV AWS_ACCESS_KEY_ID: AWS access key id AKIA… (20 chars)']);
  });

  it.each([
    ['Debian baseline (usrmerge, /bin/su)', 'debian', [], false],
    ['a stray setuid binary', 'debian', ['/usr/local/bin/helper'], true],
    ['Alpine bbsuid', 'alpine', ['/bin/bbsuid'], false],
    ['Debian passwd on Alpine is fine (Alpine ships it too)', 'alpine', ['/usr/bin/passwd'], false],
    ['busybox setuid on Debian', 'debian', ['/bin/busybox'], true],
  ])('CIS 4.8 setuid: %s', (_w, distro, extra, flagged) => {
    const rel = distro === 'alpine' ? 'ID=alpine\nVERSION_ID=3.22.1\n' : BOOKWORM;
    const d = clean();
    d.files = files({ files: { '/usr/lib/os-release': rel }, setuid: [...(distro === 'debian' ? d.files!.setuid : []), ...extra.map((path) => ({ path, mode: 0o4755, uid: 0 }))] });
    const r = checks(d).results.find((x) => x.check === 'setuid');
    expect(r !== undefined).toBe(flagged);
    if (r) expect(r).toMatchObject({ cis: '4.8', count: extra.length, items: extra.map((p) => `${p} (4755 setuid, uid 0)`) });
  });

  it.each([
    ['/tmp 1777', '/tmp', 0o1777, false],
    ['/var/tmp 0777 (allowed path)', '/var/tmp', 0o777, false],
    ['/srv/data 0777', '/srv/data', 0o777, true],
    ['/srv/shared 1777 (sticky)', '/srv/shared', 0o1777, false],
    ['/app/uploads 0757', '/app/uploads', 0o757, true],
  ])('world-writable directory %s', (_w, path, mode, flagged) => {
    expect(ids(clean({ files: files({ worldWritableDirs: [{ path, mode, uid: 0 }] }) })).includes('world-writable-dir')).toBe(flagged);
  });

  it('package managers and shells only when the profile wants a minimal image (CIS 4.3)', () => {
    expect(ids(clean())).not.toContain('not-minimal');
    const r = checks(clean(), { minimal: true }).results.find((x) => x.check === 'not-minimal');
    expect(r).toMatchObject({ cis: '4.3', items: ['package manager apt-get', 'shell bash', 'shell sh'] });
    expect(ids(clean({ files: files({ present: ['/opt/app/bin/sh'] }) }), { minimal: true })).not.toContain('not-minimal');
  });

  it('image size and layer count against the profile limits', () => {
    expect(ids(clean(), { maxSizeMb: 100, maxLayers: 3 })).toEqual([]);
    expect(ids(clean(), { maxSizeMb: 50, maxLayers: 2 })).toEqual(['image-size', 'layer-count']);
  });

  it.each([
    ['bookworm', BOOKWORM, 'supported', undefined],
    ['buster (EOL 2024-06-30)', BUSTER, 'end-of-life', 'os-eol'],
    ['alpine 3.18 (EOL)', 'ID=alpine\nVERSION_ID=3.18.4\n', 'end-of-life', 'os-eol'],
    ['ubuntu 24.04', 'ID=ubuntu\nVERSION_ID="24.04"\n', 'supported', undefined],
    ['an unknown distribution', 'ID=wolfi\nVERSION_ID=20230201\n', 'unknown', 'os-eol-unknown'],
    ['debian testing (no VERSION_ID)', 'ID=debian\nPRETTY_NAME="Debian GNU/Linux trixie/sid"\n', 'unknown', 'os-eol-unknown'],
  ])('base OS %s', (_w, text, status, check) => {
    const out = checks(clean({ files: files({ files: { '/etc/os-release': text }, links: {} }) }));
    expect(out.os?.eolStatus).toBe(status);
    expect(out.results.map((r) => r.check)).toEqual(check ? [check] : []);
  });

  it('EOL is judged on the run date', () => {
    const os = parseOsRelease(BUSTER)!;
    expect(eolStatus(os, '2024-06-30').status).toBe('supported');
    expect(eolStatus(os, '2024-07-01').status).toBe('end-of-life');
  });

  it('no os-release (scratch, busybox): no OS finding', () => {
    expect(ids(clean({ files: files({ files: {}, links: {} }) }))).toEqual([]);
  });

  it('a filesystem that could not be read: config checks still run, the scan is partial', () => {
    const out = checks(clean({ user: '', files: undefined, filesError: 'export failed' }));
    expect(out.status).toBe('partial');
    expect(out.results.map((r) => r.check)).toEqual(['root-user', 'scan-incomplete']);
  });

  it('profile overrides: a priority, or off', () => {
    const out = checks(clean({ user: '', healthcheck: undefined }), { checks: { 'root-user': 'error', 'no-healthcheck': 'off' } });
    expect(out.results.map((r) => [r.check, r.priority])).toEqual([['root-user', 'error']]);
  });
});

describe('static scoring (bounded)', () => {
  const f = (priority: 'error' | 'warning' | 'notice' | 'informational', check: string = priority) =>
    staticFindings([{ check, cis: '4.1', title: `Static ${check}`, priority, count: 1, items: [], detail: '' }], 0)[0];
  const dyn = (points: 'error' | 'notice') => ({ rule: `dyn ${points}`, priority: points, tags: [], count: 1, firstSeq: 1, firstTs: 0, output: '', evidence: [] });

  it('static findings without an error-level one never make a run suspicious', () => {
    const r = scoreFindings([f('warning', 'a'), f('warning', 'b'), f('warning', 'c'), f('warning', 'd'), f('notice', 'e')], DEFAULT_SCORING_POLICY);
    expect(r.verdict).toBe('clean');
    expect(r.score).toBe(19);
    expect(r.reasons.join(' ')).toMatch(/static image findings capped/);
  });

  it('an error-level static finding (a secret) alone makes it suspicious, never malicious', () => {
    expect(scoreFindings([f('error')], DEFAULT_SCORING_POLICY)).toMatchObject({ verdict: 'suspicious', score: 20 });
    const withDyn = scoreFindings([dyn('error'), f('error', 'x'), f('error', 'y')], DEFAULT_SCORING_POLICY);
    expect(withDyn.score).toBe(59);
    expect(withDyn.verdict).toBe('suspicious');
  });

  it('informational static findings weigh nothing; static ones are recognised by tag', () => {
    expect(scoreFindings([f('informational')], DEFAULT_SCORING_POLICY)).toMatchObject({ verdict: 'clean', score: 0 });
    expect(scoreFindings([dyn('notice'), f('notice')], DEFAULT_SCORING_POLICY).score).toBe(12);
  });
});

describe('static points and rules the probe could not evaluate', () => {
  const f = (priority: 'error' | 'notice' | 'warning', check: string) => staticFindings([{ check, cis: '4.1', title: `Static ${check}`, priority, count: 1, items: [], detail: '' }], 0)[0];
  it('non-error static points do not make a blind notice rule decisive (the run stays clean)', () => {
    const blind = [{ rule: 'Unseen', priority: 'notice' as const }];
    expect(scoreFindings([f('warning', 'os-eol'), f('warning', 'possible-secret'), f('warning', 'world-writable-dir')], DEFAULT_SCORING_POLICY, { blindRules: blind })).toMatchObject({ verdict: 'clean', score: 15 });
    // With an error-level one the run is already suspicious.
    expect(scoreFindings([f('error', 'secret')], DEFAULT_SCORING_POLICY, { blindRules: blind }).verdict).toBe('suspicious');
  });
});
