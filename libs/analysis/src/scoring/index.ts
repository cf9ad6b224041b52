export {
  DEFAULT_SCORING_POLICY,
  DEFAULT_STATIC_WEIGHTS,
  FindingCollector,
  PRIORITY_ORDER,
  scoreFindings,
  type Contribution,
  type Finding,
  type ScoreResult,
  type ScoringPolicy,
  type TraceHealth,
  type Verdict,
} from './scoring.js';
