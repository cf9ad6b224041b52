import type { Lure } from '#analysis/lures/lure';
import type { StaticScan } from '#analysis/static/types';
import type { SandboxProfile } from '#core/profiles/profile';
import type { FindingSummary, Verdict } from '#core/storage/analysis.types';
import type { ProbeStats } from '#sandbox/probes/probe';
import type { StimulationRecord } from '#sandbox/stimulation/stimulation';
import type { CapturedOutput, LimitHits, ResolvedImage, SandboxExit, SandboxTarget } from '#sandbox/sandbox-runtime';

/** Everything the sandbox run observed, handed to the analyzer. */
export interface RunFacts {
  analysisId: string;
  imageRef: string;
  image: ResolvedImage;
  profile: SandboxProfile;
  sandbox: { id: string; name: string; hostname: string; runtime: string };
  tracePath: string;
  target: SandboxTarget;
  exit: SandboxExit;
  limitHits: LimitHits;
  probe: ProbeStats;
  output: CapturedOutput;
  timings: { resolveMs: number; createMs: number; startMs: number; attachMs: number; runMs: number; collectMs: number };
  startedAt: string;
  /** Credential lures planted in this sandbox (issue 11), recorded with the analysis. */
  lures?: Lure[];
  /** What stimulation visited during the window (issue 11; report section `stimulation`). */
  stimulation?: StimulationRecord;
  /** The sandbox's network: none, or the simulated network and where its capture (NetCapture lines) was written. */
  network?: { mode: 'none' | 'simulated'; capturePath?: string; simulatorHealthy?: boolean; simulatorError?: string };
  /** Static image checks run before the sandbox started (docs/static-checks.md): kept with the run, so a rescore re-scores them. */
  static?: StaticScan;
}

export interface RunResult {
  verdict: Exclude<Verdict, 'error'>;
  score: number;
  findings: FindingSummary[];
  rulesVersion: string;
  eventCount: number;
}
