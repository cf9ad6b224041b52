import type { AnalysisView, FindingView } from './render.js';
import { findingLine } from './render.js';

const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Progress of one analysis while `--wait` polls it: on a terminal one line redrawn in place
 * (status, phase, elapsed / remaining window); otherwise a plain line per change, so CI logs stay
 * readable. Findings are printed as they become known. Written to stderr: stdout keeps the result.
 */
export class Progress {
  private frame = 0;
  private lastPlain = '';
  private readonly shown = new Set<string>();
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly windowSeconds: number | undefined,
    private readonly tty = Boolean(out.isTTY),
  ) {}

  update(a: AnalysisView, now = Date.now()): void {
    for (const f of a.findings) this.finding(f);
    const stage = a.status === 'running' ? a.phase : a.status;
    let timing = '';
    if (a.status === 'running' && a.phase === 'observing' && a.startedAt) {
      const elapsed = Math.max(0, Math.round((now - Date.parse(a.startedAt)) / 1000));
      timing = this.windowSeconds ? ` ${elapsed}s of ${this.windowSeconds}s window, ${Math.max(0, this.windowSeconds - elapsed)}s left` : ` ${elapsed}s`;
    }
    const text = `${a.id.slice(0, 8)} ${stage}${timing}`;
    if (this.tty) {
      this.out.write(`\r\x1b[2K${SPIN[this.frame++ % SPIN.length]} ${text}`);
      this.drawn = true;
    } else {
      const plain = `${a.id.slice(0, 8)} ${stage}`;
      if (plain !== this.lastPlain) this.out.write(`${plain}\n`);
      this.lastPlain = plain;
    }
  }

  private finding(f: FindingView): void {
    const key = `${f.rule}\u0000${f.count}`;
    if (this.shown.has(key)) return;
    this.shown.add(key);
    this.clear();
    this.out.write(`finding:${findingLine(f).slice(1)}\n`);
  }

  clear(): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
