/**
 * Findings and verdicts.
 *
 * FindingCollector accumulates RuleMatches per rule (count, first event, first evidence
 * events, first output). scoreFindings turns findings into a deterministic, explainable score:
 *
 *   points(rule)  = weight + min(repeat.cap, ⌊weight / 2⌋, (count − 1) × repeat.perRepeat)
 *
 * Repeats add at most half the rule's own weight, so repetition never promotes a finding past its
 * priority: a notice repeated a hundred times (a service retrying its database) stays below the
 * suspicious threshold that a single warning reaches.
 * Context findings (rules tagged `context`: pure discovery such as uname, id, ps, env) add at
 * most `context.cap` points together; while the other findings score below the suspicious
 * threshold, context stops one point short of it. Discovery therefore never makes a verdict
 * (alone or with notices), yet still adds weight to real findings. The largest context
 * contributions are kept first (then by name).
 *   raw score     = Σ points over findings not on the allow-list
 *   score         = min(100, raw score)           (contributions sum to the raw score)
 *   share(rule)   = points / raw score
 *
 * Verdict: malicious if score ≥ thresholds.malicious, suspicious if ≥ thresholds.suspicious,
 * else clean; a trace that cannot be trusted (probe failed, events lost, trace budget exhausted,
 * sample never started, sample dormant at window end) is inconclusive unless it already reached malicious — a partial trace can prove presence of
 * bad behaviour, never its absence.
 */
import type { NormalizedEvent } from '../events/event.js';
import type { Priority, RuleMatch } from '../rules/types.js';

export const PRIORITY_ORDER: readonly Priority[] = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'];

export interface Finding {
  rule: string;
  priority: Priority;
  tags: string[];
  count: number;
  firstSeq: number;
  firstTs: number;
  /** Output of the first match. */
  output: string;
  /** The first N matching events, in order. */
  evidence: NormalizedEvent[];
}

export class FindingCollector {
  private readonly byRule = new Map<string, Finding>();

  constructor(private readonly maxEvidence = 5) {}

  add(match: RuleMatch, event: NormalizedEvent): void {
    let f = this.byRule.get(match.rule);
    if (!f) {
      f = { rule: match.rule, priority: match.priority, tags: [...match.tags], count: 0, firstSeq: event.seq, firstTs: event.ts, output: match.output, evidence: [] };
      this.byRule.set(match.rule, f);
    }
    f.count++;
    if (f.evidence.length < this.maxEvidence) f.evidence.push(event);
  }

  addAll(matches: readonly RuleMatch[], event: NormalizedEvent): void {
    for (const m of matches) this.add(m, event);
  }

  /** Findings ordered by first occurrence (seq), then rule name: stable for the same input. */
  findings(): Finding[] {
    return [...this.byRule.values()].sort((a, b) => a.firstSeq - b.firstSeq || cmp(a.rule, b.rule));
  }

  get size(): number {
    return this.byRule.size;
  }
}

export interface ScoringPolicy {
  /** Points for the first match of a rule, by priority. */
  weights: Record<Priority, number>;
  /** Extra points per additional match of the same rule, capped per rule. */
  repeat: { perRepeat: number; cap: number };
  /** Per-rule weight overrides (points for the first match), e.g. from a profile. */
  ruleWeights?: Record<string, number>;
  thresholds: { suspicious: number; malicious: number };
  /** Rules that never count (profile allow-list). */
  allow: string[];
  /**
   * Findings of rules carrying `tag` (context: pure discovery) add at most `cap` points in
   * total, and always less than the suspicious threshold. Absent: no cap.
   */
  context?: { tag: string; cap: number };
  /**
   * Static image findings (tag `static`, docs/static-checks.md): points from their own weights (no
   * repeat bonus), `cap` points together at most; without an error-or-worse static finding they stop
   * one point short of suspicious, and they never lift a score to malicious on their own.
   */
  static?: { tag: string; weights: Record<Priority, number>; cap: number };
}

/** Default points of static findings by priority: an error-level one (a secret) alone reaches suspicious (20). */
export const DEFAULT_STATIC_WEIGHTS: Record<Priority, number> = { emergency: 20, alert: 20, critical: 20, error: 20, warning: 5, notice: 2, informational: 0, debug: 0 };

export const DEFAULT_SCORING_POLICY: ScoringPolicy = {
  weights: { emergency: 100, alert: 80, critical: 60, error: 40, warning: 25, notice: 10, informational: 3, debug: 0 },
  repeat: { perRepeat: 1, cap: 10 },
  thresholds: { suspicious: 20, malicious: 60 },
  allow: [],
  context: { tag: 'context', cap: 9 },
  static: { tag: 'static', weights: DEFAULT_STATIC_WEIGHTS, cap: 20 },
};

