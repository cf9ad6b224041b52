import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eProfilesDir } from '../support/profiles.js';
import { client, sandboxesLeft, type Stack, startStack } from '../support/stack.js';

// Probe-level blind spots (issue 12), through the whole stack under the default probe (ebpf,
// libbpf engine) and strace, with samples written for them:
// - probe-padded-paths reaches /etc/shadow and /etc/ld.so.preload through 1.5 KB paths of "/."
//   (past bpftrace's old 127-byte cap): ebpf now reads paths whole (PATH_MAX), as strace does;
// - probe-long-cmdline hides `unset HISTFILE` behind 1,200 bytes of `sh -c` padding: ebpf reads
//   the argv whole and finds it; strace cuts argv strings at -s 1024, so the rule that reads the
//   command line is reported as not evaluated on that event, and the run is inconclusive, not clean;
// - probe-int80-shadow reads /etc/shadow through int 0x80 (and tries x32): both probes report
//   the 32-bit ABI, and the read is decoded under its name, so the path rule fires too;
// - a benign image under a profile of rules that need user.loginuid (test/fixtures/rules/
//   loginuid-rules.yaml, or the three upstream Falco files when FALCO_RULES_DIR names them) clears:
//   the sandbox supplies the login uid, so those rules are evaluated, not probe-blind.
let stack: Stack;
let api: ReturnType<typeof client>;
const ids: string[] = [];
const runs = new Map<string, Promise<any>>();
const SAMPLES = ['probe-padded-paths', 'probe-int80-shadow', 'probe-long-cmdline'];
const PROBES = ['ebpf', 'strace'] as const;
const UPSTREAM = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'];
const upstreamDir = process.env.FALCO_RULES_DIR;
const loginuidRules = upstreamDir && UPSTREAM.every((f) => existsSync(join(upstreamDir, f)))
  ? UPSTREAM.map((f) => join(upstreamDir, f))
  : [join(process.cwd(), 'test/fixtures/rules/loginuid-rules.yaml')];

beforeAll(async () => {
  const profiles = e2eProfilesDir('3s');
  writeFileSync(join(profiles, 'e2e-loginuid.yaml'), [
    'name: e2e-loginuid', 'limits:', '  memory: 64m', '  pids: 32', '  window: 3s', '  output: 4k', 'rules:', ...loginuidRules.map((f) => `  - ${f}`), '',
  ].join('\n'));
  stack = await startStack({ db: 22, workers: 1, env: { PROFILES_DIR: profiles, WORKER_CONCURRENCY: '2' } });
  api = client(stack);
  for (const s of SAMPLES) for (const p of PROBES) runs.set(`${s}/${p}`, detonate(`quarantine-samples/${s}:latest`, p));
  for (const p of PROBES) runs.set(`loginuid/${p}`, detonate('quarantine-samples/hello:latest', p, 'e2e-loginuid'));
  for (const p of runs.values()) p.catch(() => undefined);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  expect(await sandboxesLeft(ids)).toEqual([]);
});

async function detonate(image: string, probe: string, profile = 'e2e') {
  const res = await api.submit({ image, profile, probe });
  if (res.status !== 202) throw new Error(`submission refused: ${res.status} ${res.text}`);
  ids.push(res.json.id);
  const a = await api.waitDone(res.json.id, 240_000);
  const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
  // Probe findings only: the static image checks (runs as root, no HEALTHCHECK, …) are not what this suite is about.
  return { a, report, rules: (a.findings as { rule: string; source?: string }[]).filter((f) => f.source !== 'static').map((f) => f.rule).sort() };
}

describe('padded paths (past the old 127-byte cap)', () => {
  it.each(PROBES)('%s reads them whole: the shadow read and the ld.so.preload rename are both found', async (probe) => {
    const { a, report, rules } = await runs.get(`probe-padded-paths/${probe}`)!;
    expect(a).toMatchObject({ status: 'completed', probe });
    expect(report.output.stdout).toContain('1511-byte path');
    expect(['suspicious', 'malicious']).toContain(a.verdict);
    expect(rules).toEqual(expect.arrayContaining(['Password Hash File Read', 'Dynamic Linker Preload Modified']));
    expect(report.probe.truncatedEvents).toBe(0);
  }, 300_000);
});

