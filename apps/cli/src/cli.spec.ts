import { Writable } from 'node:stream';
import { EXIT } from './exit-codes.js';
import { verdictExitCode } from './commands.js';
import { Progress } from './progress.js';
import type { AnalysisView } from './render.js';
import { resolveSettings } from './settings.js';

function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  let buf = '';
  const w = new Writable({ write: (c, _e, cb) => ((buf += String(c)), cb()) });
  return { stream: w as unknown as NodeJS.WriteStream, text: () => buf };
}

const base: AnalysisView = {
  id: '6c1a3b0e-1d4b-4a38-9a3c-2f0e0b1b8f11', image: 'x', digest: null, profile: 'default', probe: 'ebpf', runtime: 'runc', status: 'running', phase: 'observing',
  verdict: null, score: null, findings: [], createdAt: '', startedAt: new Date(1_000_000).toISOString(), finishedAt: null, error: null, labels: {},
};

describe('exit codes', () => {
  it.each([
    ['completed', 'clean', undefined, EXIT.ok],
    ['completed', 'malicious', undefined, EXIT.ok],
    ['completed', 'suspicious', 'suspicious', EXIT.verdictGate],
    ['completed', 'malicious', 'suspicious', EXIT.verdictGate],
    ['completed', 'suspicious', 'malicious', EXIT.ok],
    ['completed', 'inconclusive', 'malicious', EXIT.inconclusive],
    ['completed', 'error', undefined, EXIT.failure],
    ['failed', 'error', 'malicious', EXIT.failure],
    ['rejected', null, undefined, EXIT.failure],
  ] as const)('%s / %s with --fail-on %s → %i', (status, verdict, failOn, code) => {
    expect(verdictExitCode({ status, verdict }, failOn)).toBe(code);
  });
});

describe('progress', () => {
  it('on a terminal redraws one line with the window elapsed and left, and prints findings above it', () => {
    const s = sink();
    const p = new Progress(s.stream, 30, true);
    p.update(base, 1_000_000 + 12_000);
    expect(s.text()).toBe('\r\x1b[2K⠋ 6c1a3b0e observing 12s of 30s window, 18s left');
    p.update({ ...base, findings: [{ rule: 'Stratum Mining Login', priority: 'critical', tags: ['T1496'], count: 1, points: 40 }] }, 1_000_000 + 13_000);
    expect(s.text()).toContain('\r\x1b[2Kfinding: CRITICAL      Stratum Mining Login  (+40 pts)  T1496\n');
  });

  it('elsewhere writes a plain line per stage change, no control characters', () => {
    const s = sink();
    const p = new Progress(s.stream, 30, false);
    for (const phase of ['observing', 'observing', 'collecting']) p.update({ ...base, phase }, 1_000_000 + 5000);
    p.update({ ...base, status: 'completed', phase: 'done' });
    expect(s.text()).toBe('6c1a3b0e observing\n6c1a3b0e collecting\n6c1a3b0e completed\n');
  });
});

describe('settings', () => {
  it('flags over environment over the default; empty variables count as unset; bad URLs are usage errors', () => {
    const env = { HOME: '/nonexistent', QUARANTINE_URL: 'http://api:3000/', QUARANTINE_API_KEY: 'qk_env' };
    expect(resolveSettings({}, env)).toEqual({ url: 'http://api:3000', apiKey: 'qk_env' });
    expect(resolveSettings({ url: 'https://q.example', apiKey: 'qk_flag' }, env)).toEqual({ url: 'https://q.example', apiKey: 'qk_flag' });
    expect(resolveSettings({}, { HOME: '/nonexistent', QUARANTINE_URL: '' })).toEqual({ url: 'http://127.0.0.1:3000', apiKey: undefined });
    expect(() => resolveSettings({ url: 'ftp://x' }, env)).toThrow(/must be http\(s\)/);
    expect(() => resolveSettings({ url: 'not a url' }, env)).toThrow(/is not a URL/);
  });
});
