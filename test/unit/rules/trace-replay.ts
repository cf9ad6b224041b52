/**
 * Replays a captured strace trace through the real parser and state tracker, returning the
 * EvalContexts rules saw (snapshotted: the tracker's contexts are live views).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createStraceParser } from '../../../libs/analysis/src/probes/strace-parser.js';
import { parseText } from '../../../libs/analysis/src/probes/trace-parser.js';
import type { EvalContext, ProcessState, SandboxMetadata } from '../../../libs/analysis/src/state/context.js';
import { StateTracker } from '../../../libs/analysis/src/state/state-tracker.js';

function snapshot(p: ProcessState): ProcessState {
  return { ...p, parent: p.parent ? snapshot(p.parent) : undefined } as ProcessState;
}

export function replayStrace(text: string, sandbox: SandboxMetadata, initial?: { uid?: number; gid?: number }): EvalContext[] {
  const tracker = new StateTracker({ sandbox, initial });
  const out: EvalContext[] = [];
  for (const e of parseText(createStraceParser, text).events) {
    const c = tracker.push(e);
    if (c) out.push({ ...c, proc: snapshot(c.proc), fd: c.fd ? { ...c.fd } : undefined } as EvalContext);
  }
  return out;
}

export function readFixture(relative: string, base: string): string {
  return readFileSync(fileURLToPath(new URL(relative, base)), 'utf8');
}
