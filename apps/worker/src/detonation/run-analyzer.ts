import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Injectable, Logger } from '@nestjs/common';
import {
  type ProbeVisibility,
  type Contribution,
  DEFAULT_SCORING_POLICY,
  DEFAULT_STATIC_WEIGHTS,
  DOCKER_DEFAULT_CAPS,
  type Finding,
  type ProcessSummary,
  type SandboxObservation,
  type ScoringPolicy,
  analyzeTrace,
  parserFor,
  readLines,
  scoreFindings,
} from '#analysis';
import { lureIndex } from '#analysis/lures/lure-index';
import { staticFindings, staticCheckOf, STATIC_TAG } from '#analysis/static/findings';
import { SyscallRecorder, syscallArch } from '#analysis/hardening/syscall-set';
import { syscallCoverage } from '#sandbox/probes/syscall-coverage';
import { parseImageRef } from '#core/image/image-ref';
import type { SandboxProfile } from '#core/profiles/profile';
import type { FindingSummary } from '#core/storage/analysis.types';
import { ArtifactStore } from '#core/storage/artifact.store';
import { networkRunInput, networkSection } from './network-input.js';
import { RuleSetCache } from './rule-set.cache.js';
import { truncationNotEvaluated, truncationReasons } from './truncation-blind.js';
import { runVisibility } from './run-visibility.js';
import type { RunFacts, RunResult } from './run-facts.js';
import { integrityHealth, integrityObservations } from './run-integrity.js';

/** The run's facts as stored in the report (the profile by name; the trace lives in artifacts). */
export type StoredRun = Omit<RunFacts, 'profile' | 'tracePath'> & { profile: string; tracePath: undefined };

export interface PreviousScore {
  verdict: string;
  score: number;
  rulesVersion: string;
  finishedAt?: string;
}

export interface ProcessNode extends ProcessSummary {
  children: ProcessNode[];
}

/** The profile's scoring: default weights overridden per priority, its thresholds and allow-list. */
export function policyFor(profile: SandboxProfile): ScoringPolicy {
  return {
    ...DEFAULT_SCORING_POLICY,
    weights: { ...DEFAULT_SCORING_POLICY.weights, ...profile.scoring.weights },
    thresholds: {
      suspicious: profile.scoring.thresholds?.suspicious ?? DEFAULT_SCORING_POLICY.thresholds.suspicious,
      malicious: profile.scoring.thresholds?.malicious ?? DEFAULT_SCORING_POLICY.thresholds.malicious,
    },
    allow: [...DEFAULT_SCORING_POLICY.allow, ...profile.allow],
    // Static image findings: their own weights and cap (docs/static-checks.md).
    static: { tag: STATIC_TAG, weights: { ...DEFAULT_STATIC_WEIGHTS, ...profile.static?.weights }, cap: profile.static?.cap ?? DEFAULT_SCORING_POLICY.static!.cap },
  };
}

export function processTree(processes: ProcessSummary[]): ProcessNode[] {
  const nodes = new Map<number, ProcessNode>();
  for (const p of processes) nodes.set(p.pid, { ...p, children: [] });
  const roots: ProcessNode[] = [];
  for (const n of nodes.values()) {
    const parent = n.ppid ? nodes.get(n.ppid) : undefined;
    if (parent && parent !== n) parent.children.push(n);
    else roots.push(n);
  }
  return roots;
}

/**
 * Turns a finished run into a verdict: streams the raw trace through the probe's parser, the
 * state tracker and the profile's rules (writing normalized events as it goes), scores the
 * findings, and stores trace, events and report as gzip artifacts.
 */
@Injectable()
export class RunAnalyzer {
  private readonly logger = new Logger(RunAnalyzer.name);

  constructor(
    private readonly artifacts: ArtifactStore,
    private readonly ruleSets: RuleSetCache,
  ) {}

