/**
 * Recursive-descent parser for Falco conditions.
 *
 *   expr     := or
 *   or       := and ('or' and)*
 *   and      := not ('and' not)*
 *   not      := 'not' not | primary
 *   primary  := '(' expr ')' | check | macro-name
 *   check    := field ('exists' | cmp-op value | list-op list)
 *   field    := transformer '(' field ')' | name ('[' arg ']')?
 *   value    := 'val' '(' field ')' | quoted | bare
 *   list     := '(' (item (',' item)*)? ')'
 */
import { TRANSFORMERS, type ConditionNode, type FieldRefNode, type ListItemNode, type Operator, type Transformer, type ValueNode } from './ast.js';
import { ConditionLimitError, ConditionSyntaxError, Scanner } from './lexer.js';
import { RULE_LIMITS } from './limits.js';

export { ConditionLimitError, ConditionSyntaxError };

const SYMBOL_OPS = ['==', '!=', '<=', '>=', '=', '<', '>'] as const;
const WORD_OPS = ['contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex', 'in', 'intersects', 'pmatch', 'exists'] as const;
const LIST_OP_SET = new Set<string>(['in', 'intersects', 'pmatch']);
const TRANSFORMER_SET = new Set<string>(TRANSFORMERS);

/**
 * Parses one condition. Recursion is bounded: parentheses, `not` and transformer calls nest at most
 * RULE_LIMITS.maxParseDepth deep (ConditionLimitError past that), and the text is at most
 * RULE_LIMITS.maxConditionChars long, so no input can overflow the stack here or in later passes.
 */
export function parseCondition(text: string): ConditionNode {
  if (text.length > RULE_LIMITS.maxConditionChars) throw new ConditionLimitError(`condition longer than ${RULE_LIMITS.maxConditionChars} characters (${text.length})`, 0);
  const s = new Scanner(text);
  s.skipWs();
  if (s.eof()) s.error('empty condition');
  const node = parseOr(s);
  s.skipWs();
  if (!s.eof()) s.error(`unexpected ${s.describe()}: expected 'and', 'or' or end of condition`);
  return node;
}

function parseOr(s: Scanner): ConditionNode {
  s.skipWs();
  const pos = s.pos;
  const items = [parseAnd(s)];
  for (;;) {
    s.skipWs();
    if (!s.matchWord('or')) break;
    items.push(parseAnd(s));
  }
  return items.length === 1 ? items[0]! : { kind: 'or', items, pos };
}

function parseAnd(s: Scanner): ConditionNode {
  s.skipWs();
  const pos = s.pos;
  const items = [parseNot(s)];
  for (;;) {
    s.skipWs();
    if (!s.matchWord('and')) break;
    items.push(parseNot(s));
  }
  return items.length === 1 ? items[0]! : { kind: 'and', items, pos };
}

function parseNot(s: Scanner): ConditionNode {
  s.skipWs();
  const pos = s.pos;
  if (s.matchWord('not')) {
    s.enter("'not'", pos);
    const item = parseNot(s);
    s.leave();
    return { kind: 'not', item, pos };
  }
  return parsePrimary(s);
}

function parsePrimary(s: Scanner): ConditionNode {
  s.skipWs();
  const pos = s.pos;
  if (s.eof()) s.error('unexpected end of condition: expected a field, a macro, "not" or "("');
  if (s.peek() === '(') {
    s.enter('parentheses', pos);
    s.pos++;
    const inner = parseOr(s);
    s.leave();
    s.skipWs();
    if (s.peek() !== ')') s.error(`expected ')' to close '(' at offset ${pos}, found ${s.describe()}`);
    s.pos++;
    return inner;
  }
  if (s.lookingAtWord('and') || s.lookingAtWord('or')) s.error(`unexpected '${s.lookingAtWord('and') ? 'and' : 'or'}': expected a field, a macro, "not" or "("`);
  const save = s.pos;
  const name = s.readName();
  if (name === undefined) s.error(`unexpected ${s.describe()}: expected a field, a macro, "not" or "("`);
  // A plain identifier that is not a transformer call and not followed by an operator is a macro.
  const afterName = s.pos;
  s.skipWs();
  const isCall = TRANSFORMER_SET.has(name) && s.peek() === '(';
  if (!isCall && !name.includes('.') && s.peek() !== '[' && !lookingAtOperator(s)) {
    s.pos = afterName;
    return { kind: 'macro', name, pos };
  }
  s.pos = save;
  const field = parseField(s);
  s.skipWs();
  const opPos = s.pos;
  const op = readOperator(s);
  if (!op) s.error(`expected an operator after field '${field.text}', found ${s.describe()}`);
  if (op === 'exists') return { kind: 'check', field, op, pos };
  s.skipWs();
  if (LIST_OP_SET.has(op)) {
    if (s.peek() !== '(') s.error(`operator '${op}' needs a list in parentheses, found ${s.describe()}`);
    return { kind: 'check', field, op, value: parseList(s), pos };
  }
  const value = parseValue(s, op, opPos);
  return { kind: 'check', field, op, value, pos };
}

