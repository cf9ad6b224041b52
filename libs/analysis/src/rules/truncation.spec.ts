import type { RawEvent } from '../events/event.js';
import { analyzeTrace } from '../pipeline/analyze-trace.js';
import type { RawEventSink, TraceParser } from '../probes/trace-parser.js';
import { emptyStats } from '../probes/trace-parser.js';
import { scoreFindings } from '../scoring/scoring.js';
import { StateTracker } from '../state/state-tracker.js';
import { compileRules } from './index.js';
import { makeContext } from './testing.js';
import { truncationMaskOfField, truncationMaskOfFields, TRUNC_BIT } from './truncation.js';

const rule = (name: string, condition: string, priority = 'ERROR') =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: "o %proc.name"\n  priority: ${priority}\n`;
const RULES = [
  rule('Shadow open', 'evt.type in (open, openat) and fd.name = /etc/shadow'),
  rule('Cat anything', 'evt.type in (open, openat) and proc.name = cat'),
  rule('Miner cmdline', 'evt.type in (open, openat) and proc.cmdline contains "--donate-level"', 'CRITICAL'),
  rule('Debug env', 'evt.type = execve and proc.env contains "LD_PRELOAD="', 'WARNING'),
].join('');
const rules = compileRules([{ name: 'r.yaml', text: RULES }]);
const sandbox = { containerId: 'c', containerName: 'n', image: 'i', imageRepository: 'i', imageTag: 'latest', imageDigest: '', privileged: false, mounts: [] };

describe('which fields a truncated part feeds', () => {
  it('maps fields to parts by name, exactly (fd.name_changed and proc.exepath are not fd.name / proc.exe)', () => {
    expect(truncationMaskOfField('fd.name')).toBe(TRUNC_BIT.args);
    expect(truncationMaskOfField('fs.path.target')).toBe(TRUNC_BIT.args);
    expect(truncationMaskOfField('evt.arg.name')).toBe(TRUNC_BIT.args);
    expect(truncationMaskOfField('evt.arg[1]')).toBe(TRUNC_BIT.args);
    expect(truncationMaskOfField('evt.args')).toBe(TRUNC_BIT.args);
    expect(truncationMaskOfField('fd.name_changed')).toBe(0);
    expect(truncationMaskOfField('fd.num')).toBe(0);
    expect(truncationMaskOfField('evt.buffer')).toBe(0);
    expect(truncationMaskOfField('evt.arg.data')).toBe(0);
    expect(truncationMaskOfField('proc.exe')).toBe(TRUNC_BIT.cmdline);
    expect(truncationMaskOfField('proc.exepath')).toBe(TRUNC_BIT.exepath);
    expect(truncationMaskOfField('proc.aname[2]')).toBe(TRUNC_BIT.aexepath);
    expect(truncationMaskOfFields(['proc.pcmdline', 'proc.env', 'user.uid'])).toBe(TRUNC_BIT.pcmdline | TRUNC_BIT.env);
  });
});

describe('CompiledRuleSet.blindOnTruncated', () => {
  const ctx = (truncated: ('args' | 'cmdline')[] | undefined, name: string) =>
    makeContext({ event: { type: 'openat', ...(truncated ? { truncated } : {}) }, proc: { name: 'cat' }, fd: { name, type: 'file' } });

  it('lists the rules of the event type that read a truncated part and did not match', () => {
    const c = ctx(['args'], '/./././etc/sha');
    const matched = rules.evaluate(c);
    expect(matched.map((m) => m.rule)).toEqual(['Cat anything']);
    expect(rules.blindOnTruncated(c.event, matched)).toEqual([{ rule: 'Shadow open', priority: 'error', mask: TRUNC_BIT.args }]);
  });
  it('a rule that matched despite the cut is not blind; nothing is blind on an event without cuts', () => {
    const c = ctx(['args', 'cmdline'], '/etc/shadow');
    const matched = rules.evaluate(c);
    expect(rules.blindOnTruncated(c.event, matched).map((b) => b.rule)).toEqual(['Miner cmdline']);
    const plain = ctx(undefined, '/etc/sha');
    expect(rules.blindOnTruncated(plain.event, rules.evaluate(plain))).toEqual([]);
  });
});

describe('state tracker: truncation follows fds and processes', () => {
  const ev = (e: Partial<RawEvent> & { type: string }): RawEvent => ({ ts: 1, source: 'ebpf', res: 0, rawres: 0, pid: 10, tid: 10, args: {}, ...e });
  it('an fd opened with a cut path makes its later events truncated; an exec with cut argv marks the process and its children', () => {
    const t = new StateTracker({ sandbox, initial: { pid: 10 }, showWrapperEvents: true });
    t.push(ev({ type: 'execve', args: { filename: '/bin/cat' }, proc: { args: ['cat', 'x'] }, truncatedArgs: ['argv'] }));
    const open = t.push(ev({ type: 'openat', res: 3, args: { dirfd: -100, name: '/./././etc/sh', flags: 'O_RDONLY', fd: 3 }, truncatedArgs: ['name'] }))!;
    expect(open.event.truncated).toEqual(['args', 'cmdline']);
    const read = t.push(ev({ type: 'read', res: 5, args: { fd: 3 } }))!;
    expect(read.fd?.nameTruncated).toBe(true);
    expect(read.event.truncated).toEqual(['args', 'cmdline']);
    t.push(ev({ type: 'clone', res: 2, args: { flags: 'SIGCHLD' }, hints: { childPid: 11, cloneFlags: 'SIGCHLD' } }));
    const child = t.push(ev({ type: 'getpid', pid: 11, tid: 11, res: 2 }))!;
    expect(child.event.truncated).toEqual(['cmdline', 'pcmdline', 'acmdline']);
    const again = t.push(ev({ type: 'execve', pid: 11, tid: 11, args: { filename: '/bin/true' }, proc: { args: ['true'] } }))!;
    expect(again.event.truncated).toEqual(['pcmdline', 'acmdline']);
  });
  it('strace\'s whole annotation of the opened fd is used when its path argument was cut: the fd is not truncated', () => {
    const t = new StateTracker({ sandbox, initial: { pid: 10 }, showWrapperEvents: true });
    t.push(ev({ type: 'openat', source: 'strace', res: 3, args: { dirfd: -100, name: '/./././', flags: 'O_RDONLY', fd: 3 }, fd: { num: 3, type: 'file', name: '/etc/shadow' }, truncatedArgs: ['name'] }));
    const read = t.push(ev({ type: 'read', source: 'strace', res: 5, args: { fd: 3 } }))!;
    expect(read.fd?.name).toBe('/etc/shadow');
    expect(read.event.truncated).toBeUndefined();
  });
});

describe('a truncated event in a run: not evaluated, and inconclusive rather than clean', () => {
  function fake(events: RawEvent[]) {
    return (sink: RawEventSink): TraceParser => {
      let i = 0;
      return { source: 'ebpf', stats: emptyStats(), write: () => { const e = events[i++]; if (e) sink(e); }, end: () => {} };
    };
  }
  async function run(events: RawEvent[]) {
    async function* lines() { for (let i = 0; i < events.length; i++) yield `${i}`; }
    return analyzeTrace({ lines: lines(), createParser: fake(events), tracker: { sandbox, showWrapperEvents: true }, rules });
  }
  const open = (name: string, cut: boolean): RawEvent => ({
    ts: 2, source: 'ebpf', type: 'openat', res: 3, rawres: 3, pid: 10, tid: 10, args: { dirfd: -100, name, flags: 'O_RDONLY', fd: 3 },
    ...(cut ? { truncatedArgs: ['name'] } : {}),
  });

  it('reports the blind rule once with its event count, and scoring will not call the run clean', async () => {
    const out = await run([open('/./././et', true), open('/./././etc/sh', true), open('/etc/hosts', false)]);
    expect(out.findings).toEqual([]);
    expect(out.truncatedEvents).toBe(2);
    expect(out.truncationBlind).toEqual([{ rule: 'Shadow open', priority: 'error', events: 2, parts: ['args'], firstSeq: 1 }]);
    const score = scoreFindings(out.findings, undefined, { blindRules: out.truncationBlind });
    expect(score.verdict).toBe('inconclusive');
    expect(score.reasons.join('\n')).toContain('Shadow open');
  });
  it('the same run without cuts is clean', async () => {
    const out = await run([open('/etc/hosts', false)]);
    expect(out.truncationBlind).toEqual([]);
    expect(scoreFindings(out.findings, undefined, { blindRules: out.truncationBlind }).verdict).toBe('clean');
  });
});
