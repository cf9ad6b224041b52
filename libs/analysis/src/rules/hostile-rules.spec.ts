/**
 * Hostile rule files (issue 13): each must finish in well under a second and either compile or
 * fail with a limit violation naming the item and field — never hang, blow the heap or overflow
 * the stack. The first case is the 876-byte file that held the API's event loop 21.6 s.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileRules, type CompiledRuleSet } from './index.js';
import { RULE_LIMITS } from './limits.js';
import { compileGlob, compileRegex } from './matchers.js';
import { makeContext } from './testing.js';

const rule = (name: string, cond: string) => `- rule: ${name}\n  desc: d\n  condition: ${JSON.stringify(cond)}\n  output: o\n  priority: debug\n`;

/** Compiles and returns the set with the time it took (ms). */
function timed(text: string): { set: CompiledRuleSet; ms: number } {
  const t = performance.now();
  const set = compileRules([{ name: 'hostile.yaml', text }]);
  return { set, ms: performance.now() - t };
}

/** Macro m_i = m_{i-1} or m_{i-1}: 2^depth checks once expanded. */
function doublingMacros(depth: number, leaf = 'proc.name = a'): string {
  let y = `- macro: m0\n  condition: ${leaf}\n`;
  for (let i = 1; i <= depth; i++) y += `- macro: m${i}\n  condition: m${i - 1} or m${i - 1}\n`;
  return y;
}

