/**
 * Character-level scanner for Falco conditions. The grammar is context sensitive (a bare
 * value may contain characters that are operators elsewhere, e.g. `runc:[1:CHILD]`), so the
 * parser drives the scanner and asks for the token kind it expects next.
 */

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

const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_]/;
/** Falco's bare string: anything but blanks, parentheses, comma, `=` and quotes. */
const BARE_STOP = new Set([' ', '\t', '\n', '\r', '\b', '\f', '\v', '(', ')', ',', '=', '"', "'"]);

export class Scanner {
  pos = 0;
  constructor(readonly src: string) {}

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
    while (!this.eof()) {
      const c = this.peek();
      if (IDENT_CHAR.test(c)) this.pos++;
      else if (c === '.' && IDENT_CHAR.test(this.peek(1))) this.pos++;
      else if (c === '-' && IDENT_CHAR.test(this.peek(1)) && this.src.slice(start, this.pos).includes('.')) this.pos++;
      else break;
    }
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
    let out = '';
    while (!this.eof()) {
      const c = this.peek();
      if (c === '\\') {
        const n = this.peek(1);
        if (n === '') break;
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
        this.pos += 2;
        continue;
      }
      if (c === quote) {
        this.pos++;
        return out;
      }
      out += c;
      this.pos++;
    }
    this.error(`unterminated string: missing closing ${quote}`, open);
  }

  readBare(): string {
    const start = this.pos;
    while (!this.eof() && !BARE_STOP.has(this.peek())) this.pos++;
    return this.src.slice(start, this.pos);
  }
}
