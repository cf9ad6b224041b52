/**
 * Many `startswith` / `endswith` / `contains` tests on one string, answered by one left-to-right
 * pass (Aho–Corasick, built as a complete DFA). The value is read as BEGIN · chars · END, two
 * virtual symbols no character can equal, so that
 *   prefix p   = the sequence BEGIN·p occurs,
 *   suffix s   = s·END occurs,
 *   contains c = c occurs,
 *   exact e    = BEGIN·e·END occurs,
 * and a single automaton over all of them finds every pattern that occurs.
 *
 * `scan(value)` is linear in the value: one table step per character, and each automaton state
 * is marked at most once per scan (marks follow dictionary-suffix links and stop at a state
 * already marked). It allocates nothing. Results are read as `hits[id] === scan's return`, with
 * `id = idOf(pattern index)`: no result object per value.
 *
 * The automaton's size is bounded (`MAX_TABLE_ENTRIES`); `build` returns undefined past it and the
 * caller keeps testing pattern by pattern (also linear), so a hostile rule set cannot make it big.
 */

export type PatternKind = 'prefix' | 'suffix' | 'contains' | 'exact';

export interface Pattern {
  kind: PatternKind;
  text: string;
}

/** States × symbol classes of the transition table, at most (4 bytes each). */
export const MAX_TABLE_ENTRIES = 1 << 20;

/** Generation counters restart before they could overflow an Int32. */
const GEN_LIMIT = 0x3fffffff;

export class MultiPatternMatcher {
  /** hits[state] === generation of the scan that reached it (a pattern's id is its final state). */
  readonly hits: Int32Array;
  private gen = 0;
  private last: string | undefined;
  /** Entries of the transition table (what a rule set's automaton budget is charged). */
  readonly tableEntries: number;

  private constructor(
    /** Symbol class of each ASCII code (0: a character no pattern contains). */
    private readonly ascii: Int32Array,
    /** Symbol class of other characters that occur in patterns. */
    private readonly wide: Map<number, number>,
    /** Number of symbol classes: 0 = other, 1..k characters, k+1 = BEGIN, k+2 = END. */
    private readonly width: number,
    /** delta[state * width + class]: the next state (a complete DFA). */
    private readonly delta: Int32Array | Uint16Array,
    /** The first state to mark on reaching a state: itself if it ends a pattern, else its dictionary link (0: none). */
    private readonly out: Int32Array,
    /** Nearest proper suffix state that ends a pattern (0: none; the root is no pattern's final state but the empty one's). */
    private readonly dict: Int32Array,
    /** Pattern index → its final state. */
    private readonly finals: Int32Array,
  ) {
    this.hits = new Int32Array(out.length);
    this.tableEntries = delta.length;
  }

