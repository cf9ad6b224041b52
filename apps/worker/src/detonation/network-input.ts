import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { NetworkAnalysisInput, NetworkReport, NetworkAttempt } from '#analysis';
import type { ArtifactStore } from '#core/storage/artifact.store';
import type { RunFacts } from './run-facts.js';

/** What the analyzer passes to analyzeTrace for the simulated network, and how to keep the capture. */
export interface NetworkRunInput {
  input?: NetworkAnalysisInput;
  /** Stores the capture with the analysis (gzip artifact `network.ndjson`) so a rescore can replay it. */
  store?: () => Promise<void>;
  /** Why the network record cannot be trusted (the verdict becomes inconclusive unless malicious). */
  incomplete?: string;
}

/**
 * The run's capture and lures as analyzeTrace input: the fresh capture file for a run, the stored
 * artifact for a rescore. `network: none` (or no network facts) → nothing.
 */
export async function networkRunInput(facts: RunFacts, from: 'run' | 'stored', artifacts: ArtifactStore): Promise<NetworkRunInput> {
  const n = facts.network;
  if (n?.mode !== 'simulated') return {};
  const lures = facts.lures ?? [];
  const problems: string[] = [];
  if (n.simulatorHealthy === false) problems.push(`the network simulator failed${n.simulatorError ? ` (${n.simulatorError.slice(0, 200)})` : ''}`);
  let out: NetworkRunInput = {};
  if (from === 'run') {
    const path = n.capturePath;
    const ok = path ? await stat(path).then((s) => s.isFile(), () => false) : false;
    if (!path || !ok) problems.push('the network capture is missing');
    else {
      // Stored gzipped with the analysis (a rescore replays it); the raw capture is then removed like the raw trace.
      const store = async () => {
        await artifacts.writeFileFrom(facts.analysisId, 'network.ndjson', createReadStream(path));
        await rm(path, { force: true });
      };
      out = { input: { capture: createReadStream(path), lures }, store };
    }
  } else {
    const stored = await artifacts.readStream(facts.analysisId, 'network.ndjson');
    if (!stored) problems.push('the network capture was not stored');
    else out = { input: { capture: stored, lures } };
  }
  if (problems.length) out.incomplete = problems.join(', ');
  return out;
}

/** The report's `network` section: the probe's connection attempts plus, under the simulated network, what the simulator saw. */
export function networkSection(mode: string, connections: NetworkAttempt[], connectionsTruncated: number, report: NetworkReport | undefined, incomplete: string | undefined) {
  return {
    mode,
    connections,
    connectionsTruncated,
    ...(incomplete ? { incomplete } : {}),
    ...(report ?? {}),
  };
}
