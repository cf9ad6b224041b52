import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { e2eProfilesDir } from '../support/profiles.js';
import { client, sandboxesLeft, type Stack, startStack } from '../support/stack.js';

// The `ebpf` probe through the whole stack: API (probe override) → worker → held sample (runc) →
// the tracer on the host (libbpf engine by default), scoped to the sandbox's cgroup → bpftrace
// record parser → the same tracker and rules. Each malicious sample is also run under strace in the same stack: verdicts must agree.
let stack: Stack;
let api: ReturnType<typeof client>;
/** Analyses this suite submitted (other suites may run sandboxes on the same engine meanwhile). */
const ids: string[] = [];

const BENIGN = ['hello', 'tmpwriter', 'shell-script'];
const MALICIOUS: [string, string][] = [
  ['shadow-reader', 'Password Hash File Read'],
  ['revshell', 'Outbound Socket Redirected to Standard Streams'],
  ['etc-writer', 'Dynamic Linker Preload Modified'],
  ['memfd-exec', 'Fileless Execution From Memory'],
  ['dropper', 'Drop and Execute'],
  ['stealth-implant', 'Process Masquerading as Kernel Thread'],
  ['escape-probe', 'Runtime Binary Overwrite Attempt'],
];
/** Every detonation is submitted up front (two run side by side). */
const runs = new Map<string, Promise<any>>();
const run = (name: string, probe: 'ebpf' | 'strace') => runs.get(`${name}/${probe}`)!;

beforeAll(async () => {
  stack = await startStack({ db: 3, workers: 1, env: { PROFILES_DIR: e2eProfilesDir('4s'), WORKER_CONCURRENCY: '2' } });
  api = client(stack);
  for (const name of BENIGN) runs.set(`${name}/ebpf`, detonate(`quarantine-samples/${name}:latest`, 'ebpf'));
  for (const [name] of MALICIOUS) {
    runs.set(`${name}/ebpf`, detonate(`quarantine-samples/${name}:latest`, 'ebpf'));
    runs.set(`${name}/strace`, detonate(`quarantine-samples/${name}:latest`, 'strace'));
  }
  for (const p of runs.values()) p.catch(() => undefined); // awaited (and failing) in the tests
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  expect(await sandboxesLeft(ids)).toEqual([]);
  expect(ids.length).toBeGreaterThan(0);
});

async function detonate(image: string, probe: 'ebpf' | 'strace') {
  const res = await api.submit({ image, profile: 'e2e', probe });
  if (res.status !== 202) throw new Error(`submission refused: ${res.status} ${res.text}`);
  ids.push(res.json.id);
  return api.waitDone(res.json.id, 300_000);
}

const rules = (a: { findings: { rule: string }[] }) => a.findings.map((f) => f.rule).sort();

describe('ebpf probe: benign samples stay clean', () => {
  it.each(BENIGN)('%s', async (name) => {
    const a = await run(name, 'ebpf');
    const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
    if (process.env.DEBUG_EBPF) console.log(JSON.stringify(a), JSON.stringify(report?.probe), JSON.stringify(report?.scoring));
    expect(a).toMatchObject({ status: 'completed', probe: 'ebpf', runtime: 'runc', verdict: 'clean' });
    expect(report.probe).toMatchObject({ name: 'ebpf', lost: 0, complete: true, unparsed: 0 });
    expect(report.probe.events).toBeGreaterThan(0);
    expect(report.exit.entrypoint).toMatchObject({ started: true, exitCode: 0 });
  }, 300_000);
});

describe('ebpf probe: malicious samples get the same verdict and findings as under strace', () => {
  it.each(MALICIOUS)('%s (%s)', async (name, rule) => {
    const e = await run(name, 'ebpf');
    const s = await run(name, 'strace');
    if (process.env.DEBUG_EBPF) console.log(name, e.verdict, rules(e), s.verdict, rules(s));
    expect(e).toMatchObject({ status: 'completed', probe: 'ebpf', runtime: 'runc' });
    expect(['suspicious', 'malicious']).toContain(e.verdict);
    expect(e.verdict).toBe(s.verdict);
    expect(rules(e)).toContain(rule);
    expect(rules(e)).toEqual(rules(s));
    const report = (await api.call('GET', `/v1/analyses/${e.id}/report`)).json;
    expect(report.findings[0].evidence[0]).toMatchObject({ v: 1, source: 'ebpf' });
    expect(report.probe).toMatchObject({ name: 'ebpf', lost: 0, complete: true });
  }, 300_000);
});

describe('ebpf probe leaves nothing behind', () => {
  it('no tracer process (libbpf engine, or bpftrace) is left running', () => {
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n');
    expect(ps.filter((l) => l.startsWith('bpftrace -f json') && l.trim().endsWith('trace.raw.bt'))).toEqual([]);
    // The loader's arguments: OBJECT CGROUP_DIR EXCLUDE_PID OFFSET. A tracer whose sandbox (cgroup)
    // is gone was left behind; tracers of other suites' live sandboxes are not this suite's concern.
    const orphans = ps.map((l) => l.trim().split(/\s+/)).filter((a) => a[0]?.endsWith('/quarantine-ebpf') && a[2] !== undefined && !existsSync(a[2]));
    expect(orphans).toEqual([]);
  });
});
