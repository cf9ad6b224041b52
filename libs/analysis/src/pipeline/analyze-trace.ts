import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { type RawEvent, type SandboxObservationType, STATIC_EVENT_TYPE } from '../events/event.js';
import type { NetView } from '../network/view.js';
import type { ProcessState } from '../state/context.js';
import { NetworkAnalysis, type NetworkAnalysisInput, type NetworkReport } from '../network/network-analysis.js';
import type { ParserStats, RawEventSink, TraceParser } from '../probes/trace-parser.js';
import { type CompiledRuleSet, type Priority, type RuleMatch, type TruncationBlind, truncatedParts } from '../rules/index.js';
import { type Finding, FindingCollector, PRIORITY_ORDER } from '../scoring/index.js';
import type { RunSummary } from '../state/run-summary.js';
import { StateTracker, type StateTrackerOptions } from '../state/state-tracker.js';
import type { SyscallRecorder } from '../hardening/syscall-set.js';


export interface SandboxObservation {
  type: SandboxObservationType;
  /** Nanoseconds since epoch. */
  ts: number;
  count?: number;
  detail?: string;
}

export interface AnalyzeTraceInput {
  /** Raw trace, line by line (a file or a gunzipped stored trace). */
  lines: AsyncIterable<string>;
  createParser: (sink: RawEventSink) => TraceParser;
  tracker: StateTrackerOptions;
  rules: CompiledRuleSet;
  observations?: readonly SandboxObservation[];
  /** Static image check results (docs/static-checks.md), shown to the rules as `source: static` events after the trace. */
  staticResults?: readonly { check: string; cis: string; priority: string; count: number; detail: string }[];
  /** Normalized events are written here as NDJSON, respecting back-pressure. */
  eventsOut?: Writable;
  maxEvidence?: number;
  /** The network simulator's capture and the run's lures: captures become `source: network` events. */
  network?: NetworkAnalysisInput;
  /** Collects the syscall names the sample called (hardening profiles, docs/hardening.md). */
  syscalls?: SyscallRecorder;
}

export interface AnalyzeTraceOutput {
  findings: Finding[];
  summary: RunSummary;
  parser: ParserStats;
  /** Events shown to rules (and written to eventsOut). */
  events: number;
  /** Timestamp (ns) of the last traced event, 0 if none. */
  lastTs: number;
  /** The report's network section, when a capture was given. */
  network?: NetworkReport;
  /** Events shown to rules with a part the probe truncated. */
  truncatedEvents: number;
  /** Rules that read a truncated part of an event and did not match it: not evaluated for this run. */
  truncationBlind: TruncationBlind[];
}

/**
 * A host sensor's own detection carried on a RawEvent (Falco alert, Tracee signature): `hints.alert`
 * is the sensor's rule name; `alertPriority` (our priority names), `alertTags` (comma-separated) and
 * `alertOutput` complete it. The sensor already decided the event matched, so it becomes a finding
 * beside whatever our own rules match on the same event.
 */
export function probeAlert(h: Readonly<Record<string, string | number | boolean>>): RuleMatch {
  const p = String(h.alertPriority ?? 'warning');
  const tags = typeof h.alertTags === 'string' && h.alertTags !== '' ? h.alertTags.split(',') : [];
  return {
    rule: String(h.alert),
    priority: (PRIORITY_ORDER as readonly string[]).includes(p) ? (p as Priority) : 'warning',
    tags: h.alertSource !== undefined ? [...tags, `source:${String(h.alertSource)}`] : tags,
    output: String(h.alertOutput ?? h.alert),
  };
}

/**
 * Raw trace → probe parser → state tracker → every matching rule → findings. One pass, constant
 * memory apart from the findings' evidence and the tracker's bounded state. The same function
 * re-scores a stored trace when rules change.
 */
