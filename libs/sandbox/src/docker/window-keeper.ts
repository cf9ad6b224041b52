import type { WindowOutcome } from '../sandbox-runtime.js';
import { type ActivitySnapshot, type DormancyWatch, earliestWake } from './dormancy.js';

export interface WindowKeeperOptions {
  windowMs: number;
  /** The most the window may grow to while the sample only sleeps (≥ windowMs). */
  maxWindowMs: number;
  releasedAtMs: number;
  /** Undefined when the runtime gives no host view of the sample's tasks (gVisor). */
  watch?: DormancyWatch;
  /** Why there is no watch, for the report. */
  noWatchReason?: string;
  /** Ends the window (kills the sandbox). */
  end: () => void;
  /** Sampling period before the window ends (wake detection), and while it is extended. */
  sampleMs?: number;
  extendPollMs?: number;
}

/**
 * Ends the observation window, extending it while the sample only sleeps (docs/run-integrity.md):
 *
 *  - at the window's end the sandbox is read (DormancyWatch). Anything but "every task asleep,
 *    none woken during the window" ends the window as before (active, serving, waiting on
 *    descriptors, or periodic: a sleeper that woke and slept again, like cron);
 *  - a sandbox only sleeping gets more time, polled every `extendPollMs`, until it does something
 *    else (the extension then ends once it waits, serves or sleeps again; it exits on its own; or
 *    the maximum is reached);
 *  - when every sleeper's end is known to fall after the maximum (pause, a 600 s sleep), waiting
 *    is pointless: the window ends at once, dormant;
 *  - still only sleeping at the maximum: dormant at window end.
 */
export class WindowKeeper {
  private timer?: NodeJS.Timeout;
  private sampler?: NodeJS.Timeout;
  private busy: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private extended = false;
  private result?: Omit<WindowOutcome, 'windowSeconds' | 'maxWindowSeconds' | 'extendedMs' | 'endedBy'> & { endedAtMs: number };

  constructor(private readonly o: WindowKeeperOptions) {}

  start(): void {
    const sampleMs = this.o.sampleMs ?? 1000;
    if (this.o.watch) this.sampler = setInterval(() => void this.sample(false), sampleMs);
    const due = Math.max(0, this.o.releasedAtMs + this.o.windowMs - Date.now());
    this.timer = setTimeout(() => void this.atWindowEnd(), due);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.sampler);
  }

  /** What happened to the window, once the sandbox has exited (at `exitedAtMs`). */
  outcome(exitedAtMs: number, endedBy: WindowOutcome['endedBy']): WindowOutcome {
    const windowEnd = this.o.releasedAtMs + this.o.windowMs;
    const extendedUntil = this.result?.endedAtMs ?? exitedAtMs;
    const base = {
      windowSeconds: this.o.windowMs / 1000,
      maxWindowSeconds: this.o.maxWindowMs / 1000,
      extendedMs: this.extended ? Math.max(0, Math.round(extendedUntil - windowEnd)) : 0,
      endedBy,
    };
    if (this.result) {
      const { endedAtMs: _e, ...r } = this.result;
      return { ...base, ...r };
    }
    if (endedBy === 'budget' || endedBy === 'cancel') {
      return { ...base, activity: 'active', dormant: false, detail: endedBy === 'budget' ? 'stopped early: the trace budget was exhausted' : 'stopped: cancelled' };
    }
    if (this.extended) {
      // Extended, and the sample exited on its own before the extension ended.
      return { ...base, activity: 'exited', dormant: false, detail: 'the sample woke and exited during the extended window' };
    }
    return { ...base, activity: 'exited', dormant: false, detail: 'the sample exited within the window' };
  }

  private sample(durations = true): Promise<ActivitySnapshot | undefined> {
    const next = this.busy.then(() => (this.stopped ? undefined : this.o.watch?.sample(Date.now(), { durations }).catch(() => undefined)));
    this.busy = next.catch(() => undefined);
    return next;
  }

  private finish(activity: WindowOutcome['activity'], dormant: boolean, detail: string): void {
    if (this.result || this.stopped) return;
    this.result = { activity, dormant, detail, endedAtMs: Date.now() };
    clearTimeout(this.timer);
    clearInterval(this.sampler);
    this.o.end();
  }

  private async atWindowEnd(): Promise<void> {
    if (this.stopped) return;
    if (!this.o.watch) {
      this.finish('undetermined', false, this.o.noWatchReason ?? 'no host view of the sample\'s tasks');
      return;
    }
    await this.check(true);
  }

  /** One look at the sandbox at or after the window's end: end the window, or look again later. */
  private async check(first: boolean): Promise<void> {
    const snap = await this.sample();
    if (this.stopped || this.result) return;
    const watch = this.o.watch!;
    const now = Date.now();
    const maxEnd = this.o.releasedAtMs + this.o.maxWindowMs;
    const secs = (ms: number) => `${((ms - this.o.releasedAtMs) / 1000).toFixed(1)} s`;
    if (!snap) {
      this.finish('undetermined', false, 'the sandbox could not be read');
      return;
    }
    const woke = watch.woke;
    if (snap.activity === 'exited') {
      // Its exit ends the wait; look again in case the container lingers.
      if (now >= maxEnd) {
        this.finish('exited', false, 'no task of the sample left at the maximum window');
        return;
      }
    } else if (snap.activity === 'sleeping') {
      if (woke) {
        this.finish('periodic', false, `${woke} woke during the window and went back to sleep (periodic): ${snap.detail}`);
        return;
      }
      const wake = earliestWake(snap.tasks, this.o.releasedAtMs);
      if (wake !== undefined && wake > maxEnd) {
        const when = wake === Infinity ? 'until a signal' : `until ${secs(wake)} at the earliest`;
        this.finish('dormant', true, `${snap.detail}, sleeping ${when}, past the maximum window (${secs(maxEnd)}); ended at ${secs(now)}`);
        return;
      }
      if (now >= maxEnd) {
        this.finish('dormant', true, `${snap.detail}, still asleep at the maximum window (${secs(maxEnd)})`);
        return;
      }
    } else if (first || snap.activity !== 'active') {
      // Not dormant at the window's end, or done acting after waking in an extension.
      this.finish(snap.activity, false, snap.detail);
      return;
    } else if (now >= maxEnd) {
      this.finish('active', false, `${snap.detail}; the maximum window (${secs(maxEnd)}) was reached`);
      return;
    }
    this.extended = true;
    const delay = Math.min(this.o.extendPollMs ?? 500, Math.max(0, maxEnd - now));
    this.timer = setTimeout(() => void this.check(false), delay);
  }
}
