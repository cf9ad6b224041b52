import type { RawEvent } from '../events/event.js';
import { ChildAttribution } from './child-attribution.js';

const ev = (tid: number): RawEvent => ({ ts: 0, source: 'strace', type: 'execve', res: 0, rawres: 0, pid: tid, tid, args: {} });

describe('ChildAttribution', () => {
  it('names the parent of a task first seen while its parent is inside clone, on its first event only', () => {
    const c = new ChildAttribution();
    c.noteNew(10);
    c.cloneStarted(10, 'CLONE_VM|SIGCHLD');
    c.noteNew(11);
    const first = ev(11);
    c.annotate(first);
    expect(first.hints).toEqual({ parentPid: 10, cloneFlags: 'CLONE_VM|SIGCHLD' });
    const second = ev(11);
    c.annotate(second);
    expect(second.hints).toBeUndefined();
  });

  it('gives no parent when no clone is in flight, after the clone ended, or when the hint is dropped', () => {
    const c = new ChildAttribution();
    c.noteNew(10);
    c.noteNew(11);
    c.cloneStarted(10, 'SIGCHLD');
    c.cloneEnded(10);
    c.noteNew(12);
    c.cloneStarted(10, 'SIGCHLD');
    c.noteNew(13);
    c.dropHint(13);
    for (const t of [11, 12, 13]) { const e = ev(t); c.annotate(e); expect(e.hints).toBeUndefined(); }
    expect(c.isLive(13)).toBe(true);
    c.forget(13);
    expect(c.isLive(13)).toBe(false);
  });
});
