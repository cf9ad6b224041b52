import type { RawEvent } from '../events/event.js';

/**
 * Names the parent of a task whose first line comes before its parent's clone/fork/vfork returned
 * (text tracers interleave tasks): a task never seen before while some task is inside a clone is
 * that task's child. Its first event gets hints.parentPid and hints.cloneFlags. Used by the strace
 * and gVisor parsers; memory is bounded by the live tasks.
 */
export class ChildAttribution {
  /** Tasks seen and not yet exited (to spot a new child's first line). */
  private readonly live = new Set<number>();
  /** Tasks inside clone/fork/vfork → the call's flags. */
  private readonly cloning = new Map<number, string>();
  /** First-event hints for tasks seen before their parent's clone returned. */
  private readonly firstHint = new Map<number, { parentPid: number; flags: string }>();

  isLive(tid: number): boolean {
    return this.live.has(tid);
  }

  /** A task seen for the first time. */
  noteNew(tid: number): void {
    this.live.add(tid);
    if (this.cloning.size === 0) return;
    let parentPid = -1;
    let flags = '';
    for (const [p, f] of this.cloning) { parentPid = p; flags = f; }
    if (parentPid >= 0 && parentPid !== tid) this.firstHint.set(tid, { parentPid, flags });
  }

  cloneStarted(tid: number, flags: string): void {
    this.cloning.set(tid, flags);
  }

  cloneEnded(tid: number): void {
    this.cloning.delete(tid);
  }

  /** No clone is in flight any more (the trace ended, or every task was stopped). */
  clearCloning(): void {
    this.cloning.clear();
  }

  /** The task exited. */
  forget(tid: number): void {
    this.live.delete(tid);
    this.cloning.delete(tid);
    this.firstHint.delete(tid);
  }

  /** The task's parent is not part of the trace: give its first event no parent. */
  dropHint(tid: number): void {
    this.firstHint.delete(tid);
  }

  /** Adds the parent hints to the task's first event. */
  annotate(ev: RawEvent): void {
    if (this.firstHint.size === 0) return;
    const h = this.firstHint.get(ev.tid);
    if (h === undefined) return;
    this.firstHint.delete(ev.tid);
    const hints = ev.hints ?? (ev.hints = {});
    hints.parentPid = h.parentPid;
    hints.cloneFlags = h.flags;
  }
}