export interface TraceHealth {
  /** The probe failed to start or crashed: events may be missing from the start or the end. */
  probeFailed?: boolean;
  /** Events the probe reported as lost or dropped. */
  eventsLost?: number;
  /** False when the sample never started (image failed, entrypoint missing…). */
  sampleStarted?: boolean;
  /** Why the simulated network's record cannot be trusted (simulator died, capture missing or cut), if so. */
  networkIncomplete?: string;
  /** The trace hit its byte budget and the sample was stopped: what it would have done next is unseen. */
  budgetExceeded?: boolean;
  /**
   * The sample was still only sleeping when the (extended) window closed: what it does after
   * waking is unseen (time-based evasion). The text says why, e.g. "dormant at window end".
   */
  dormant?: string;
  /** Rules not evaluated for this run (probe capabilities), shown in reasons. */
  notEvaluated?: number;
  /**
   * Rules the probe could not evaluate because it cannot see a field they need (paths, addresses…).
   * If one of them alone could have lifted a clean score to suspicious, `clean` cannot be claimed.
   */
  blindRules?: readonly { rule: string; priority: Priority }[];
}

export type Verdict = 'clean' | 'suspicious' | 'malicious' | 'inconclusive';

export interface Contribution {
  rule: string;
  priority: Priority;
  count: number;
  points: number;
  /** points / raw score, rounded to 4 decimals (0 when the raw score is 0). */
  share: number;
}

