import { stat } from 'node:fs/promises';

/**
 * Watches a probe's output file and fires once when it grows past the budget, so a sample cannot
 * fill the disk through its trace. Every probe session uses one (the worker kills the sandbox).
 */
export class TraceBudget {
  private readonly callbacks: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private hit = false;

  constructor(
    private readonly path: string,
    private readonly bytes: number,
    intervalMs = 250,
  ) {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  get exceeded(): boolean {
    return this.hit;
  }

  onExceeded(cb: () => void): void {
    this.callbacks.push(cb);
    if (this.hit) cb();
  }

  /** Checks now; true once the budget has been exceeded. */
  async check(): Promise<boolean> {
    if (this.hit) return true;
    const s = await stat(this.path).catch(() => undefined);
    if (s && s.size > this.bytes) {
      this.hit = true;
      for (const cb of this.callbacks) cb();
    }
    return this.hit;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
