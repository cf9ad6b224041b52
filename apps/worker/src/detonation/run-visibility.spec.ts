import { compileRules } from '#analysis';
import { StateTracker } from '#analysis/state/state-tracker';
import { runVisibility } from './run-visibility.js';

const sandbox = { containerId: 'c', containerName: 'n', image: 'i', imageRepository: 'i', imageTag: 'latest', imageDigest: '', privileged: false, mounts: [] };
// Shaped like the upstream Falco rules that need the login uid (exploits of setuid helpers by a logged-in user).
const RULES = `- rule: Helper exploited by a logged-in user
  desc: d
  condition: evt.type = execve and proc.name = pkexec and user.loginuid != 0 and proc.args = ""
  output: "o %user.loginuid"
  priority: CRITICAL
- rule: Entrypoint login uid
  desc: d
  condition: evt.type = execve and proc.name = app and user.loginuid >= -1
  output: "loginuid=%user.loginuid"
  priority: INFORMATIONAL
`;

describe('runVisibility: the login uid is the sandbox\'s, not the probe\'s', () => {
  it('keeps the probe\'s visibility when the runtime read the login uid', () => {
    const probe = { unavailableFields: new Set<string>(), eventTypes: new Set(['execve']) };
    expect(runVisibility(probe, { loginuid: 4294967295 })).toBe(probe);
  });
  it('adds user.loginuid for a run whose runtime could not read it, keeping the event types', () => {
    const v = runVisibility({ unavailableFields: new Set(['proc.env']), eventTypes: new Set(['execve']) }, {});
    expect([...v.unavailableFields].sort()).toEqual(['proc.env', 'user.loginuid']);
    expect([...v.eventTypes!]).toEqual(['execve']);
    expect(runVisibility({ unavailableFields: new Set(['user.loginuid']) }, undefined).unavailableFields.size).toBe(1);
  });
  it('rules needing it are evaluated when it was read, with the value every process inherits', () => {
    const read = compileRules([{ name: 'r.yaml', text: RULES }], runVisibility({ unavailableFields: new Set() }, { loginuid: 1000 }));
    expect(read.notEvaluated).toEqual([]);
    const unread = compileRules([{ name: 'r.yaml', text: RULES }], runVisibility({ unavailableFields: new Set() }, {}));
    expect(unread.notEvaluated.map((n) => [n.rule, n.probeBlind])).toEqual([['Helper exploited by a logged-in user', true], ['Entrypoint login uid', true]]);

    const t = new StateTracker({ sandbox, initial: { pid: 10, loginuid: 1000 } });
    t.push({ ts: 1, source: 'strace', type: 'clone', res: 11, rawres: 11, pid: 10, tid: 10, args: {}, hints: { childPid: 11, cloneFlags: 'SIGCHLD' } });
    const ctx = t.push({ ts: 2, source: 'strace', type: 'execve', res: 0, rawres: 0, pid: 11, tid: 11, args: { filename: '/usr/bin/app' }, proc: { args: ['app'] } })!;
    expect(read.evaluate(ctx).map((m) => m.output)).toEqual(['loginuid=1000']);
  });
});
