import { compileGlob, compilePathPrefixMatcher, compileRegex } from './matchers.js';

/** The backtracking translation the engine used before RE2, as an oracle on inputs too small to hurt. */
function referenceGlob(pattern: string, ci: boolean): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!' || pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, j);
      let negate = false;
      if (body[0] === '!' || body[0] === '^') {
        negate = true;
        body = body.slice(1);
      }
      out += '[' + (negate ? '^' : '') + body.replace(/[\\\]^]/g, (m) => '\\' + m) + ']';
      i = j;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp('^' + out + '$', ci ? 'i' : '');
}

describe('compileGlob (string tests and RE2)', () => {
  it('agrees with the fnmatch translation on 5,000 random patterns and values', () => {
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const atoms = ['a', 'b', 'A', '/', '.', '*', '*', '?', '[ab]', '[!a]', '[a-c]', '[', ']', '+', '('];
    const chars = ['a', 'b', 'A', 'B', '/', '.', '[', ']', 'c', '+', '('];
    for (let k = 0; k < 5_000; k++) {
      const pattern = Array.from({ length: 1 + rnd(6) }, () => atoms[rnd(atoms.length)]).join('');
      const value = Array.from({ length: rnd(8) }, () => chars[rnd(chars.length)]).join('');
      const ci = rnd(2) === 1;
      expect([pattern, value, ci, compileGlob(pattern, ci).test(value)]).toEqual([pattern, value, ci, referenceGlob(pattern, ci).test(value)]);
    }
  });

  it('keeps Falco semantics: * and ? cross /, classes, ! negation, pmatch components', () => {
    expect(compileGlob('/etc/*').test('/etc/ssh/sshd_config')).toBe(true);
    expect(compileGlob('/tmp/?.sh').test('/tmp/x.sh')).toBe(true);
    expect(compileGlob('*.[ch]').test('main.c')).toBe(true);
    expect(compileGlob('*.[!ch]').test('main.c')).toBe(false);
    expect(compileGlob('*SSH*', true).test('/root/.ssh/id_rsa')).toBe(true);
    const pm = compilePathPrefixMatcher(['/var/lib/*/data', '/etc']);
    expect(pm('/var/lib/mysql/data/ibdata1')).toBe(true);
    expect(pm('/var/lib/mysql/other')).toBe(false);
  });

  it('regex is anchored at both ends and remembers values without changing answers', () => {
    const re = compileRegex('(.* )?-r( .*)?');
    expect(re.test('setcap -r /bin/x')).toBe(true);
    expect(re.test('setcap -r /bin/x')).toBe(true);
    expect(re.test('setcap -v /bin/x')).toBe(false);
    expect(re.test('x-r')).toBe(false);
    for (let i = 0; i < 600; i++) expect(re.test(`a${i} -r`)).toBe(true);
    expect(re.test('setcap -v /bin/x')).toBe(false);
  });
});
