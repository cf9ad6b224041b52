import { compileOutput } from './output.js';
import { defaultFields } from './fields.js';
import { makeContext } from './testing.js';

describe('output templates (generated formatters)', () => {
  const ctx = makeContext({ proc: { name: 'curl' }, fd: { name: '/etc/shadow' } });

  it('keeps literal text exactly, whatever characters it holds', () => {
    const t = 'a "quoted" \\ back`tick` ${x} \u2028 %% é proc=%proc.name file=%fd.name missing=%fd.sip end';
    expect(compileOutput(t, defaultFields).format(ctx)).toBe('a "quoted" \\ back`tick` ${x} \u2028 % é proc=curl file=/etc/shadow missing=<NA> end');
  });

  it('formats templates with many fields (past the generated-expression bound) the same way', () => {
    const t = Array.from({ length: 400 }, (_, i) => `${i}=%proc.name`).join(' ');
    expect(compileOutput(t, defaultFields).format(ctx)).toBe(Array.from({ length: 400 }, (_, i) => `${i}=curl`).join(' '));
  });
});