export interface ScoreResult {
  verdict: Verdict;
  score: number;
  /** Sum of the contributions' points before clamping to 100. */
  rawScore: number;
  contributions: Contribution[];
  reasons: string[];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Bounds static findings' points (in place): at most `static.cap` together; below the suspicious
 * threshold, without an error-or-worse static finding, one point short of it; never past
 * `malicious − 1` on their own. Trims the largest first (then by name). Returns a note when it trimmed.
 */
function boundStatic(statics: Contribution[], all: readonly Contribution[], policy: ScoringPolicy): string | undefined {
  const s = policy.static!;
  const full = statics.reduce((n, c) => n + c.points, 0);
  const rest = all.reduce((n, c) => n + c.points, 0) - full;
  const severe = statics.some((c) => PRIORITY_ORDER.indexOf(c.priority) <= PRIORITY_ORDER.indexOf('error') && c.points > 0);
  let cap = s.cap;
  if (!severe && rest < policy.thresholds.suspicious) cap = Math.min(cap, policy.thresholds.suspicious - 1 - rest);
  if (rest < policy.thresholds.malicious) cap = Math.min(cap, policy.thresholds.malicious - 1 - rest);
  cap = Math.max(0, cap);
  if (full <= cap) return undefined;
  capTogether(statics, cap);
  return `static image findings capped at ${cap} points together (were ${full}): static findings alone make a run suspicious only with an error-level one, and never malicious`;
}

export function scoreFindings(findings: readonly Finding[], policy: ScoringPolicy = DEFAULT_SCORING_POLICY, health: TraceHealth = {}): ScoreResult {
  const allow = new Set(policy.allow);
  const reasons: string[] = [];
  const contributions: Contribution[] = [];
  // Merge duplicates defensively (findings from several collectors).
  const merged = new Map<string, { rule: string; priority: Priority; count: number; context: boolean; static: boolean }>();
  const contextTag = policy.context?.tag;
  const staticTag = policy.static?.tag;
  for (const f of findings) {
    const m = merged.get(f.rule);
    if (m) m.count += f.count;
    else merged.set(f.rule, { rule: f.rule, priority: f.priority, count: f.count, context: contextTag !== undefined && (f.tags ?? []).includes(contextTag), static: staticTag !== undefined && (f.tags ?? []).includes(staticTag) });
  }
  const contextual: Contribution[] = [];
  const statics: Contribution[] = [];
  const allowed: string[] = [];
  for (const f of merged.values()) {
    if (f.count <= 0) continue;
    if (allow.has(f.rule)) {
      allowed.push(`${f.rule} (${f.count})`);
      continue;
    }
    if (f.static && policy.static) {
      const c: Contribution = { rule: f.rule, priority: f.priority, count: f.count, points: policy.ruleWeights?.[f.rule] ?? policy.static.weights[f.priority] ?? 0, share: 0 };
      contributions.push(c);
      statics.push(c);
      continue;
    }
    const base = policy.ruleWeights?.[f.rule] ?? policy.weights[f.priority] ?? 0;
    const bonus = Math.min(policy.repeat.cap, Math.floor(base / 2), Math.max(0, f.count - 1) * policy.repeat.perRepeat);
    const c: Contribution = { rule: f.rule, priority: f.priority, count: f.count, points: base + bonus, share: 0 };
    contributions.push(c);
    if (f.context) contextual.push(c);
  }
  const staticNote = policy.static && statics.length ? boundStatic(statics, contributions, policy) : undefined;
  let contextNote: string | undefined;
  if (policy.context && contextual.length) {
    const full = contextual.reduce((s, c) => s + c.points, 0);
    const rest = contributions.reduce((s, c) => s + c.points, 0) - full;
    // Below suspicious, context may explain but never convict: it stops one point short.
    const room = rest < policy.thresholds.suspicious ? Math.max(0, policy.thresholds.suspicious - 1 - rest) : Infinity;
    const cap = Math.max(0, Math.min(policy.context.cap, room));
    if (full > cap) {
      capTogether(contextual, cap);
      contextNote = `context findings (tag '${policy.context.tag}': discovery) capped at ${cap} points together (were ${full}); context alone never crosses the suspicious threshold`;
    }
  }
  contributions.sort((a, b) => b.points - a.points || PRIORITY_ORDER.indexOf(a.priority) - PRIORITY_ORDER.indexOf(b.priority) || cmp(a.rule, b.rule));
  const raw = contributions.reduce((s, c) => s + c.points, 0);
  for (const c of contributions) c.share = raw > 0 ? Math.round((c.points / raw) * 10000) / 10000 : 0;
  const score = Math.min(100, raw);

  reasons.push(
    contributions.length
      ? `score ${score} = sum of ${contributions.length} rule contribution${contributions.length > 1 ? 's' : ''} (${raw})${raw > 100 ? ' clamped to 100' : ''}; each = priority weight + ${policy.repeat.perRepeat} per repeat (max +${policy.repeat.cap}, and at most half the weight)`
      : 'no rule matched',
  );
  if (allowed.length) reasons.push(`allow-listed, not scored: ${allowed.sort().join(', ')}`);
  if (contextNote) reasons.push(contextNote);
  if (staticNote) reasons.push(staticNote);
  for (const c of contributions.slice(0, 5)) reasons.push(`${c.rule} [${c.priority}] ×${c.count}: ${c.points} points (${(c.share * 100).toFixed(1)}%)`);

  let verdict: Verdict = score >= policy.thresholds.malicious ? 'malicious' : score >= policy.thresholds.suspicious ? 'suspicious' : 'clean';
  reasons.push(`thresholds: suspicious ≥ ${policy.thresholds.suspicious}, malicious ≥ ${policy.thresholds.malicious}`);

  const untrusted: string[] = [];
  if (health.probeFailed) untrusted.push('the probe failed');
  if ((health.eventsLost ?? 0) > 0) untrusted.push(`${health.eventsLost} events were lost`);
  if (health.sampleStarted === false) untrusted.push('the sample never started');
  if (health.networkIncomplete) untrusted.push(health.networkIncomplete);
  if (health.budgetExceeded) untrusted.push('the trace budget was exhausted and the sample stopped early');
  if (health.dormant) untrusted.push(health.dormant);
  if (untrusted.length) {
    const why = untrusted.join(', ');
    if (verdict === 'malicious') reasons.push(`trace incomplete (${why}), but the malicious findings observed are conclusive on their own`);
    else {
      reasons.push(`inconclusive: ${why}; a ${verdict} score from a partial trace cannot rule out worse behaviour`);
      verdict = 'inconclusive';
    }
  }
  if ((health.notEvaluated ?? 0) > 0) reasons.push(`${health.notEvaluated} rule(s) could not be evaluated with this probe`);
  if (verdict === 'clean') {
    // Static points without an error-level static finding stop short of suspicious beside any behaviour
    // score below it (boundStatic), so an unseen rule is judged against the behaviour alone then.
    const severeStatic = statics.some((c) => PRIORITY_ORDER.indexOf(c.priority) <= PRIORITY_ORDER.indexOf('error') && c.points > 0);
    const base = severeStatic ? score : score - statics.reduce((n, c) => n + c.points, 0);
    const decisive = (health.blindRules ?? []).filter((r) => !allow.has(r.rule) && (policy.ruleWeights?.[r.rule] ?? policy.weights[r.priority] ?? 0) + base >= policy.thresholds.suspicious);
    if (decisive.length) {
      const names = decisive.map((r) => r.rule).sort();
      reasons.push(
        `inconclusive: the probe cannot see what ${decisive.length} rule(s) need, and any of them could have made this run suspicious or worse ` +
          `(${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}); clean cannot be claimed — use a probe that sees paths and addresses (strace, ebpf, gvisor)`,
      );
      verdict = 'inconclusive';
    }
  }
  return { verdict, score, rawScore: raw, contributions, reasons };
}

/** Caps a group of contributions at `cap` points together: the highest keep theirs first (ties by rule name). */
function capTogether(group: { points: number; rule: string }[], cap: number): void {
  group.sort((a, b) => b.points - a.points || cmp(a.rule, b.rule));
  let left = cap;
  for (const c of group) {
    const kept = Math.min(c.points, left);
    c.points = kept;
    left -= kept;
  }
}