  /** Builds the automaton for `patterns`; undefined when it would exceed MAX_TABLE_ENTRIES. */
  static build(patterns: readonly Pattern[], maxEntries = MAX_TABLE_ENTRIES): MultiPatternMatcher | undefined {
    // Symbol classes: one per distinct character used by a pattern.
    const ascii = new Int32Array(128);
    const wide = new Map<number, number>();
    let classes = 1;
    let totalChars = 0;
    for (const p of patterns) {
      totalChars += p.text.length + 2;
      for (let i = 0; i < p.text.length; i++) {
        const ch = p.text.charCodeAt(i);
        if (ch < 128) {
          if (ascii[ch] === 0) ascii[ch] = classes++;
        } else if (!wide.has(ch)) wide.set(ch, classes++);
      }
    }
    const BEGIN = classes;
    const END = classes + 1;
    const width = classes + 2;
    // The trie has at most totalChars + 1 states: refuse before building if the table could be too big.
    if ((totalChars + 1) * width > maxEntries) return undefined;
    const classOf = (ch: number) => (ch < 128 ? ascii[ch]! : wide.get(ch)!);

    // Trie (goto function), children kept sparse while building.
    const children: Map<number, number>[] = [new Map()];
    const terminalList: number[] = [0];
    const finals = new Int32Array(patterns.length);
    patterns.forEach((p, idx) => {
      const syms: number[] = [];
      if (p.kind === 'prefix' || p.kind === 'exact') syms.push(BEGIN);
      for (let i = 0; i < p.text.length; i++) syms.push(classOf(p.text.charCodeAt(i)));
      if (p.kind === 'suffix' || p.kind === 'exact') syms.push(END);
      let s = 0;
      for (const sym of syms) {
        let next = children[s]!.get(sym);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          terminalList.push(0);
          children[s]!.set(sym, next);
        }
        s = next;
      }
      terminalList[s] = 1;
      finals[idx] = s;
    });
    const states = children.length;
    // 16-bit states when they fit (all but huge pattern sets): half the table, more of it in cache.
    const delta = states <= 0xffff ? new Uint16Array(states * width) : new Int32Array(states * width);
    const fail = new Int32Array(states);
    const dict = new Int32Array(states);
    const terminal = Uint8Array.from(terminalList);
    const out = new Int32Array(states);
    // Breadth-first: failure links, dictionary links and the complete transition table.
    const queue: number[] = [];
    for (let c = 0; c < width; c++) {
      const t = children[0]!.get(c);
      if (t !== undefined) {
        delta[c] = t;
        fail[t] = 0;
        queue.push(t);
      } else delta[c] = 0;
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      const f = fail[s]!;
      dict[s] = terminal[f] === 1 && f !== 0 ? f : dict[f]!;
      out[s] = terminal[s] === 1 ? s : dict[s]!;
      const row = s * width;
      const frow = f * width;
      for (let c = 0; c < width; c++) {
        const t = children[s]!.get(c);
        if (t !== undefined) {
          delta[row + c] = t;
          fail[t] = delta[frow + c]!;
          queue.push(t);
        } else delta[row + c] = delta[frow + c]!;
      }
    }
    return new MultiPatternMatcher(ascii, wide, width, delta, out, dict, finals);
  }

  /** The id to compare in `hits` for pattern `index` (its position in the list given to build). */
  idOf(index: number): number {
    return this.finals[index]!;
  }

  /** Scans `value`; returns this scan's generation: pattern `id` occurred iff `hits[id] === gen`. */
  scan(value: string): number {
    // The same value as the last scan (a process's command line, event after event): its hits stand.
    if (value === this.last) return this.gen;
    this.last = value;
    let gen = this.gen + 1;
    if (gen > GEN_LIMIT) {
      this.hits.fill(0);
      gen = 1;
    }
    this.gen = gen;
    const delta = this.delta;
    const width = this.width;
    const ascii = this.ascii;
    const hits = this.hits;
    const out = this.out;
    const dict = this.dict;
    hits[0] = gen; // the root: the empty pattern (`contains ""`) occurs in every string
    let s = delta[width - 2]!; // BEGIN from the root
    for (let t = out[s]!; t !== 0 && hits[t] !== gen; t = dict[t]!) hits[t] = gen;
    const n = value.length;
    for (let i = 0; i < n; i++) {
      const ch = value.charCodeAt(i);
      s = delta[s * width + (ch < 128 ? ascii[ch]! : this.wideClass(ch))]!;
      for (let t = out[s]!; t !== 0 && hits[t] !== gen; t = dict[t]!) hits[t] = gen;
    }
    s = delta[s * width + width - 1]!; // END
    for (let t = out[s]!; t !== 0 && hits[t] !== gen; t = dict[t]!) hits[t] = gen;
    return gen;
  }

  private wideClass(ch: number): number {
    return this.wide.get(ch) ?? 0;
  }

  /** Whether pattern `index` occurs in `value` (for tests and one-off use; allocation-free). */
  test(value: string, index: number): boolean {
    const gen = this.scan(value); // before reading hits
    return this.hits[this.idOf(index)] === gen;
  }
}
