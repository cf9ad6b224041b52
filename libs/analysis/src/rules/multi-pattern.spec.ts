import { MAX_TABLE_ENTRIES, MultiPatternMatcher, type Pattern, type PatternKind } from './multi-pattern.js';
import { globLiterals } from './codegen.js';
import { compileGlob } from './matchers.js';

/** What each pattern kind means, written the obvious way. */
function naive(p: Pattern, v: string): boolean {
  switch (p.kind) {
    case 'prefix':
      return v.startsWith(p.text);
    case 'suffix':
      return v.endsWith(p.text);
    case 'contains':
      return v.includes(p.text);
    case 'exact':
      return v === p.text;
  }
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('MultiPatternMatcher', () => {
  const KINDS: PatternKind[] = ['prefix', 'suffix', 'contains', 'exact'];

  it('answers prefix, suffix, contains and exact tests like startsWith/endsWith/includes/===', () => {
    const patterns: Pattern[] = [
      { kind: 'prefix', text: '/etc/' },
      { kind: 'prefix', text: '/etc/pam.d/' },
      { kind: 'suffix', text: '.conf' },
      { kind: 'suffix', text: '/.aws/credentials' },
      { kind: 'contains', text: '/.ssh/' },
      { kind: 'contains', text: 'ss' },
      { kind: 'exact', text: '/etc/shadow' },
      { kind: 'contains', text: '' },
      { kind: 'prefix', text: '' },
      { kind: 'suffix', text: '' },
    ];
    const m = MultiPatternMatcher.build(patterns)!;
    for (const v of ['/etc/pam.d/sshd', '/etc/shadow', '/etc/shadow2', '/root/.aws/credentials', '/root/.ssh/id_rsa', 'x.conf', '', '/', 'ss', '/etc', 'é/etc/']) {
      const gen = m.scan(v);
      patterns.forEach((p, i) => expect([p, v, m.hits[m.idOf(i)] === gen]).toEqual([p, v, naive(p, v)]));
    }
  });

  it('agrees with the naive tests on random patterns and values (small alphabet: many overlaps; non-ASCII)', () => {
    const rand = rng(7);
    const alphabet = ['a', 'b', '/', '.', 'é', '\u{1F600}'];
    const word = (max: number) => Array.from({ length: Math.floor(rand() * max) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
    for (let round = 0; round < 40; round++) {
      const patterns: Pattern[] = Array.from({ length: 1 + Math.floor(rand() * 30) }, () => ({ kind: KINDS[Math.floor(rand() * 4)]!, text: word(6) }));
      const m = MultiPatternMatcher.build(patterns)!;
      for (let k = 0; k < 60; k++) {
        const v = word(14);
        const gen = m.scan(v);
        patterns.forEach((p, i) => {
          if ((m.hits[m.idOf(i)] === gen) !== naive(p, v)) throw new Error(`${p.kind} ${JSON.stringify(p.text)} on ${JSON.stringify(v)}`);
        });
      }
      // A value with none of the patterns' characters.
      const miss = m.scan('zzz');
      patterns.forEach((p, i) => expect(m.hits[m.idOf(i)] === miss).toBe(naive(p, 'zzz')));
    }
  });

  it('results stay right across many scans (generation counter) and test() agrees', () => {
    const m = MultiPatternMatcher.build([{ kind: 'suffix', text: 'a' }, { kind: 'prefix', text: 'b' }])!;
    for (let i = 0; i < 10_000; i++) {
      const v = i % 7 < 2 ? 'ba' : i % 7 < 4 ? 'ab' : 'bb'; // runs of the same value, then another
      expect(m.test(v, 0)).toBe(v.endsWith('a'));
    }
  });

  it('refuses to build past the table bound (the caller then tests pattern by pattern)', () => {
    const big: Pattern[] = Array.from({ length: 200 }, (_, i) => ({ kind: 'contains', text: `${String.fromCharCode(0x4e00 + i)}${'x'.repeat(4000)}` }));
    expect(MultiPatternMatcher.build(big)).toBeUndefined();
    expect(MultiPatternMatcher.build([{ kind: 'contains', text: 'abc' }], 8)).toBeUndefined();
    expect(MAX_TABLE_ENTRIES).toBeLessThanOrEqual(1 << 20);
  });

  it('scans in time linear in the value, whatever the patterns (a, aa, aaa, … on aaaa…)', () => {
    const patterns: Pattern[] = Array.from({ length: 200 }, (_, i) => ({ kind: 'contains', text: 'a'.repeat(i + 1) }));
    const m = MultiPatternMatcher.build(patterns)!;
    const time = (n: number) => {
      const v = 'a'.repeat(n);
      const t = process.cpuUsage();
      for (let i = 0; i < 5; i++) m.scan(v);
      const u = process.cpuUsage(t);
      return u.user + u.system;
    };
    time(200_000);
    const small = Math.min(time(100_000), time(100_000), time(100_000));
    const large = Math.min(time(1_000_000), time(1_000_000));
    // 10× the input: about 10× the time (quadratic would be 100×); generous for a loaded machine.
    expect(large / small).toBeLessThan(40);
    expect(m.test('a'.repeat(150), 149)).toBe(true);
    expect(m.test('a'.repeat(150), 150)).toBe(false);
  });
});

describe('globLiterals (the pre-test of globs on scanned fields)', () => {
  it.each([
    ['/proc/[0-9]*/exe', '/proc/', '/exe'],
    ['/tmp/*', '/tmp/', ''],
    ['*.so', '', '.so'],
    ['/etc/passwd', '/etc/passwd', '/etc/passwd'],
    ['/dev/sd?', '/dev/sd', ''],
    ['[x', '', 'x'],
    ['a]b*c', 'a', 'c'],
  ])('%s → head %j, tail %j', (g, head, tail) => {
    expect(globLiterals(g)).toEqual({ head, tail });
  });

  it('every value a glob matches starts with its head and ends with its tail', () => {
    const rand = rng(3);
    const chars = ['a', 'b', '/', '*', '?', '[', ']', '!', '0'];
    const word = (n: number) => Array.from({ length: Math.floor(rand() * n) }, () => chars[Math.floor(rand() * chars.length)]).join('');
    let matched = 0;
    for (let i = 0; i < 1500; i++) {
      const g = word(7);
      let re;
      try {
        re = compileGlob(g);
      } catch {
        continue;
      }
      const { head, tail } = globLiterals(g);
      for (let k = 0; k < 20; k++) {
        const v = word(8).replace(/[*?[\]!]/g, 'a');
        if (!re.test(v)) continue;
        matched++;
        if (!(v.startsWith(head) && v.endsWith(tail))) throw new Error(`glob ${JSON.stringify(g)} matched ${JSON.stringify(v)} without head ${JSON.stringify(head)} / tail ${JSON.stringify(tail)}`);
      }
    }
    expect(matched).toBeGreaterThan(50);
  });
});
