/**
 * Condition text with a map back to the YAML it came from. A rule's condition may be the
 * concatenation of several YAML scalars (append/override), possibly from several files; each
 * segment knows how to turn an offset in its own value into a line and column of its file.
 *
 * YAML folding (`>`), literal blocks (`|`), plain multi-line scalars and quoting change only
 * whitespace, quotes and escapes, so every non-blank character of the value appears in the
 * raw source in the same order: a greedy alignment finds it.
 */
import type { LineCounter } from 'yaml';

export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

interface Segment {
  start: number;
  end: number;
  locate(offset: number): SourcePos;
}

export class SourceText {
  private constructor(
    readonly text: string,
    private readonly segments: Segment[],
  ) {}

  static fromScalar(value: string, file: string, fileText: string, range: readonly [number, number], scalarType: string | undefined, lc: LineCounter): SourceText {
    const locate = (offset: number): SourcePos => {
      const abs = alignOffset(value, fileText, range[0], range[1], scalarType, offset);
      const lp = lc.linePos(abs);
      return { file, line: lp.line, column: lp.col };
    };
    return new SourceText(value, [{ start: 0, end: value.length, locate }]);
  }

  /** A value with no source (synthesised); positions map to a fixed point. */
  static fixed(value: string, at: SourcePos): SourceText {
    return new SourceText(value, [{ start: 0, end: value.length, locate: () => at }]);
  }

  /** Falco appends condition text with a single space. */
  append(other: SourceText): SourceText {
    const shift = this.text.length + 1;
    return new SourceText(this.text + ' ' + other.text, [
      ...this.segments,
      ...other.segments.map((s) => ({ start: s.start + shift, end: s.end + shift, locate: (o: number) => s.locate(o) })),
    ]);
  }

  locate(offset: number): SourcePos {
    for (const s of this.segments) {
      if (offset >= s.start && offset <= s.end) return s.locate(offset - s.start);
    }
    const last = this.segments[this.segments.length - 1]!;
    return last.locate(last.end - last.start);
  }
}

function alignOffset(value: string, src: string, start: number, end: number, scalarType: string | undefined, offset: number): number {
  let r = start;
  if (scalarType === 'BLOCK_FOLDED' || scalarType === 'BLOCK_LITERAL') {
    const nl = src.indexOf('\n', start);
    r = nl < 0 || nl >= end ? start : nl + 1;
  } else if (scalarType === 'QUOTE_DOUBLE' || scalarType === 'QUOTE_SINGLE') {
    r = start + 1;
  }
  const isBlank = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  const limit = Math.min(offset, value.length);
  for (let i = 0; i < limit; i++) {
    const c = value[i]!;
    if (isBlank(c)) continue;
    let k = r;
    while (k < end && src[k] !== c) k++;
    if (k >= end) break; // could not align (escape sequences); keep the last good position
    r = k + 1;
  }
  // Position of value[offset] itself.
  const target = value[offset];
  if (target !== undefined && !isBlank(target)) {
    let k = r;
    while (k < end && src[k] !== target) k++;
    if (k < end) return k;
  } else {
    while (r < end && isBlank(src[r]!)) r++;
  }
  return Math.min(r, Math.max(start, end - 1));
}