describe('an argv string longer than the probe reads', () => {
  it('ebpf reads the whole argv: the history tampering in the command line is found', async () => {
    const { a, report, rules } = await runs.get('probe-long-cmdline/ebpf')!;
    expect(a).toMatchObject({ status: 'completed', probe: 'ebpf', verdict: 'suspicious' });
    expect(report.output.stdout).toContain('history off');
    expect(rules).toEqual(['Shell History Tampered']);
    expect(report.probe.truncatedEvents).toBe(0);
  }, 300_000);

  it('strace cuts it at -s 1024: the rule reading the command line is not evaluated, and the run is inconclusive', async () => {
    const { a, report, rules } = await runs.get('probe-long-cmdline/strace')!;
    expect(a).toMatchObject({ status: 'completed', probe: 'strace', verdict: 'inconclusive' });
    expect(report.output.stdout).toContain('history off');
    expect(rules).toEqual([]);
    expect(report.probe.truncatedEvents).toBeGreaterThan(0);
    const blind = report.rules.notEvaluated.find((n: { rule: string }) => n.rule === 'Shell History Tampered');
    expect(blind).toMatchObject({ probeBlind: true });
    expect(blind.reason).toMatch(/^not evaluated on \d+ event\(s\) whose .*cmdline.* the probe truncated/);
    expect(report.scoring.reasons.join('\n')).toMatch(/inconclusive: the probe cannot see what \d+ rule\(s\) need/);
    expect(report.scoring.reasons.join('\n')).toMatch(/the probe cut strings it read \(.*cmdline.*\): \d+ rule\(s\) could not be evaluated/);
  }, 300_000);
});

describe('32-bit syscall ABIs (int 0x80, x32)', () => {
  it.each(PROBES)('%s: the ABI switch is a finding and the int 0x80 open of /etc/shadow is decoded', async (probe) => {
    const { a, report, rules } = await runs.get(`probe-int80-shadow/${probe}`)!;
    expect(a).toMatchObject({ status: 'completed', probe });
    expect(report.output.stdout).toContain('through int 0x80');
    expect(['suspicious', 'malicious']).toContain(a.verdict);
    expect(rules).toEqual(expect.arrayContaining(['32-bit or x32 Syscall ABI Used', 'Password Hash File Read']));
    const abi = report.findings.find((f: { rule: string }) => f.rule === '32-bit or x32 Syscall ABI Used');
    expect(abi.evidence[0]).toMatchObject({ type: 'compat_syscall', source: probe, args: { abi: 'i386' } });
    expect(abi.output).toContain('i386');
  }, 300_000);
});

describe('rules that need user.loginuid', () => {
  it.each(PROBES)('%s: are evaluated with the login uid the sandbox read, and a benign image clears', async (probe) => {
    const { a, report, rules } = await runs.get(`loginuid/${probe}`)!;
    if (a.verdict !== 'clean') console.log(probe, JSON.stringify(report.scoring.reasons), JSON.stringify(a.findings));
    expect(a).toMatchObject({ status: 'completed', probe, verdict: 'clean' });
    expect(report.probe.unavailableFields).not.toContain('user.loginuid');
    expect(report.rules.notEvaluated.filter((n: { reason: string }) => n.reason.includes('user.loginuid'))).toEqual([]);
    const uid = report.run.target.loginuid;
    expect(typeof uid).toBe('number');
    if (!upstreamDir) {
      expect(rules).toEqual(['Entrypoint Login Uid']);
      expect(report.findings[0].output).toBe(`entrypoint ran (loginuid=${uid === 4294967295 ? -1 : uid})`);
    }
  }, 300_000);
});
