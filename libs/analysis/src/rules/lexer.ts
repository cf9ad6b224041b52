/**
 * Character-level scanner for Falco conditions. The grammar is context sensitive (a bare
 * value may contain characters that are operators elsewhere, e.g. `runc:[1:CHILD]`), so the
 * parser drives the scanner and asks for the token kind it expects next.
 */

import { RULE_LIMITS } from './limits.js';

export class ConditionSyntaxError extends Error {
  constructor(
    message: string,
    /** Offset in the condition text. */
    readonly pos: number,
  ) {
    super(message);
    this.name = 'ConditionSyntaxError';
  }
}

/** A condition that parses but exceeds a bound of RULE_LIMITS (too deep, too long a literal). */
export class ConditionLimitError extends ConditionSyntaxError {
  constructor(message: string, pos: number) {
    super(message, pos);
    this.name = 'ConditionLimitError';
  }
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_]/;
/** Falco's bare string: anything but blanks, parentheses, comma, `=` and quotes. */
const BARE_STOP = new Set([' ', '\t', '\n', '\r', '\b', '\f', '\v', '(', ')', ',', '=', '"', "'"]);

export class Scanner {
  pos = 0;
  /** Current nesting of parentheses, `not` and transformer calls (see enter()). */
  private depth = 0;
  constructor(readonly src: string) {}

  /** Enter one nesting level; past RULE_LIMITS.maxParseDepth the condition is refused (no stack overflow). */
  enter(what: string, pos = this.pos): void {
    if (++this.depth > RULE_LIMITS.maxParseDepth) throw new ConditionLimitError(`condition nests deeper than ${RULE_LIMITS.maxParseDepth} levels (${what})`, pos);
  }

  leave(): void {
    this.depth--;
  }

  /** A literal, list item or field argument longer than RULE_LIMITS.maxLiteralChars is refused. */
  private checkLiteral(start: number, length: number): void {
    if (length > RULE_LIMITS.maxLiteralChars) throw new ConditionLimitError(`value longer than ${RULE_LIMITS.maxLiteralChars} characters (${length})`, start);
  }

  eof(): boolean {
    return this.pos >= this.src.length;
  }

  peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }

  skipWs(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
  }

  error(message: string, pos = this.pos): never {
    throw new ConditionSyntaxError(message, pos);
  }

  /** Describes what is at the cursor, for error messages. */
  describe(): string {
    if (this.eof()) return 'end of condition';
    const m = /^\S{1,20}/.exec(this.src.slice(this.pos));
    return `'${m ? m[0] : this.peek()}'`;
  }

  /** Consume a keyword or word operator if it is at the cursor and ends at a word boundary. */
  matchWord(word: string): boolean {
    if (!this.src.startsWith(word, this.pos)) return false;
    const next = this.src[this.pos + word.length] ?? '';
    if (next && (IDENT_CHAR.test(next) || next === '.' || next === '[')) return false;
    this.pos += word.length;
    return true;
  }

  lookingAtWord(word: string): boolean {
    const save = this.pos;
    const ok = this.matchWord(word);
    this.pos = save;
    return ok;
  }

  matchText(text: string): boolean {
    if (!this.src.startsWith(text, this.pos)) return false;
    this.pos += text.length;
    return true;
  }

  /** Identifier or dotted field name: `proc.name`, `fd.l4proto`, `evt.arg.name`, `my_macro`. */
  readName(): string | undefined {
    const start = this.pos;
    if (!IDENT_START.test(this.peek())) return undefined;
    let dotted = false;
    while (!this.eof()) {
      const c = this.peek();
      if (IDENT_CHAR.test(c)) this.pos++;
      else if (c === '.' && IDENT_CHAR.test(this.peek(1))) {
        dotted = true;
        this.pos++;
      } else if (c === '-' && dotted && IDENT_CHAR.test(this.peek(1))) this.pos++;
      else break;
    }
    this.checkLiteral(start, this.pos - start);
    return this.src.slice(start, this.pos);
  }

  /** `[ ... ]` field argument; the opening bracket must be at the cursor. Nested brackets allowed. */
  readBracketArg(): string {
    const open = this.pos;
    this.pos++; // [
    let depth = 1;
    const start = this.pos;
    while (!this.eof()) {
      const c = this.peek();
      if (c === '[') depth++;
      else if (c === ']') {
        depth--;
        if (depth === 0) {
          this.checkLiteral(open, this.pos - start);
          const arg = this.src.slice(start, this.pos);
          this.pos++;
          return arg;
        }
      }
      this.pos++;
    }
    this.error("unterminated field argument: missing ']'", open);
  }

  /** Quoted string with `\` escapes; the quote must be at the cursor. */
  readQuoted(): string {
    const quote = this.peek();
    const open = this.pos;
    this.pos++;
    const parts: string[] = [];
    let from = this.pos;
    while (!this.eof()) {
      const c = this.peek();
      if (c === '\\') {
        const n = this.peek(1);
        if (n === '') break;
        parts.push(this.src.slice(from, this.pos), n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n);
        this.pos += 2;
        from = this.pos;
        continue;
      }
      if (c === quote) {
        parts.push(this.src.slice(from, this.pos));
        this.pos++;
        const out = parts.join('');
        this.checkLiteral(open, out.length);
        return out;
      }
      this.pos++;
    }
    this.error(`unterminated string: missing closing ${quote}`, open);
  }

  readBare(): string {
    const start = this.pos;
    while (!this.eof() && !BARE_STOP.has(this.peek())) this.pos++;
    this.checkLiteral(start, this.pos - start);
    return this.src.slice(start, this.pos);
  }
}