function lookingAtOperator(s: Scanner): boolean {
  const save = s.pos;
  const op = readOperator(s);
  s.pos = save;
  return op !== undefined;
}

function readOperator(s: Scanner): Operator | undefined {
  for (const op of SYMBOL_OPS) if (s.matchText(op)) return op;
  for (const op of WORD_OPS) if (s.matchWord(op)) return op;
  return undefined;
}

export function parseField(s: Scanner): FieldRefNode {
  s.skipWs();
  const pos = s.pos;
  const name = s.readName();
  if (name === undefined) s.error(`expected a field name, found ${s.describe()}`);
  const afterName = s.pos;
  s.skipWs();
  if (TRANSFORMER_SET.has(name) && s.peek() === '(') {
    s.enter(`${name}()`, pos);
    s.pos++;
    const inner = parseField(s);
    s.leave();
    s.skipWs();
    if (s.peek() !== ')') s.error(`expected ')' to close ${name}(, found ${s.describe()}`);
    s.pos++;
    return { ...inner, transformers: [...inner.transformers, name as Transformer], pos, text: s.src.slice(pos, s.pos) };
  }
  s.pos = afterName;
  let arg: string | undefined;
  if (s.peek() === '[') arg = s.readBracketArg();
  return { name, arg, transformers: [], pos, text: s.src.slice(pos, s.pos) };
}

function parseValue(s: Scanner, op: string, opPos: number): ValueNode {
  const pos = s.pos;
  const c = s.peek();
  if (c === '"' || c === "'") return { kind: 'literal', value: s.readQuoted(), quoted: true, pos };
  if (s.lookingAtWord('val')) {
    const save = s.pos;
    s.matchWord('val');
    s.skipWs();
    if (s.peek() === '(') {
      s.pos++;
      const field = parseField(s);
      s.skipWs();
      if (s.peek() !== ')') s.error(`expected ')' to close val(, found ${s.describe()}`);
      s.pos++;
      return { kind: 'field', field, pos };
    }
    s.pos = save;
  }
  const v = s.readBare();
  if (v === '') s.error(`operator '${op}' needs a value, found ${s.describe()}`, s.eof() ? opPos : s.pos);
  return { kind: 'literal', value: v, quoted: false, pos };
}

function parseList(s: Scanner): ValueNode {
  const pos = s.pos;
  s.pos++; // (
  const items: ListItemNode[] = [];
  s.skipWs();
  if (s.peek() === ')') {
    s.pos++;
    return { kind: 'list', items, pos };
  }
  for (;;) {
    s.skipWs();
    const ipos = s.pos;
    const c = s.peek();
    if (c === '"' || c === "'") items.push({ value: s.readQuoted(), quoted: true, pos: ipos });
    else {
      const v = s.readBare();
      if (v === '') s.error(s.eof() ? `unterminated list: missing ')' for '(' at offset ${pos}` : `expected a list item, found ${s.describe()}`);
      items.push({ value: v, quoted: false, pos: ipos });
    }
    s.skipWs();
    if (s.peek() === ',') {
      s.pos++;
      continue;
    }
    if (s.peek() === ')') {
      s.pos++;
      return { kind: 'list', items, pos };
    }
    s.error(s.eof() ? `unterminated list: missing ')' for '(' at offset ${pos}` : `expected ',' or ')' in list, found ${s.describe()}`);
  }
}
