/**
 * sandbox-profiles/rules/resource-abuse.yaml (issue 13): a sample stopped by the sandbox's disk
 * limit is a finding, from the sandbox's own observation or from the trace; ordinary writes are not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileRules } from '../../../libs/analysis/src/rules/index.js';
import { sandboxEvent, sys, sysFd } from './rule-cases.js';

const RULES_DIR = fileURLToPath(new URL('../../../sandbox-profiles/rules/', import.meta.url));
const all = compileRules(readdirSync(RULES_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => ({ name: f, text: readFileSync(RULES_DIR + f, 'utf8') })));
const own = compileRules([{ name: 'resource-abuse.yaml', text: readFileSync(RULES_DIR + 'resource-abuse.yaml', 'utf8') }]);
const RULE = 'Sandbox Disk Limit Reached';
const file = (name: string) => ({ num: 3, type: 'file' as const, name, connected: false, isServer: false, nameChanged: false });

describe('resource-abuse.yaml', () => {
  it('loads cleanly and holds exactly the disk rule', () => {
    expect(own.report.filter((r) => r.status !== 'loaded')).toEqual([]);
    expect(own.notEvaluated).toEqual([]);
    expect([...own.ruleNames]).toEqual([RULE]);
  });

  it.each([
    ['the sandbox observation', sandboxEvent('disk_limit_hit', { count: 1, detail: 'wrote 37945344 of 37965437 bytes' })],
    ['a write refused by the quota', sysFd('write', { fd: 3, size: 1048576 }, file('/disk-fill.bin'), {}, 'EDQUOT', -122)],
    ['a pwrite64 refused by the quota', sysFd('pwrite64', { fd: 3 }, file('/var/lib/app/db'), {}, 'EDQUOT', -122)],
    ['a write to a full VOLUME tmpfs', sysFd('writev', { fd: 3 }, file('/data/fill'), {}, 'ENOSPC', -28)],
    ['a file that could not be created', sys('openat', { dirfd: -100, name: '/x', flags: 'O_WRONLY|O_CREAT' }, {}, 'EDQUOT', -122)],
  ])('fires on %s (with every shipped rule loaded)', (_what, ctx) => {
    expect(own.evaluate(ctx).map((m) => m.rule)).toContain(RULE);
    expect(all.evaluate(ctx).map((m) => m.rule)).toContain(RULE);
    expect(all.evaluate(ctx).find((m) => m.rule === RULE)!.priority).toBe('warning');
  });

  it.each([
    ['a successful write', sysFd('write', { fd: 3, size: 4096 }, file('/var/log/app.log'), {}, 4096, 4096)],
    ['a write to a closed pipe', sysFd('write', { fd: 3 }, file('pipe:[1]'), {}, 'EPIPE', -32)],
    ['a read failing with EDQUOT (not a write)', sysFd('read', { fd: 3 }, file('/x'), {}, 'EDQUOT', -122)],
    ['other sandbox observations', sandboxEvent('pids_limit_hit', { count: 3 })],
    ['an OOM kill', sandboxEvent('oom_kill', { count: 1 })],
  ])('stays quiet on %s', (_what, ctx) => {
    expect(all.evaluate(ctx).map((m) => m.rule)).not.toContain(RULE);
  });
});
