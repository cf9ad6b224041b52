import type { RawEvent } from '../events/event.js';
import { analyzeTrace } from '../pipeline/analyze-trace.js';
import { emptyStats, type RawEventSink, type TraceParser } from '../probes/trace-parser.js';
import { compileRules } from '../rules/index.js';

const sandbox = { containerId: 'c', containerName: 'n', image: 'registry.local/payments/api:1', imageRepository: 'registry.local/payments/api', imageTag: '1', imageDigest: '', privileged: false, mounts: [] };
const RULE = `
- rule: Secret Baked Into a Payments Image
  desc: d
  condition: evt.type = static and static.check = secret and static.cis = "4.10" and container.image.repository startswith "registry.local/payments/"
  output: "payments secret (%static.detail, %static.count item(s), %static.priority)"
  priority: CRITICAL
  tags: [static]
`;

async function run(results: { check: string; cis: string; priority: string; count: number; detail: string }[], probeTypes?: Set<string>) {
  const rules = compileRules([{ name: 'r.yaml', text: RULE }], probeTypes ? { capturedEventTypes: probeTypes } : {});
  const exec: RawEvent = { ts: 1, source: 'falco', type: 'execve', res: 0, rawres: 0, pid: 10, tid: 10, args: { filename: '/bin/true' }, proc: { args: ['true'] } };
  const createParser = (sink: RawEventSink): TraceParser => ({ source: 'falco', stats: emptyStats(), write: () => sink(exec), end: () => {} });
  async function* lines() { yield '0'; }
  return { rules, out: await analyzeTrace({ lines: lines(), createParser, tracker: { sandbox }, rules, staticResults: results }) };
}

describe('static results as events the rules can match', () => {
  it('a rule on static.* fields fires once per matching check, with its output', async () => {
    const { out } = await run([
      { check: 'root-user', cis: '4.1', priority: 'notice', count: 1, detail: 'no USER' },
      { check: 'secret', cis: '4.10', priority: 'error', count: 2, detail: '2 secret(s): AWS access key id in ENV X' },
    ]);
    expect(out.findings.map((f) => [f.rule, f.priority, f.count, f.output])).toEqual([
      ['Secret Baked Into a Payments Image', 'critical', 1, 'payments secret (2 secret(s): AWS access key id in ENV X, 2 item(s), error)'],
    ]);
    expect(out.findings[0].evidence[0]).toMatchObject({ source: 'static', type: 'static', args: { check: 'secret', cis: '4.10' } });
    expect(out.events).toBe(3);
  });

  it('no static result, no match; and a probe with a limited set of event types still evaluates static rules', async () => {
    expect((await run([])).out.findings).toEqual([]);
    const { rules, out } = await run([{ check: 'secret', cis: '4.10', priority: 'error', count: 1, detail: 'x' }], new Set(['execve']));
    expect(rules.notEvaluated).toEqual([]);
    expect(out.findings).toHaveLength(1);
  });
});

describe('run-level events after the entrypoint exited', () => {
  it('static results and sandbox observations are attributed to the entrypoint without a new, empty process in its place', async () => {
    const rules = compileRules([{ name: 'r.yaml', text: RULE }], {});
    const trace: RawEvent[] = [
      { ts: 1, source: 'strace', type: 'execve', res: 0, rawres: 0, pid: 10, tid: 10, args: { filename: '/usr/local/bin/hello' }, proc: { args: ['/usr/local/bin/hello'] } },
      { ts: 2, source: 'strace', type: 'exit_group', res: 0, rawres: 0, pid: 10, tid: 10, args: { status: 0 } },
      { ts: 3, source: 'strace', type: 'procexit', res: 0, rawres: 0, pid: 10, tid: 10, args: { status: 0, ret: 0 } },
    ];
    const createParser = (sink: RawEventSink): TraceParser => ({ source: 'strace', stats: emptyStats(), write: () => { for (const e of trace) sink(e); }, end: () => {} });
    async function* lines() { yield '0'; }
    const out = await analyzeTrace({
      lines: lines(), createParser, tracker: { sandbox }, rules,
      observations: [{ ts: 4, type: 'disk_limit_hit', count: 1 }],
      staticResults: [{ check: 'secret', cis: '4.10', priority: 'error', count: 1, detail: 'AWS access key id in ENV X' }],
    });
    expect(out.findings.map((f) => f.rule)).toEqual(['Secret Baked Into a Payments Image']);
    expect(out.findings[0].evidence[0]).toMatchObject({ pid: 10, proc: { exe: '/usr/local/bin/hello' } });
    const tens = out.summary.processes.filter((p) => p.pid === 10);
    expect(tens).toHaveLength(1);
    expect(tens[0]).toMatchObject({ exepath: '/usr/local/bin/hello' });
    expect(out.summary.entrypoint).toMatchObject({ started: true });
  });
});
