import { imageGlobMatch, wildcardMatch } from './glob.js';

describe('image globs (webhook filter.image)', () => {
  it('keeps the documented semantics: * within a segment, ** across, ? one character but /', () => {
    expect(imageGlobMatch('registry.local:5000/team/*', 'registry.local:5000/team/app:stable')).toBe(true);
    expect(imageGlobMatch('registry.local:5000/*', 'registry.local:5000/team/app:stable')).toBe(false);
    expect(imageGlobMatch('registry.local:5000/**', 'registry.local:5000/team/app:stable')).toBe(true);
    expect(imageGlobMatch('registry.local:5000/team/app:v?', 'registry.local:5000/team/app:v1')).toBe(true);
    expect(imageGlobMatch('a?b', 'a/b')).toBe(false);
    expect(imageGlobMatch('app.(x)+[y]', 'app.(x)+[y]')).toBe(true);
    expect(imageGlobMatch('app.x', 'appyx')).toBe(false);
    expect(imageGlobMatch('**', 'a\nb')).toBe(true);
  });

  it('matches **a**a**a**a**b against a 220-character image name in linear time (38 s with the backtracking RegExp)', () => {
    const name = 'registry.local:5000/' + 'a'.repeat(200);
    const t = performance.now();
    expect(imageGlobMatch('**a**a**a**a**b', name)).toBe(false);
    expect(imageGlobMatch('**a**a**a**a**a**a**a**a**a**a**a**a**b', name + 'a'.repeat(20_000))).toBe(false);
    expect(imageGlobMatch('**a**a**a**a**b', name + 'b')).toBe(true);
    expect(performance.now() - t).toBeLessThan(1000);
  });
});

describe('wildcardMatch (profile rule-file globs)', () => {
  it('matches * across anything, literally otherwise, without backtracking', () => {
    expect(wildcardMatch('*.yaml', 'quarantine-rules.yaml')).toBe(true);
    expect(wildcardMatch('*.yaml', 'rules.yml')).toBe(false);
    expect(wildcardMatch('q*-*.yaml', 'quarantine-rules.yaml')).toBe(true);
    expect(wildcardMatch('a*a', 'a')).toBe(false);
    expect(wildcardMatch('a.?', 'a.?')).toBe(true);
    const t = performance.now();
    expect(wildcardMatch('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(100_000))).toBe(false);
    expect(performance.now() - t).toBeLessThan(1000);
  });
});