export async function analyzeTrace(input: AnalyzeTraceInput): Promise<AnalyzeTraceOutput> {
  const tracker = new StateTracker(input.tracker);
  const collector = new FindingCollector(input.maxEvidence ?? 5);
  const out = input.eventsOut;
  let events = 0;
  let lastTs = 0;
  let lastPid = input.tracker.initial?.pid ?? 0;
  const net = input.network ? await NetworkAnalysis.load(input.network) : undefined;
  const emitNet = net === undefined ? undefined : (raw: RawEvent, proc: ProcessState, view: NetView) => {
    const ctx = tracker.pushDetached(raw, proc);
    ctx.net = view;
    events++;
    const matches = input.rules.evaluate(ctx);
    if (matches.length) collector.addAll(matches, ctx.event);
    out?.write(`${JSON.stringify(ctx.event)}\n`);
  };
  let truncatedEvents = 0;
  const blind = new Map<string, { t: TruncationBlind; mask: number }>();
  const onRaw: RawEventSink = (raw) => {
    if (net !== undefined) net.drain(raw.ts, emitNet!);
    const ctx = tracker.push(raw);
    if (!ctx) return;
    input.syscalls?.observe(raw);
    if (net !== undefined) net.observe(raw, ctx, tracker);
    events++;
    lastTs = ctx.event.ts;
    lastPid = ctx.event.pid;
    const matches = input.rules.evaluate(ctx);
    if (matches.length) collector.addAll(matches, ctx.event);
    if (ctx.event.truncated !== undefined) {
      truncatedEvents++;
      for (const b of input.rules.blindOnTruncated(ctx.event, matches)) {
        const have = blind.get(b.rule);
        if (have !== undefined) { have.t.events++; have.mask |= b.mask; }
        else blind.set(b.rule, { t: { rule: b.rule, priority: b.priority, events: 1, parts: [], firstSeq: ctx.event.seq }, mask: b.mask });
      }
    }
    if (raw.hints?.alert !== undefined) collector.add(probeAlert(raw.hints), ctx.event);
    out?.write(`${JSON.stringify(ctx.event)}\n`);
  };
  const parser = input.createParser(onRaw);
  for await (const line of input.lines) {
    parser.write(line);
    if (out?.writableNeedDrain) await once(out, 'drain');
  }
  parser.end();
  const set = parser.syscallSet?.();
  if (set !== undefined) input.syscalls?.observeSet(set);
  if (net !== undefined) {
    net.drain(Infinity, emitNet!);
    if (out?.writableNeedDrain) await once(out, 'drain');
  }
  const entryPid = input.tracker.initial?.pid ?? lastPid;
  // What the sandbox and the static checks observed is about the run, not an event of a process: it is
  // attributed to the entrypoint without touching the process state (pushing it as a probe event for a
  // pid that has exited would start a new, empty process in the tree).
  const detached: RawEventSink = (raw) => {
    const proc = tracker.process(raw.pid) ?? tracker.entryProcess;
    if (proc === undefined) return onRaw(raw);
    const ctx = tracker.pushDetached(raw, proc);
    events++;
    const matches = input.rules.evaluate(ctx);
    if (matches.length) collector.addAll(matches, ctx.event);
    out?.write(`${JSON.stringify(ctx.event)}\n`);
  };
  for (const o of input.observations ?? []) {
    const raw: RawEvent = {
      ts: o.ts,
      source: 'sandbox',
      type: o.type,
      res: 0,
      rawres: 0,
      pid: entryPid,
      tid: entryPid,
      args: { count: o.count ?? 1, ...(o.detail ? { detail: o.detail } : {}) },
    };
    detached(raw);
  }
  for (const r of input.staticResults ?? []) {
    detached({ ts: lastTs, source: 'static', type: STATIC_EVENT_TYPE, res: 0, rawres: 0, pid: entryPid, tid: entryPid, args: { check: r.check, cis: r.cis, priority: r.priority, count: r.count, detail: r.detail } });
  }
  if (out?.writableNeedDrain) await once(out, 'drain');
  const truncationBlind = [...blind.values()].map(({ t, mask }) => ({ ...t, parts: truncatedParts(mask) }));
  const result: AnalyzeTraceOutput = { findings: collector.findings(), summary: tracker.finish(), parser: parser.stats, events, lastTs, truncatedEvents, truncationBlind };
  if (net !== undefined) result.network = net.finish();
  return result;
}
