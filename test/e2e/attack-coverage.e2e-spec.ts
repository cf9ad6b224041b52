import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eProfilesDir } from '../support/profiles.js';
import { client, sandboxesLeft, type Stack, startStack } from '../support/stack.js';

// Issue 12, through the whole stack (API → worker → real Docker sandbox → probe → tracker → the
// shipped rules → scoring), under the default probe (ebpf) and strace:
//  - static-busybox samples performing ATT&CK techniques (persistence: cron, crontab,
//    authorized_keys, profile.d, a uid-0 account, timestomping; evasion: log clearing, LD_PRELOAD
//    exec, hidden dir, daemon masquerade, killing loggers, archiving /etc) come out non-clean with
//    the technique's rule among the findings;
//  - the false-positive image debian-admin-ops (useradd/groupadd, sed -i on its /etc config,
//    envsubst, update-ca-certificates, locale-gen, chown -R, apt cache cleanup, then a service with
//    a ps/pgrep/top/lsmod healthcheck loop) stays clean: listing processes (ps opens every
//    /proc/<pid>/environ) and modules is neither a memory read nor a module load.
let stack: Stack;
let api: ReturnType<typeof client>;
const ids: string[] = [];

const MALICIOUS: [string, string[]][] = [
  ['coverage-persist', ['Cron Job Written', 'SSH Authorized Keys Modified', 'Shell Startup File Modified', 'Account Database Modified',
    'Timestamps Forged', 'Scheduled Task Created With a Tool']],
  ['coverage-stealth', ['Log File Cleared', 'Library Preloaded Into an Executed Program', 'Hidden Directory Created in a Shared Location',
    'Program Masquerading as a System Daemon', 'Service Stopped or Agent Killed by Name', 'Logs Cleared With a Tool',
    'Sensitive Data Archived or Encrypted']],
];
const PROBES = ['ebpf', 'strace'] as const;
const runs = new Map<string, Promise<any>>();

beforeAll(async () => {
  const images = [...MALICIOUS.map(([n]) => n), 'debian-admin-ops'].map((n) => `quarantine-samples/${n}:latest`);
  const missing = images.filter((tag) => {
    try { execFileSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }); return false; } catch { return true; }
  });
  if (missing.length) throw new Error(`missing images (test/samples/build.sh, test/samples/debian/build.sh debian-admin-ops): ${missing.join(', ')}`);

  const profiles = e2eProfilesDir('4s');
  // The default profile's containment and limits with a window long enough for the admin work
  // to finish under strace and the healthcheck loop to run a few times.
  writeFileSync(join(profiles, 'admin-ops.yaml'), [
    'name: admin-ops', 'description: e2e — default containment and limits, 25 s window', 'runtime: runc', 'probe: ebpf',
    'capabilities: default', 'limits:', '  memory: 256m', '  pids: 128', '  cpus: 1', '  window: 25s', '  output: 16k', '  trace: 64m',
    'rules:', `  - ${join(process.cwd(), 'sandbox-profiles', 'rules', '*.yaml')}`, '',
  ].join('\n'));
  stack = await startStack({ db: 18, workers: 1, env: { PROFILES_DIR: profiles, WORKER_CONCURRENCY: '2' } });
  api = client(stack);
  // Everything is submitted up front; the long runs first so the short ones fill the other slot.
  for (const probe of PROBES) runs.set(`debian-admin-ops/${probe}`, detonate('debian-admin-ops', 'admin-ops', probe));
  for (const [name] of MALICIOUS) for (const probe of PROBES) runs.set(`${name}/${probe}`, detonate(name, 'e2e', probe));
  for (const p of runs.values()) p.catch(() => undefined);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  expect(await sandboxesLeft(ids)).toEqual([]);
});

async function detonate(name: string, profile: string, probe: string) {
  const res = await api.submit({ image: `quarantine-samples/${name}:latest`, profile, probe, labels: { suite: 'attack-coverage' } });
  if (res.status !== 202) throw new Error(`submission refused: ${res.status} ${res.text}`);
  ids.push(res.json.id);
  return api.waitDone(res.json.id, 180_000);
}

const findingsOf = async (id: string): Promise<{ rule: string; priority: string; output: string }[]> =>
  (await api.call('GET', `/v1/analyses/${id}/report`)).json.findings;

describe.each(PROBES)('ATT&CK technique samples come out non-clean (probe %s)', (probe) => {
  it.each(MALICIOUS)('%s', async (name, expected) => {
    const a = await runs.get(`${name}/${probe}`)!;
    expect({ status: a.status, probe: a.probe }).toEqual({ status: 'completed', probe });
    const found = (await findingsOf(a.id)).map((f) => f.rule);
    expect({ name, missing: expected.filter((r) => !found.includes(r)) }).toEqual({ name, missing: [] });
    expect(a.verdict).toBe('malicious');
  }, 200_000);
});

describe.each(PROBES)('ordinary admin work at start stays clean (probe %s)', (probe) => {
  it('debian-admin-ops: accounts, /etc config, CA, locale, chown, cache cleanup, ps/pgrep/top/lsmod healthchecks', async () => {
    const a = await runs.get(`debian-admin-ops/${probe}`)!;
    const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
    const findings: { rule: string; priority: string; output: string }[] = report.findings;
    const detail = findings.map((f) => `[${f.priority}] ${f.rule}: ${f.output}`).join('\n');
    expect({ status: a.status, windowExpired: report.exit.windowExpired, lost: report.probe.lost }).toEqual({ status: 'completed', windowExpired: true, lost: 0 });
    // the healthcheck ran (its process discovery is recorded as context) …
    expect(findings.map((f) => f.rule)).toContain('Process Discovery');
    // … and neither it nor lsmod looks like memory theft or a module load
    expect(findings.filter((f) => ['Other Process Memory Read', 'Kernel Module Load Attempt'].includes(f.rule))).toEqual([]);
    expect({ verdict: a.verdict, detail: a.verdict === 'clean' ? '' : detail }).toEqual({ verdict: 'clean', detail: '' });
  }, 200_000);
});