  /**
   * `from: 'run'` reads the fresh raw trace at facts.tracePath and stores it gzipped; `from:
   * 'stored'` re-reads the stored trace (rescore with the current rules, no new detonation).
   */
  async analyze(facts: RunFacts, probeVisibility: ProbeVisibility, opts: { from: 'run' | 'stored'; previous?: PreviousScore; keep?: Record<string, unknown> } = { from: 'run' }): Promise<RunResult> {
    const t0 = Date.now();
    const { analysisId, profile, image, exit, limitHits, probe } = facts;
    const visibility = runVisibility(probeVisibility, facts.target);
    const rules = await this.ruleSets.get(profile, visibility);
    const ref = parseImageRef(facts.imageRef);
    const nowNs = Date.now() * 1e6;
    const observations: SandboxObservation[] = [];
    if (limitHits.pidsLimitHits > 0) observations.push({ type: 'pids_limit_hit', ts: nowNs, count: limitHits.pidsLimitHits });
    if ((limitHits.diskLimitHits ?? 0) > 0) observations.push({ type: 'disk_limit_hit', ts: nowNs, count: limitHits.diskLimitHits, detail: `wrote ${limitHits.diskUsedBytes ?? '?'} of ${limitHits.diskLimitBytes ?? profile.limits.diskBytes} bytes (limits.disk ${profile.limits.diskBytes})` });
    if (limitHits.oomKills > 0 || exit.oomKilled) observations.push({ type: 'oom_kill', ts: nowNs, count: Math.max(1, limitHits.oomKills) });
    if (exit.windowExpired) observations.push({ type: 'window_timeout', ts: nowNs, detail: `${profile.limits.windowSeconds}s` });
    if (exit.budgetExceeded || probe.budgetExceeded) observations.push({ type: 'trace_budget_exceeded', ts: nowNs, detail: `budget ${profile.limits.traceBytes} bytes` });
    observations.push(...integrityObservations(exit, nowNs));

    const source = opts.from === 'run' ? createReadStream(facts.tracePath) : await this.artifacts.readStream(analysisId, 'trace.raw');
    if (!source) throw new Error(`analysis ${analysisId} has no stored trace`);
    const net = await networkRunInput(facts, opts.from, this.artifacts);
    const events = await this.artifacts.writeStream(analysisId, 'events.ndjson');
    const syscalls = new SyscallRecorder();
    const result = await analyzeTrace({
      lines: readLines(source),
      createParser: parserFor(probe.probe),
      tracker: {
        sandbox: {
          containerId: facts.sandbox.id,
          containerName: facts.sandbox.name,
          image: facts.imageRef,
          imageRepository: ref.name,
          imageTag: ref.tag ?? (ref.digest ? '' : 'latest'),
          imageDigest: image.digest,
          privileged: false,
          mounts: [],
          lures: lureIndex(facts.lures),
        },
        initial: {
          pid: facts.target.hostPid,
          vpid: facts.target.vpid,
          uid: facts.target.uid,
          gid: facts.target.gid,
          loginuid: facts.target.loginuid,
          cwd: image.workingDir || '/',
          env: image.env,
          capEffective: profile.capabilities === 'drop-all' ? [] : DOCKER_DEFAULT_CAPS,
          capPermitted: profile.capabilities === 'drop-all' ? [] : DOCKER_DEFAULT_CAPS,
        },
      },
      rules,
      observations,
      staticResults: facts.static?.results,
      eventsOut: events.stream,
      syscalls,
      ...(net.input ? { network: net.input } : {}),
    });
    await net.store?.();
    if (result.network?.captures.error && !net.incomplete) net.incomplete = `the network capture could not be read (${result.network.captures.error})`;
    events.stream.end();
    await events.done;
    if (opts.from === 'run') {
      // Keep the raw trace (gzip) so a stored run can be re-parsed and re-scored when rules change.
      await this.artifacts.writeFileFrom(analysisId, 'trace.raw', createReadStream(facts.tracePath));
      await rm(facts.tracePath, { force: true });
    }

    const policy = policyFor(profile);
    const notEvaluated = [...rules.notEvaluated, ...truncationNotEvaluated(result.truncationBlind)];
    const probeFailed = !probe.complete && !probe.budgetExceeded;
    const statics = staticFindings(facts.static?.results ?? [], nowNs);
    const score = scoreFindings([...result.findings, ...statics], policy, {
      probeFailed,
      eventsLost: probe.lost + result.parser.lost,
      sampleStarted: result.summary.entrypoint.started,
      networkIncomplete: net.incomplete,
      notEvaluated: notEvaluated.length,
      blindRules: notEvaluated.filter((r) => r.probeBlind),
      ...integrityHealth(exit, probe, result.parser.detail),
    });
    const byRule = new Map<string, Contribution>(score.contributions.map((c) => [c.rule, c]));
    const findings: FindingSummary[] = [...result.findings, ...statics].map((f: Finding) => {
      const check = staticCheckOf(f.tags);
      const r = check === undefined ? undefined : facts.static?.results.find((x) => x.check === check);
      return {
        rule: f.rule,
        priority: f.priority,
        tags: f.tags,
        count: f.count,
        points: byRule.get(f.rule)?.points ?? 0,
        share: byRule.get(f.rule)?.share ?? 0,
        output: f.output,
        firstSeq: f.firstSeq,
        ...(r ? { source: 'static' as const, check: r.check, cis: r.cis } : {}),
      };
    });
    const analyzeMs = Date.now() - t0;
    const report = {
      analysisId,
      image: facts.imageRef,
      digest: image.digest,
      imageId: image.imageId,
      profile: profile.name,
      runtime: facts.sandbox.runtime,
      verdict: score.verdict,
      score: score.score,
      rulesVersion: rules.version,
      scoring: { rawScore: score.rawScore, contributions: score.contributions, reasons: [...score.reasons, ...truncationReasons(result.truncationBlind)], thresholds: policy.thresholds, weights: policy.weights },
      findings: result.findings,
      processTree: processTree(result.summary.processes),
      processesTruncated: result.summary.processesTruncated,
      filesWritten: result.summary.filesWritten,
      filesWrittenTruncated: result.summary.filesWrittenTruncated,
      network: networkSection(facts.network?.mode ?? profile.network, result.summary.network, result.summary.networkTruncated, result.network, net.incomplete),
      networkTruncated: result.summary.networkTruncated,
      exit: { ...exit, entrypoint: result.summary.entrypoint },
      limits: { ...limitHits, configured: profile.limits },
      output: facts.output,
      probe: {
        name: probe.probe,
        events: result.events,
        records: result.parser.lines,
        unparsed: result.parser.unparsed,
        unparsedSamples: result.parser.unparsedSamples,
        lost: probe.lost + result.parser.lost,
        bytes: probe.bytes,
        complete: probe.complete,
        budgetExceeded: probe.budgetExceeded,
        startError: probe.startError ?? null,
        stopError: probe.stopError ?? null,
        parser: result.parser.detail,
        tracker: result.summary.stats,
        unavailableFields: [...visibility.unavailableFields],
        truncatedEvents: result.truncatedEvents,
      },
      // For seccomp profiles (docs/hardening.md); a run's own arch: samples run natively on the worker.
      syscalls: syscalls.record(probe.probe, syscallCoverage(probe.probe, syscalls.hasSet), syscallArch(process.arch) ?? 'x86_64'),
      rules: {
        version: rules.version,
        loaded: rules.ruleNames.length,
        notEvaluated,
        problems: rules.report.filter((r) => r.status !== 'loaded'),
      },
      sandbox: { ...facts.sandbox, capabilities: profile.capabilities, network: profile.network },
      // Lure values are fakes unique to this run, worthless elsewhere: shown to report readers (docs/lures.md).
      lures: facts.lures ?? [],
      // Static image checks (docs/static-checks.md): their own section; findings carry points from the scoring.
      static: facts.static ? { ...facts.static, results: facts.static.results.map((r) => ({ ...r, rule: statics.find((f) => staticCheckOf(f.tags) === r.check)?.rule, points: byRule.get(statics.find((f) => staticCheckOf(f.tags) === r.check)?.rule ?? '')?.points ?? 0 })) } : null,
      stimulation: facts.stimulation ?? null,
      timings: { ...facts.timings, analyzeMs, totalMs: Date.now() - Date.parse(facts.startedAt) },
      startedAt: facts.startedAt,
      finishedAt: opts.from === 'run' ? new Date().toISOString() : opts.previous?.finishedAt,
      rescoredAt: opts.from === 'stored' ? new Date().toISOString() : undefined,
      previous: opts.previous,
      ...opts.keep,
      // What a rescore needs to re-evaluate this run without detonating again.
      run: { ...facts, profile: profile.name, tracePath: undefined } satisfies StoredRun,
    };
    await this.artifacts.writeJson(analysisId, 'report.json', report);
    this.logger.log({ msg: 'analysis scored', analysisId, verdict: score.verdict, score: score.score, events: result.events, findings: findings.length, analyzeMs });
    return { verdict: score.verdict, score: score.score, findings, rulesVersion: rules.version, eventCount: result.events };
  }

  /** The stored run of a finished analysis, or null if it has none (failed before running). */
  async storedRun(analysisId: string): Promise<{ run: StoredRun; verdict: string; score: number; rulesVersion: string; finishedAt?: string; drift?: unknown; seccompUnderTest?: unknown } | null> {
    const report = await this.artifacts.readJson<{ run?: StoredRun; verdict: string; score: number; rulesVersion: string; finishedAt?: string; drift?: unknown; seccompUnderTest?: unknown }>(analysisId, 'report.json');
    if (!report?.run) return null;
    return { run: report.run, verdict: report.verdict, score: report.score, rulesVersion: report.rulesVersion, finishedAt: report.finishedAt, drift: report.drift, seccompUnderTest: report.seccompUnderTest };
  }
}
