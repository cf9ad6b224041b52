import { parseLoginuid } from './loginuid.js';

describe('parseLoginuid', () => {
  it('reads the kernel\'s decimal text, unset included', () => {
    expect(parseLoginuid('4294967295')).toBe(4294967295);
    expect(parseLoginuid('1000\n')).toBe(1000);
    expect(parseLoginuid('0')).toBe(0);
  });
  it('gives undefined for a missing file or anything that is not a 32-bit uid', () => {
    for (const t of ['', 'x', '-1', '4294967296', '12345678901', '1 2']) expect(parseLoginuid(t)).toBeUndefined();
  });
});
