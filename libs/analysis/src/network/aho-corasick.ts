/**
 * Aho–Corasick over bytes: every occurrence of any of a set of byte patterns in one pass,
 * O(text + patterns + matches). Used to find credential-lure secrets (and their encodings) in
 * captured traffic, which is binary: matching is byte-exact (no Unicode segmentation or
 * normalisation, which the npm Aho–Corasick packages apply to strings).
 */
export class ByteAhoCorasick<T> {
  private readonly next: Map<number, number>[] = [new Map()];
  private readonly fail: number[] = [0];
  /** Patterns ending at each node (own and, after build, those reachable by failure links). */
  private readonly out: number[][] = [[]];
  private readonly data: T[] = [];

  constructor(patterns: readonly { bytes: Uint8Array; data: T }[]) {
    for (const p of patterns) {
      if (p.bytes.length === 0) continue;
      let s = 0;
      for (const b of p.bytes) {
        let t = this.next[s]!.get(b);
        if (t === undefined) {
          t = this.next.length;
          this.next.push(new Map());
          this.fail.push(0);
          this.out.push([]);
          this.next[s]!.set(b, t);
        }
        s = t;
      }
      this.out[s]!.push(this.data.length);
      this.data.push(p.data);
    }
    // Breadth-first failure links; output sets are merged along them.
    const queue: number[] = [];
    for (const t of this.next[0]!.values()) queue.push(t);
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      for (const [b, t] of this.next[s]!) {
        queue.push(t);
        let f = this.fail[s]!;
        while (f !== 0 && !this.next[f]!.has(b)) f = this.fail[f]!;
        const g = this.next[f]!.get(b);
        this.fail[t] = g !== undefined && g !== t ? g : 0;
        const fo = this.out[this.fail[t]!]!;
        if (fo.length) this.out[t] = [...this.out[t]!, ...fo];
      }
    }
  }

  get size(): number {
    return this.data.length;
  }

  /** Calls `hit` for every pattern occurrence (end offset exclusive); stop early by returning false. */
  scan(text: Uint8Array, hit: (data: T, end: number) => boolean | void): void {
    if (this.data.length === 0) return;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const b = text[i]!;
      let t = this.next[s]!.get(b);
      while (t === undefined && s !== 0) {
        s = this.fail[s]!;
        t = this.next[s]!.get(b);
      }
      s = t ?? 0;
      const o = this.out[s]!;
      for (let k = 0; k < o.length; k++) if (hit(this.data[o[k]!]!, i + 1) === false) return;
    }
  }
}
