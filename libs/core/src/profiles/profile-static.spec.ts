import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProfile } from './profile.js';

const dir = mkdtempSync(join(tmpdir(), 'q-prof-static-'));
mkdirSync(join(dir, 'rules'));
writeFileSync(join(dir, 'rules', 'a.yaml'), '- list: x\n  items: []\n');
const parse = (yaml: string) => parseProfile(join(dir, 'p.yaml'), yaml, dir);

describe('profile static: block', () => {
  it('defaults: enabled, not minimal, no limits, no overrides', () => {
    expect(parse('name: p\n').static).toEqual({ enabled: true, minimal: false, maxSizeMb: undefined, maxLayers: undefined, checks: {}, weights: {} });
  });

  it('parses every setting', () => {
    const s = parse('static: {enabled: true, minimal: true, maxSizeMb: 200, maxLayers: 12, checks: {root-user: error, no-healthcheck: off}, weights: {warning: 8}, cap: 30}\n').static;
    expect(s).toEqual({ enabled: true, minimal: true, maxSizeMb: 200, maxLayers: 12, checks: { 'root-user': 'error', 'no-healthcheck': 'off' }, weights: { warning: 8 }, cap: 30 });
  });

  it.each([
    ['static: 3', 'p.yaml: static: must be a mapping'],
    ['static: {minmal: true}', 'p.yaml: static.minmal: is not a known field'],
    ['static: {minimal: yes-please}', 'p.yaml: static.minimal: must be true or false'],
    ['static: {maxSizeMb: -1}', 'p.yaml: static.maxSizeMb: must be a number above 0'],
    ['static: {maxLayers: 2.5}', 'p.yaml: static.maxLayers: must be a whole number'],
    ['static: {checks: {rootuser: error}}', 'p.yaml: static.checks.rootuser: is not a static check'],
    ['static: {checks: {root-user: severe}}', 'p.yaml: static.checks.root-user: must be a priority'],
    ['static: {weights: {huge: 3}}', 'p.yaml: static.weights.huge: is not a priority'],
    ['static: {weights: {error: 1000}}', 'p.yaml: static.weights.error: must be a number between 0 and 100'],
    ['static: {cap: 0}', 'p.yaml: static.cap: must be a number above 0'],
  ])('%s → %s', (yaml, message) => {
    expect(() => parse(`${yaml}\n`)).toThrow(message);
  });
});