describe('hostile rule files', () => {
  it('macros referencing each other twice, 21 deep: fails fast naming the first macro over the limit', () => {
    const text = doublingMacros(21) + rule('R', 'evt.type = execve and m21');
    expect(text.length).toBeLessThan(1000);
    const { set, ms } = timed(text);
    expect(ms).toBeLessThan(1000);
    expect(set.ruleNames).toEqual([]);
    // m12 is 4,096 checks + 4,095 `or` nodes, inside maxExpandedNodes (10,000); m13 (16,383) is not.
    expect(set.limits[0]).toMatchObject({ field: "macro 'm13'.condition", message: expect.stringContaining('more than 10000 condition nodes') });
    expect(set.report.find((r) => r.name === 'R')).toMatchObject({ status: 'error', reason: expect.stringContaining("macro 'm13'") });
    expect(process.memoryUsage().heapUsed).toBeLessThan(1_000_000_000);
  });

  it('shares a macro used many times: a set just under the limits compiles and evaluates like the expansion', () => {
    const { set, ms } = timed(doublingMacros(12, 'proc.name = target') + rule('R', 'evt.type = execve and m12'));
    expect(ms).toBeLessThan(1000);
    expect(set.limits).toEqual([]);
    expect(set.ruleNames).toEqual(['R']);
    expect(set.evaluate(makeContext({ event: { type: 'execve' }, proc: { name: 'target' } }))).toHaveLength(1);
    expect(set.evaluate(makeContext({ event: { type: 'execve' }, proc: { name: 'other' } }))).toHaveLength(0);
  });

  it('a 5,000-deep parenthesised condition is a limit error, not a stack overflow', () => {
    const { set, ms } = timed(rule('Deep', '('.repeat(5000) + 'proc.name = a' + ')'.repeat(5000)));
    expect(ms).toBeLessThan(1000);
    expect(set.limits).toEqual([expect.objectContaining({ field: "rule 'Deep'.condition", message: expect.stringContaining(`deeper than ${RULE_LIMITS.maxParseDepth} levels`) })]);
  });

  it('15,000 and 20,000 `not` are limit errors (depth, then length)', () => {
    const a = timed(rule('Nots', 'not '.repeat(15_000) + 'proc.name = a'));
    expect(a.ms).toBeLessThan(1000);
    expect(a.set.limits[0]).toMatchObject({ field: "rule 'Nots'.condition", message: expect.stringContaining("deeper than 200 levels ('not')") });
    const b = timed(rule('Nots', 'not '.repeat(20_000) + 'proc.name = a'));
    expect(b.ms).toBeLessThan(1000);
    expect(b.set.limits[0]).toMatchObject({ field: "rule 'Nots'.condition", message: expect.stringContaining('longer than 65536 characters') });
  });

  it('macros nested through 200 levels of parentheses each stay bounded after expansion', () => {
    const deep = (inner: string) => '('.repeat(150) + inner + ')'.repeat(150);
    let y = `- macro: d0\n  condition: ${JSON.stringify(deep('proc.name = a'))}\n`;
    for (let i = 1; i <= 10; i++) y += `- macro: d${i}\n  condition: ${JSON.stringify(deep(`not d${i - 1}`))}\n`;
    const { set, ms } = timed(y + rule('R', 'evt.type = execve and d10'));
    expect(ms).toBeLessThan(1000);
    expect(set.ruleNames).toEqual(['R']);
    // Parentheses add no nodes; `not` does: depth 11, evaluates to the inner check negated 10 times.
    expect(set.evaluate(makeContext({ event: { type: 'execve' }, proc: { name: 'a' } }))).toHaveLength(1);
  });

  it('a chain of macros longer than maxMacroDepth (each defined before the one it uses) is refused naming the chain', () => {
    let y = '';
    for (let i = 100; i >= 1; i--) y += `- macro: c${i}\n  condition: c${i - 1}\n`;
    y += '- macro: c0\n  condition: proc.name = a\n';
    const { set, ms } = timed(y + rule('R', 'c100'));
    expect(ms).toBeLessThan(1000);
    expect(set.limits.some((l) => /macros nest deeper than 64 levels/.test(l.message))).toBe(true);
  });

  it('lists referencing lists (doubling, 21 deep) are refused naming the list, and a rule using one names it too', () => {
    let y = '- list: l0\n  items: [a, b]\n';
    for (let i = 1; i <= 21; i++) y += `- list: l${i}\n  items: [l${i - 1}, l${i - 1}]\n`;
    const { set, ms } = timed(y + rule('R', 'proc.name in (l21)'));
    expect(ms).toBeLessThan(1000);
    // l14 has 2^15 = 32,768 items, over maxListItems (20,000).
    expect(set.limits[0]).toMatchObject({ field: "list 'l14'.items", message: expect.stringContaining('more than 20000 items') });
    expect(set.report.find((r) => r.kind === 'rule')).toMatchObject({ status: 'error', reason: expect.stringContaining("list 'l21' cannot be used") });
  });

  it('a huge inline list and an overlong literal are limit errors naming the rule', () => {
    const items = Array.from({ length: 25_000 }, (_, i) => `x${i}`).join(',');
    const a = timed(rule('Big', `proc.name in (${items})`));
    expect(a.ms).toBeLessThan(1000);
    expect(a.set.limits[0]).toMatchObject({ field: "rule 'Big'.condition" });
    const b = timed(rule('Long', `proc.name = "${'x'.repeat(5000)}"`));
    expect(b.set.limits[0]).toMatchObject({ field: "rule 'Long'.condition", message: expect.stringContaining('longer than 4096 characters') });
    const c = timed(`- list: l\n  items: [${'y'.repeat(5000)}]\n`);
    expect(c.set.limits[0]).toMatchObject({ field: "list 'l'.items" });
  });

  it('refuses an oversized file, too many rules and deeply nested YAML', () => {
    const big = timed('#'.repeat(RULE_LIMITS.maxFileBytes + 1));
    expect(big.set.limits[0]).toMatchObject({ field: "file 'hostile.yaml'", message: expect.stringContaining('more than the limit') });
    const many = Array.from({ length: RULE_LIMITS.maxItemsPerKind + 3 }, (_, i) => `- list: l${i}\n  items: [a]\n`).join('');
    expect(timed(many).set.limits).toEqual([expect.objectContaining({ field: 'lists', message: expect.stringContaining('more than 5000 lists') })]);
    for (const n of [100, 5000]) {
      const deep = timed(`- list: l\n  items: ${'['.repeat(n)}${']'.repeat(n)}\n`);
      expect(deep.ms).toBeLessThan(1000);
      expect(deep.set.limits[0]).toMatchObject({ field: "file 'hostile.yaml'", message: expect.stringContaining('YAML nests deeper than 32 levels') });
    }
  });

  it('bounds total compilation: many rules sharing a large macro stop at maxCompiledNodes, naming the first rule over', () => {
    const rules = Array.from({ length: 80 }, (_, i) => rule(`R${i}`, 'evt.type = execve and m12')).join('');
    const { set, ms } = timed(doublingMacros(12) + rules);
    expect(ms).toBeLessThan(3000);
    // Each rule is 8,193 + 3 nodes for one event type: 61 fit in 500,000.
    expect(set.ruleNames).toHaveLength(61);
    expect(set.limits[0]).toMatchObject({ field: "rule 'R61'.condition", message: expect.stringContaining('more than 500000 condition nodes') });
  });

  it('regex runs on RE2: .*(a+)+$ against a long value is linear (V8 backtracking: > 20 s on 30 characters), RE2-only syntax enforced', () => {
    const { set } = timed(rule('Redos', 'evt.type = execve and proc.cmdline regex ".*(a+)+$"'));
    expect(set.limits).toEqual([]);
    const ctx = makeContext({ event: { type: 'execve' }, proc: { name: 'sh', args: ['sh', 'a'.repeat(50_000) + '!'] } });
    const t = performance.now();
    expect(set.evaluate(ctx)).toHaveLength(0);
    expect(performance.now() - t).toBeLessThan(1000);
    expect(compileRegex('(a+)+$').test('a'.repeat(30))).toBe(true);
    const look = timed(rule('Look', 'proc.name regex "(?=a)a"'));
    expect(look.set.report[0]).toMatchObject({ status: 'error', reason: expect.stringContaining('invalid regex (RE2 syntax)') });
    const long = timed(rule('Long', `proc.name regex "${'a'.repeat(RULE_LIMITS.maxPatternChars + 1)}"`));
    expect(long.set.limits[0]).toMatchObject({ field: "rule 'Long'.condition", message: expect.stringContaining('regex pattern') });
  });

  it('a pathological glob (**a**a**a**a**b, ?-globs, iglob) against a long value is linear', () => {
    const value = 'a'.repeat(20_000);
    for (const [pattern, ci] of [['*a*a*a*a*a*a*a*a*a*b', false], ['?*a?*a?*a?*a?*a?*b', false], ['*A*A*A*A*A*A*B', true]] as const) {
      const g = compileGlob(pattern, ci);
      const t = performance.now();
      expect(g.test(value)).toBe(false);
      expect(g.test(value + 'b')).toBe(true);
      expect(performance.now() - t).toBeLessThan(1000);
    }
    const { set } = timed(rule('G', 'evt.type = execve and proc.cmdline glob "*a*a*a*a*a*a*a*a*a*?b"'));
    const t = performance.now();
    expect(set.evaluate(makeContext({ event: { type: 'execve' }, proc: { args: ['sh', value] } }))).toHaveLength(0);
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it('the shipped rules are far inside every limit', () => {
    const dir = fileURLToPath(new URL('../../../../sandbox-profiles/rules/', import.meta.url));
    const set = compileRules(readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => ({ name: f, text: readFileSync(dir + f, 'utf8') })));
    expect(set.limits).toEqual([]);
    expect(set.report.filter((r) => r.status === 'error')).toEqual([]);
  });

  it('many long patterns on a rule indexed under 300 event types: automatons stay within the set budget, matches unchanged', () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-';
    const lits = Array.from({ length: 140 }, () => Array.from({ length: 100 }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''));
    const types = Array.from({ length: 300 }, (_, i) => `t${i}`);
    const cond = `evt.type in (${types.join(', ')}) and (${lits.map((l) => `fd.name contains "${l}"`).join(' or ')})`;
    const heap0 = process.memoryUsage().heapUsed;
    const { set, ms } = timed(rule('R', cond));
    expect(set.ruleNames).toEqual(['R']);
    expect(ms).toBeLessThan(15_000);
    // 300 automatons of ~1 M entries each would be over a gigabyte; the set's budget is 4 Mi entries.
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(300_000_000);
    const ctx = (type: string, name: string) => makeContext({ event: { type }, fd: { name } });
    for (const t of ['t0', 't150', 't299']) {
      expect(set.evaluate(ctx(t, `/x/${lits[7]}/y`))).toHaveLength(1);
      expect(set.evaluate(ctx(t, `/x/${lits[7]!.slice(1)}`))).toHaveLength(0);
    }
  });
});
