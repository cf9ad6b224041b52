import { parseCondition, ConditionSyntaxError } from './parser.js';
import type { ConditionNode } from './ast.js';

function errorAt(text: string): { message: string; pos: number } {
  try {
    parseCondition(text);
  } catch (e) {
    if (e instanceof ConditionSyntaxError) return { message: e.message, pos: e.pos };
    throw e;
  }
  throw new Error(`expected a syntax error for: ${text}`);
}

describe('condition parser', () => {
  it('gives "and" precedence over "or" and binds "not" tightest', () => {
    const n = parseCondition('a or not b and c');
    expect(n.kind).toBe('or');
    const or = n as Extract<ConditionNode, { kind: 'or' }>;
    expect(or.items[0]).toMatchObject({ kind: 'macro', name: 'a' });
    expect(or.items[1]).toMatchObject({ kind: 'and', items: [{ kind: 'not', item: { kind: 'macro', name: 'b' } }, { kind: 'macro', name: 'c' }] });
  });

  it('parses parentheses, field args, transformers, val() and bare values with brackets', () => {
    const n = parseCondition('(proc.aname[2]=runc:[1:CHILD] and tolower(basename(fd.name)) startswith val(proc.name)) or evt.arg.flags contains O_CREAT');
    expect(n).toMatchObject({
      kind: 'or',
      items: [
        {
          kind: 'and',
          items: [
            { kind: 'check', op: '=', field: { name: 'proc.aname', arg: '2' }, value: { kind: 'literal', value: 'runc:[1:CHILD]', quoted: false } },
            { kind: 'check', op: 'startswith', field: { name: 'fd.name', transformers: ['basename', 'tolower'] }, value: { kind: 'field', field: { name: 'proc.name' } } },
          ],
        },
        { kind: 'check', op: 'contains', field: { name: 'evt.arg.flags' }, value: { value: 'O_CREAT' } },
      ],
    });
  });

  it('parses lists with quoted and bare items, empty lists and container.mount.dest[/path]', () => {
    const n = parseCondition('proc.name in (a, "b c", \'d\') and fd.name pmatch () and not container.mount.dest[/var/run/docker.sock] in ("<NA>","N/A")');
    expect(n).toMatchObject({
      kind: 'and',
      items: [
        { kind: 'check', op: 'in', value: { kind: 'list', items: [{ value: 'a', quoted: false }, { value: 'b c', quoted: true }, { value: 'd', quoted: true }] } },
        { kind: 'check', op: 'pmatch', value: { kind: 'list', items: [] } },
        { kind: 'not', item: { kind: 'check', field: { name: 'container.mount.dest', arg: '/var/run/docker.sock' } } },
      ],
    });
  });

  it('recognises every operator', () => {
    for (const op of ['=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex']) {
      expect(parseCondition(`fd.name ${op} x`)).toMatchObject({ kind: 'check', op });
    }
    for (const op of ['in', 'intersects', 'pmatch']) expect(parseCondition(`fd.name ${op} (x)`)).toMatchObject({ kind: 'check', op });
    expect(parseCondition('proc.pname exists')).toMatchObject({ kind: 'check', op: 'exists' });
    // no blanks around symbolic operators
    expect(parseCondition('fd.typechar=\'f\'')).toMatchObject({ op: '=', value: { value: 'f', quoted: true } });
    expect(parseCondition('fd.num>=0')).toMatchObject({ op: '>=', value: { value: '0' } });
  });

  it('keeps keywords apart from identifiers that start with them', () => {
    expect(parseCondition('not_a_macro and order_macro')).toMatchObject({ kind: 'and', items: [{ kind: 'macro', name: 'not_a_macro' }, { kind: 'macro', name: 'order_macro' }] });
  });

  it('reports errors with the offset of the problem', () => {
    expect(errorAt('proc.name =')).toMatchObject({ message: expect.stringContaining("needs a value") });
    const unterminated = errorAt('proc.name in (a, b');
    expect(unterminated.message).toMatch(/unterminated list/);
    const badOp = errorAt('proc.name foo bar');
    expect(badOp.pos).toBe(10);
    expect(badOp.message).toMatch(/expected an operator after field 'proc.name'/);
    const dangling = errorAt('a and');
    expect(dangling.pos).toBe(5);
    const paren = errorAt('(a or b');
    expect(paren.message).toMatch(/expected '\)'/);
    expect(errorAt('fd.name = "abc').message).toMatch(/unterminated string/);
    expect(errorAt('a b').pos).toBe(2);
    expect(errorAt('   ').message).toMatch(/empty condition/);
  });
});
