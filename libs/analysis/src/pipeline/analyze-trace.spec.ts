import type { RawEvent } from '../events/event.js';
import type { RawEventSink, TraceParser } from '../probes/trace-parser.js';
import { emptyStats } from '../probes/trace-parser.js';
import { compileRules } from '../rules/index.js';
import { analyzeTrace, probeAlert } from './analyze-trace.js';

const sandbox = { containerId: 'c', containerName: 'n', image: 'i', imageRepository: 'i', imageTag: 'latest', imageDigest: '', privileged: false, mounts: [] };
const rules = compileRules([{ name: 'r.yaml', text: '- rule: Shadow open\n  desc: d\n  condition: evt.type = openat and fd.name = /etc/shadow\n  output: "shadow by %proc.name"\n  priority: ERROR\n  tags: [T1003.008]\n' }]);

/** A parser that emits the given events, one per line fed. */
function fake(events: RawEvent[]) {
  return (sink: RawEventSink): TraceParser => {
    let i = 0;
    return { source: 'falco', stats: emptyStats(), write: () => { const e = events[i++]; if (e) sink(e); }, end: () => {} };
  };
}

const exec: RawEvent = { ts: 1, source: 'falco', type: 'execve', res: 0, rawres: 0, pid: 10, tid: 10, args: { filename: '/bin/cat' }, proc: { args: ['cat', '/etc/shadow'] } };
const open = (hints?: RawEvent['hints']): RawEvent => ({
  ts: 2, source: 'falco', type: 'openat', res: 3, rawres: 3, pid: 10, tid: 10, args: { name: '/etc/shadow', flags: 'O_RDONLY', fd: 3 },
  fd: { num: 3, type: 'file', name: '/etc/shadow' }, ...(hints ? { hints } : {}),
});

async function run(events: RawEvent[]) {
  async function* lines() { for (let i = 0; i < events.length; i++) yield `${i}`; }
  return analyzeTrace({ lines: lines(), createParser: fake(events), tracker: { sandbox }, rules });
}

describe('probe alerts in analyzeTrace', () => {
  it('adds the sensor\'s own finding beside the rules\' matches on the same event', async () => {
    const out = await run([exec, open({ alert: 'Read sensitive file untrusted', alertPriority: 'warning', alertTags: 'T1555,container', alertOutput: 'cat read /etc/shadow', alertSource: 'falco' })]);
    expect(out.findings.map((f) => [f.rule, f.priority, f.count])).toEqual([
      ['Read sensitive file untrusted', 'warning', 1],
      ['Shadow open', 'error', 1],
    ]);
    const falco = out.findings[0]!;
    expect(falco.tags).toEqual(['T1555', 'container', 'source:falco']);
    expect(falco.output).toBe('cat read /etc/shadow');
    expect(falco.evidence[0]).toMatchObject({ type: 'openat', seq: 2, proc: { name: 'cat' } });
  });

  it('events without alert hints give only the rules\' findings', async () => {
    const out = await run([exec, open({ cwd: '/' })]);
    expect(out.findings.map((f) => f.rule)).toEqual(['Shadow open']);
  });

  it('maps unknown priorities to warning and tolerates missing parts', () => {
    expect(probeAlert({ alert: 'X', alertPriority: 'severe' })).toEqual({ rule: 'X', priority: 'warning', tags: [], output: 'X' });
    expect(probeAlert({ alert: 'Y', alertPriority: 'critical', alertTags: '', alertSource: 'tracee' })).toMatchObject({ priority: 'critical', tags: ['source:tracee'] });
  });
});
