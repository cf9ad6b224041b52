import { compileRules } from '../../../libs/analysis/src/rules/index.js';
import { open } from './rule-cases.js';

// The code generator reads a field once per event and answers `f endswith a or f contains b or …`
// from one multi-pattern scan of its value (libs/analysis/src/rules/codegen.ts, multi-pattern.ts).
// Each test of the group, the tests around it and a negation must keep their meaning.
const rule = (condition: string) =>
  compileRules([{ name: 't.yaml', text: `- rule: T\n  desc: t\n  condition: ${JSON.stringify(condition)}\n  output: "%fd.name"\n  priority: WARNING\n` }]);
const fires = (condition: string, path: string, procName = 'cat') =>
  rule(condition).evaluate(open(path, 'O_RDONLY', { name: procName, exe: `/bin/${procName}` })).length > 0;

describe('string tests on one field, grouped in an or', () => {
  const cond = 'evt.type = openat and (fd.name endswith /.aws/credentials or fd.name contains /.ssh/ or fd.name startswith /etc/shad or fd.name = /root/.netrc or proc.name = curl)';
  it.each([
    ['/root/.aws/credentials', 'cat', true],
    ['/home/u/.ssh/id_rsa', 'cat', true],
    ['/etc/shadow', 'cat', true],
    ['/root/.netrc', 'cat', true],
    ['/etc/hosts', 'curl', true],
    ['/etc/hosts', 'cat', false],
    ['/root/.aws/credentials.bak', 'cat', false],
    ['/root/.netrc2', 'cat', false],
    ['/etc/passwd', 'cat', false],
  ] as const)('%s opened by %s → %s', (path, proc, expected) => {
    expect(fires(cond, path, proc)).toBe(expected);
  });

  it('keeps a negated group a negation', () => {
    const neg = 'evt.type = openat and not (fd.name endswith .conf or fd.name endswith .ini)';
    expect([fires(neg, '/etc/app.conf'), fires(neg, '/etc/app.ini'), fires(neg, '/etc/app.yaml')]).toEqual([false, false, true]);
  });
});
