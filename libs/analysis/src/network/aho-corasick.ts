/**
 * Aho–Corasick over bytes: every occurrence of any of a set of byte patterns in one pass,
 * O(text + patterns + matches). Used to find credential-lure secrets (and their encodings) in
 * captured traffic, which is binary: matching is byte-exact (no Unicode segmentation or
 * normalisation, which the npm Aho–Corasick packages apply to strings).
 *
 * Built as a full automaton (failure links folded into the transitions) over byte classes: the
 * bytes that occur in some pattern get a class each, all others share one; the transition table is
 * states × classes Int32s, so a scan is one table lookup per byte.
 */
export class ByteAhoCorasick<T> {
  private readonly classOf = new Uint8Array(256);
  private readonly classes: number;
  private readonly delta: Int32Array;
  /** Pattern indexes ending at each state (own and via failure links); empty arrays share one. */
  private readonly out: number[][];
  private readonly data: T[] = [];

  constructor(patterns: readonly { bytes: Uint8Array; data: T }[]) {
    // Byte classes: 0 = bytes in no pattern.
    let c = 1;
    const cls = new Int32Array(256);
    for (const p of patterns) for (const b of p.bytes) if (cls[b] === 0) cls[b] = c++;
    this.classes = c;
    for (let b = 0; b < 256; b++) this.classOf[b] = cls[b]!;
    // Trie with goto in a growable table (-1 = none).
    let cap = 64;
    let go = new Int32Array(cap * c).fill(-1);
    let states = 1;
    const out: number[][] = [[]];
    for (const p of patterns) {
      if (p.bytes.length === 0) continue;
      let s = 0;
      for (const b of p.bytes) {
        const k = s * c + cls[b]!;
        let t = go[k]!;
        if (t < 0) {
          if (states === cap) {
            cap *= 2;
            const g = new Int32Array(cap * c).fill(-1);
            g.set(go);
            go = g;
          }
          t = states++;
          out.push([]);
          go[k] = t;
        }
        s = t;
      }
      out[s]!.push(this.data.length);
      this.data.push(p.data);
    }
    // Breadth-first: failure links, folded into a complete transition function.
    const delta = new Int32Array(states * c);
    const fail = new Int32Array(states);
    const queue = new Int32Array(states);
    let qh = 0;
    let qt = 0;
    for (let k = 0; k < c; k++) {
      const t = go[k]!;
      if (t > 0) {
        delta[k] = t;
        fail[t] = 0;
        queue[qt++] = t;
      } else delta[k] = 0;
    }
    while (qh < qt) {
      const s = queue[qh++]!;
      const f = fail[s]!;
      if (out[f]!.length) out[s] = out[s]!.length ? [...out[s]!, ...out[f]!] : out[f]!;
      for (let k = 0; k < c; k++) {
        const t = go[s * c + k]!;
        if (t > 0) {
          delta[s * c + k] = t;
          fail[t] = delta[f * c + k]!;
          queue[qt++] = t;
        } else delta[s * c + k] = delta[f * c + k]!;
      }
    }
    this.delta = delta;
    this.out = out;
  }

  get size(): number {
    return this.data.length;
  }

  /** Calls `hit` for every pattern occurrence (end offset exclusive); stop early by returning false. */
  scan(text: Uint8Array, hit: (data: T, end: number) => boolean | void): void {
    if (this.data.length === 0) return;
    const { classOf, delta, out, classes } = this;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      s = delta[s * classes + classOf[text[i]!]!]!;
      const o = out[s]!;
      if (o.length !== 0) for (let k = 0; k < o.length; k++) if (hit(this.data[o[k]!]!, i + 1) === false) return;
    }
  }
}
