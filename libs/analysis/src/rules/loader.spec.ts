import { compileRules, type CompiledRuleSet, type LoadItemReport } from './index.js';
import { DefaultFieldRegistry } from './fields.js';
import type { FieldDef } from './field.js';
import { makeContext, type ContextInit } from './testing.js';

const src = (text: string, name = 'rules.yaml') => ({ name, text });
const fired = (set: CompiledRuleSet, init: ContextInit) => set.evaluate(makeContext(init)).map((m) => m.rule);
const item = (set: CompiledRuleSet, kind: LoadItemReport['kind'], name: string) => set.report.find((r) => r.kind === kind && r.name === name);

const execOf = (name: string, args: string[] = [name], extra: ContextInit = {}): ContextInit => ({
  event: { type: 'execve', args: { filename: `/usr/bin/${name}` } },
  proc: { name, exe: `/usr/bin/${name}`, exepath: `/usr/bin/${name}`, args },
  ...extra,
});

describe('lists and macros', () => {
  const text = `
- list: shells
  items: [bash, sh]
- list: more_shells
  items: [shells, zsh, '"quoted_shells"']
- list: quoted_shells
  items: [ksh]
- macro: spawned_process
  condition: evt.type in (execve, execveat)
- macro: shell_procs
  condition: proc.name in (more_shells)
- macro: shell_spawn
  condition: spawned_process and shell_procs
- rule: Shell
  desc: a shell ran
  condition: shell_spawn and not proc.pname in (shells)
  output: shell %proc.name
  priority: notice
`;
  const set = compileRules([src(text)]);

  it('expands nested lists inside ( … ) and nested macros', () => {
    expect(set.report.every((r) => r.status === 'loaded')).toBe(true);
    expect(fired(set, execOf('bash'))).toEqual(['Shell']);
    expect(fired(set, execOf('zsh'))).toEqual(['Shell']);
    expect(fired(set, execOf('curl'))).toEqual([]);
    // the parent is in the (nested) list → excluded
    expect(fired(set, execOf('sh', ['sh'], { ancestors: [{ name: 'bash' }] }))).toEqual([]);
  });

  it('keeps quoted list items literal (no expansion)', () => {
    expect(fired(set, execOf('ksh'))).toEqual([]);
    expect(fired(set, execOf('quoted_shells'))).toEqual(['Shell']);
  });

  it('macros defined after the rule that uses them still resolve', () => {
    const s = compileRules([src(`
- rule: Late
  desc: d
  condition: late_macro
  output: o
  priority: info
- macro: late_macro
  condition: proc.name = late
`)]);
    expect(item(s, 'rule', 'Late')?.status).toBe('loaded');
    expect(fired(s, { proc: { name: 'late' } })).toEqual(['Late']);
  });

  it('reports macro cycles without crashing', () => {
    const s = compileRules([src(`
- macro: a
  condition: b
- macro: b
  condition: a
- rule: Cyc
  desc: d
  condition: a
  output: o
  priority: info
`)]);
    expect(item(s, 'rule', 'Cyc')).toMatchObject({ status: 'error', reason: expect.stringContaining('macro cycle') });
  });
});

describe('exceptions', () => {
  const text = `
- list: allowed_writers
  items: [apk, dpkg]
- rule: Write below etc
  desc: d
  condition: evt.type = openat and evt.is_open_write = true and fd.name startswith /etc/
  output: write %fd.name by %proc.name
  priority: error
  exceptions:
    - name: known_writers
      fields: [proc.name, fd.name]
      comps: [=, startswith]
      values:
        - [nginx, /etc/nginx/]
        - [certbot, /etc/letsencrypt]
    - name: by_list
      fields: [proc.name]
      comps: [in]
      values:
        - [allowed_writers]
    - name: shorthand
      fields: proc.pname
      values: [systemd, init]
    - name: default_comps
      fields: [proc.name, fd.name]
      values:
        - [vi, /etc/hosts]
`;
  const set = compileRules([src(text)]);
  const w = (proc: string, file: string, parent = 'sh') => ({
    event: { type: 'openat', args: { name: file, flags: 'O_WRONLY|O_CREAT' } },
    fd: { name: file, type: 'file' as const },
    proc: { name: proc },
    ancestors: [{ name: parent }],
  });

  it('compiles exceptions to "and not (…)" with per-field comps', () => {
    expect(item(set, 'rule', 'Write below etc')?.status).toBe('loaded');
    expect(fired(set, w('evil', '/etc/passwd'))).toEqual(['Write below etc']);
    expect(fired(set, w('nginx', '/etc/nginx/nginx.conf'))).toEqual([]);
    expect(fired(set, w('nginx', '/etc/passwd'))).toEqual(['Write below etc']); // tuple needs both fields
    expect(fired(set, w('certbot', '/etc/letsencrypt/live/x'))).toEqual([]);
  });
  it('expands list names in exception values', () => {
    expect(fired(set, w('apk', '/etc/apk/world'))).toEqual([]);
    expect(fired(set, w('dpkg', '/etc/x'))).toEqual([]);
  });
  it('supports the single-field shorthand (comps default to in) and default = comps', () => {
    expect(fired(set, w('evil', '/etc/passwd', 'systemd'))).toEqual([]);
    expect(fired(set, w('vi', '/etc/hosts'))).toEqual([]);
    expect(fired(set, w('vi', '/etc/hostsX'))).toEqual(['Write below etc']);
  });
  it('rejects malformed exceptions with a reason and line', () => {
    const s = compileRules([src(`- rule: Bad
  desc: d
  condition: proc.name = x
  output: o
  priority: info
  exceptions:
    - name: mismatch
      fields: [proc.name, fd.name]
      values:
        - [only_one]
`)]);
    expect(item(s, 'rule', 'Bad')).toMatchObject({ status: 'error', line: 7, reason: expect.stringContaining("has 1 entries, 'fields' has 2") });
    const u = compileRules([src(`- rule: BadField
  desc: d
  condition: proc.name = x
  output: o
  priority: info
  exceptions:
    - name: nope
      fields: [proc.nosuchfield]
      values: [[a]]
`)]);
    expect(item(u, 'rule', 'BadField')).toMatchObject({ status: 'skipped', reason: expect.stringContaining("unknown field 'proc.nosuchfield'") });
  });
});

describe('append and override', () => {
  const base = `
- list: bins
  items: [nc]
- macro: net_tool
  condition: proc.name in (bins)
- rule: Net tool
  desc: network tool
  condition: evt.type = execve and net_tool
  output: tool %proc.name
  priority: warning
  tags: [network]
  exceptions:
    - name: by_parent
      fields: [proc.pname]
      values: [[cron]]
`;
  it('legacy append: lists, macros and rule conditions/exceptions', () => {
    const set = compileRules([
      src(base, 'base.yaml'),
      src(`
- list: bins
  items: [ncat]
  append: true
- macro: net_tool
  condition: or proc.name = socat
  append: true
- rule: Net tool
  condition: and not proc.cwd = /safe
  append: true
- rule: Net tool
  exceptions:
    - name: by_parent
      values: [[make]]
  append: true
`, 'local.yaml'),
    ]);
    expect(set.report.filter((r) => r.status !== 'loaded')).toEqual([]);
    expect(fired(set, execOf('ncat'))).toEqual(['Net tool']);
    expect(fired(set, execOf('socat'))).toEqual(['Net tool']);
    expect(fired(set, execOf('nc', ['nc'], { proc: { name: 'nc', cwd: '/safe' } }))).toEqual([]);
    expect(fired(set, execOf('nc', ['nc'], { ancestors: [{ name: 'cron' }] }))).toEqual([]);
    expect(fired(set, execOf('nc', ['nc'], { ancestors: [{ name: 'make' }] }))).toEqual([]);
    expect(fired(set, execOf('nc', ['nc'], { ancestors: [{ name: 'bash' }] }))).toEqual(['Net tool']);
  });

  it('override: append and replace per key', () => {
    const set = compileRules([
      src(base, 'base.yaml'),
      src(`
- list: bins
  items: [curl]
  override:
    items: replace
- rule: Net tool
  condition: and user.uid = 0
  priority: critical
  tags: [mitre_discovery]
  output: replaced %proc.name
  enabled: true
  override:
    condition: append
    priority: replace
    tags: append
    output: replace
    enabled: replace
`, 'local.yaml'),
    ]);
    expect(set.report.filter((r) => r.status !== 'loaded')).toEqual([]);
    expect(fired(set, execOf('nc'))).toEqual([]); // items replaced
    const m = set.evaluate(makeContext(execOf('curl')));
    expect(m).toEqual([{ rule: 'Net tool', priority: 'critical', tags: ['network', 'mitre_discovery'], output: 'replaced curl' }]);
    expect(fired(set, execOf('curl', ['curl'], { proc: { name: 'curl', uid: 1000 } }))).toEqual([]);
  });

  it('override of exceptions replaces them; enabled-only item toggles a rule', () => {
    const set = compileRules([
      src(base, 'base.yaml'),
      src(`
- rule: Net tool
  exceptions:
    - name: other
      fields: [proc.cwd]
      values: [[/ok]]
  override:
    exceptions: replace
`, 'local.yaml'),
    ]);
    expect(fired(set, execOf('nc', ['nc'], { ancestors: [{ name: 'cron' }] }))).toEqual(['Net tool']);
    expect(fired(set, execOf('nc', ['nc'], { proc: { name: 'nc', cwd: '/ok' } }))).toEqual([]);
    const off = compileRules([src(base), src('- rule: Net tool\n  enabled: false\n', 'off.yaml')]);
    expect(off.ruleNames).toEqual([]);
    expect(item(off, 'rule', 'Net tool')?.reason).toMatch(/disabled/);
  });

  it('errors: append to an undefined item, forbidden override, append together with override', () => {
    const set = compileRules([
      src(base, 'base.yaml'),
      src(`- rule: Missing
  condition: and x
  append: true
- rule: Net tool
  priority: info
  override:
    priority: append
- macro: net_tool
  condition: or y
  append: true
  override:
    condition: append
- rule: Net tool
  desc: x
  condition: and z
  override:
    condition: append
`, 'bad.yaml'),
    ]);
    const bad = set.report.filter((r) => r.file === 'bad.yaml');
    expect(bad.map((r) => [r.status, r.line])).toEqual([
      ['error', 1],
      ['error', 4],
      ['error', 8],
      ['error', 13],
    ]);
    expect(bad[0]!.reason).toMatch(/append to undefined rule 'Missing'/);
    expect(bad[1]!.reason).toMatch(/'priority' can only be overridden with replace/);
    expect(bad[2]!.reason).toMatch(/cannot be used together/);
    expect(bad[3]!.reason).toMatch(/desc not listed in 'override'/);
    // base rule still intact
    expect(fired(set, execOf('nc'))).toEqual(['Net tool']);
  });
});

describe('priorities, sources, enabled', () => {
  it('accepts every priority case-insensitively, info as an alias, and rejects others', () => {
    const prios = ['EMERGENCY', 'Alert', 'critical', 'ERROR', 'warning', 'NOTICE', 'informational', 'INFO', 'debug'];
    const text = prios.map((p, i) => `- rule: r${i}\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: ${p}\n`).join('') + '- rule: bad\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: severe\n';
    const set = compileRules([src(text)]);
    expect(set.evaluate(makeContext({ proc: { name: 'x' } })).map((m) => m.priority)).toEqual([
      'emergency',
      'alert',
      'critical',
      'error',
      'warning',
      'notice',
      'informational',
      'informational',
      'debug',
    ]);
    expect(item(set, 'rule', 'bad')).toMatchObject({ status: 'error', line: 50, reason: expect.stringContaining("invalid priority 'severe'") });
  });

  it('skips rules for other sources with a reason', () => {
    const set = compileRules([src(`
- rule: K8s
  desc: d
  condition: ka.verb = create
  output: o
  priority: warning
  source: k8s_audit
- rule: Okta
  desc: d
  condition: okta.evt.type = x
  output: o
  priority: warning
  source: okta
`)]);
    expect(item(set, 'rule', 'K8s')).toMatchObject({ status: 'skipped', reason: expect.stringContaining("source 'k8s_audit' is not supported") });
    expect(item(set, 'rule', 'Okta')).toMatchObject({ status: 'skipped', reason: expect.stringContaining("source 'okta'") });
  });

  it('disabled rules load but are not evaluated; profile-disabled rules are listed', () => {
    const set = compileRules(
      [src('- rule: A\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: info\n  enabled: false\n- rule: B\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: info\n')],
      { disabledRules: new Set(['B']) },
    );
    expect(set.ruleNames).toEqual([]);
    expect(set.notEvaluated).toEqual([{ rule: 'B', reason: 'disabled by the profile', priority: 'informational', probeBlind: false }]);
    expect(fired(set, { proc: { name: 'x' } })).toEqual([]);
  });
});

describe('load errors carry line and column', () => {
  it('malformed YAML', () => {
    const set = compileRules([src('- rule: A\n  desc: [unclosed\n  condition: x\n')]);
    expect(set.report[0]).toMatchObject({ kind: 'unknown', status: 'error', file: 'rules.yaml', line: expect.any(Number), column: expect.any(Number) });
    expect(set.report[0]!.reason).toMatch(/YAML syntax error/);
    const notList = compileRules([src('rule: A\n')]);
    expect(notList.report[0]).toMatchObject({ status: 'error', line: 1, column: 1, reason: expect.stringContaining('must be a YAML list') });
  });

  it('condition syntax errors map into plain, folded, literal and quoted scalars', () => {
    const text = [
      '- rule: Plain', //1
      '  desc: d', //2
      '  condition: proc.name = a and and', //3
      '  output: o', //4
      '  priority: info', //5
      '- rule: Folded', //6
      '  desc: d', //7
      '  condition: >', //8
      '    proc.name = a', //9
      '    and proc.pname in (x, y', //10
      '  output: o', //11
      '  priority: info', //12
      '- rule: Literal', //13
      '  desc: d', //14
      '  condition: |', //15
      '    proc.name = a', //16
      '      or fd.name = ', //17
      '  output: o', //18
      '  priority: info', //19
      '- rule: Quoted', //20
      '  desc: d', //21
      '  condition: "proc.name = \\"a\\" oops"', //22
      '  output: o', //23
      '  priority: info', //24
    ].join('\n');
    const set = compileRules([src(text)]);
    expect(item(set, 'rule', 'Plain')).toMatchObject({ status: 'error', line: 3, column: 32 });
    // unterminated list: reported at end of the list text (line 10)
    expect(item(set, 'rule', 'Folded')).toMatchObject({ status: 'error', line: 10 });
    expect(item(set, 'rule', 'Folded')!.reason).toMatch(/unterminated list/);
    expect(item(set, 'rule', 'Literal')).toMatchObject({ status: 'error', line: 17 });
    expect(item(set, 'rule', 'Quoted')).toMatchObject({ status: 'error', line: 22, column: 33 });
  });

  it('errors inside a macro point at the macro', () => {
    const set = compileRules([src('- macro: m\n  condition: proc.name = \n- rule: R\n  desc: d\n  condition: m\n  output: o\n  priority: info\n')]);
    expect(item(set, 'macro', 'm')).toMatchObject({ status: 'error', line: 2 });
    expect(item(set, 'rule', 'R')).toMatchObject({ status: 'skipped', reason: expect.stringContaining("macro 'm' has an error") });
  });

  it('missing keys and bad types', () => {
    const set = compileRules([src('- rule: NoCond\n  desc: d\n  output: o\n  priority: info\n- rule: BadEnabled\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: info\n  enabled: maybe\n- 42\n- frobnicate: x\n')]);
    expect(item(set, 'rule', 'NoCond')).toMatchObject({ status: 'error', line: 1, reason: expect.stringContaining('missing required key: condition') });
    expect(item(set, 'rule', 'BadEnabled')).toMatchObject({ status: 'error', reason: expect.stringContaining("'enabled' must be true or false") });
    expect(set.report.find((r) => r.line === 11)).toMatchObject({ kind: 'unknown', status: 'error' });
    expect(set.report.find((r) => r.line === 12)).toMatchObject({ kind: 'unknown', status: 'skipped', reason: expect.stringContaining('unknown item type') });
  });

  it('type errors are errors, with the position of the check', () => {
    const set = compileRules([src('- rule: T\n  desc: d\n  condition: evt.type = execve and user.uid = root\n  output: o\n  priority: info\n')]);
    expect(item(set, 'rule', 'T')).toMatchObject({ status: 'error', line: 3, column: 36, reason: expect.stringContaining("'root' is not a number") });
  });
});

describe('unknown fields, macros and probe capabilities', () => {
  it('skips a rule using an unknown field, naming the field (also through a macro)', () => {
    const set = compileRules([src(`- macro: uses_bad
  condition: proc.exe_ino.ctime > 0
- rule: Direct
  desc: d
  condition: evt.type = open and fd.nosuch = 1
  output: o
  priority: info
- rule: Indirect
  desc: d
  condition: evt.type = open and uses_bad
  output: o
  priority: info
- rule: NoMacro
  desc: d
  condition: evt.type = open and missing_macro
  output: o
  priority: info
`)]);
    expect(item(set, 'rule', 'Direct')).toMatchObject({ status: 'skipped', line: 5, column: 34, reason: expect.stringContaining("unknown field 'fd.nosuch'") });
    expect(item(set, 'rule', 'Indirect')).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/unknown field 'proc.exe_ino.ctime' \(in macro 'uses_bad' at rules.yaml:2:14\)/) });
    expect(item(set, 'macro', 'uses_bad')).toMatchObject({ status: 'skipped', reason: expect.stringContaining('proc.exe_ino.ctime') });
    expect(item(set, 'rule', 'NoMacro')).toMatchObject({ status: 'skipped', reason: "undefined macro 'missing_macro'" });
    expect(set.ruleNames).toEqual([]);
  });

  it('lists rules needing unavailable fields as notEvaluated', () => {
    const text = '- rule: Path\n  desc: d\n  condition: evt.type = openat and fd.name = /etc/shadow\n  output: o\n  priority: info\n- rule: Exec\n  desc: d\n  condition: evt.type = execve and proc.name = nc\n  output: o %fd.name\n  priority: info\n';
    const set = compileRules([src(text)], { unavailableFields: new Set(['fd.name']) });
    expect(set.ruleNames).toEqual(['Exec']);
    expect(set.notEvaluated).toEqual([{ rule: 'Path', reason: 'needs field the probe cannot supply: fd.name', priority: 'informational', probeBlind: true }]);
  });

  it('lists rules on event types the probe does not capture as notEvaluated (probe-blind)', () => {
    const rule = (name: string, cond: string) => `- rule: ${name}\n  desc: d\n  condition: ${cond}\n  output: o\n  priority: warning\n`;
    const text = [
      rule('Uffd', 'evt.type = userfaultfd'),
      rule('Stat or open', 'evt.type in (newfstatat, openat) and fd.name = /x'),
      rule('Any but exit', 'evt.type != procexit and proc.name = x'),
      rule('Limit', 'evt.type = pids_limit_hit'),
    ].join('');
    const set = compileRules([src(text)], { unavailableFields: new Set(), capturedEventTypes: new Set(['openat', 'execve', 'procexit']) });
    // Partially captured, all-but-one, and runtime observations stay evaluated.
    expect(set.ruleNames).toEqual(['Stat or open', 'Any but exit', 'Limit']);
    expect(set.notEvaluated).toEqual([{ rule: 'Uffd', reason: 'the probe does not capture its event type: userfaultfd', priority: 'warning', probeBlind: true }]);
    expect(compileRules([src(text)]).ruleNames).toHaveLength(4);
  });

  it('unknown output fields render <NA> and are noted', () => {
    const set = compileRules([src('- rule: O\n  desc: d\n  condition: proc.name = x\n  output: "x=%proc.exe_ino.ctime name=%proc.name"\n  priority: info\n')]);
    expect(item(set, 'rule', 'O')).toMatchObject({ status: 'loaded', reason: expect.stringContaining('proc.exe_ino.ctime not provided') });
    expect(set.evaluate(makeContext({ proc: { name: 'x' } }))[0]!.output).toBe('x=<NA> name=x');
  });

  it('renders a folded (`output: >`) template as one line without the trailing newline', () => {
    const set = compileRules([src('- rule: F\n  desc: d\n  condition: proc.name = x\n  output: >\n    first part\n    name=%proc.name\n  priority: info\n')]);
    expect(set.evaluate(makeContext({ proc: { name: 'x' } }))[0]!.output).toBe('first part name=x');
  });
});

describe('evaluation', () => {
  it('indexes rules by event type: an openat rule is never called for execve; an untyped rule sees all', () => {
    let openCalls = 0;
    let anyCalls = 0;
    const reg = new DefaultFieldRegistry();
    const base = reg.list();
    const counter = (name: string, inc: () => void): FieldDef => ({ name, type: 'string', extract: () => (inc(), 'x') });
    const fields = new DefaultFieldRegistry([...base, counter('test.open_probe', () => openCalls++), counter('test.any_probe', () => anyCalls++)]);
    const set = compileRules(
      [
        src(`- rule: Open rule
  desc: d
  condition: evt.type in (open, openat) and test.open_probe = x
  output: o
  priority: info
- rule: Any rule
  desc: d
  condition: test.any_probe = x
  output: o
  priority: info
- rule: Not exec
  desc: d
  condition: evt.type != execve and test.any_probe = x
  output: o
  priority: info
`),
      ],
      { fields },
    );
    expect(set.rules.find((r) => r.name === 'Open rule')!.eventTypes).toEqual(['open', 'openat']);
    expect(set.rules.find((r) => r.name === 'Any rule')!.eventTypes).toBeUndefined();
    expect(set.rules.find((r) => r.name === 'Not exec')!.excludedEventTypes).toEqual(['execve']);

    expect(fired(set, { event: { type: 'execve' } })).toEqual(['Any rule']);
    expect(openCalls).toBe(0);
    expect(anyCalls).toBe(1); // "Not exec" never even runs its closure for execve
    expect(fired(set, { event: { type: 'openat' } })).toEqual(['Open rule', 'Any rule', 'Not exec']);
    expect(openCalls).toBe(1);
    expect(fired(set, { event: { type: 'some_new_syscall' } })).toEqual(['Any rule', 'Not exec']);
    expect(openCalls).toBe(1);
  });

  it('derives event types through macros, or, and negation like Falco', () => {
    const set = compileRules([src(`- macro: m
  condition: evt.type in (connect, sendto)
- rule: A
  desc: d
  condition: (m and proc.name = x) or evt.type = accept
  output: o
  priority: info
- rule: B
  desc: d
  condition: not (evt.type != openat or proc.name = y)
  output: o
  priority: info
- rule: C
  desc: d
  condition: evt.type = openat and evt.type = execve
  output: o
  priority: info
`)]);
    expect(set.rules.find((r) => r.name === 'A')!.eventTypes).toEqual(['accept', 'connect', 'sendto']);
    expect(set.rules.find((r) => r.name === 'B')!.eventTypes).toEqual(['openat']);
    expect(set.notEvaluated).toEqual([{ rule: 'C', reason: 'condition can never match any event type', priority: 'informational', probeBlind: false }]);
  });

  it('fires every matching rule, in load order', () => {
    const set = compileRules([src('- rule: Z\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: info\n- rule: A\n  desc: d\n  condition: evt.type = openat\n  output: o\n  priority: info\n')]);
    expect(fired(set, { event: { type: 'openat' }, proc: { name: 'x' } })).toEqual(['Z', 'A']);
  });

  it('substitutes %field, %field[arg], %(field) and <NA>', () => {
    const set = compileRules([src(`- rule: Out
  desc: d
  condition: evt.type = execve
  output: "%proc.name ran by %proc.pname gp=%proc.aname[2] ggp=%proc.aname[3] arg=%evt.arg.filename (%(user.name)) 100%% flags=%evt.arg.flags."
  priority: info
`)]);
    const out = set.evaluate(makeContext({ event: { type: 'execve', args: { filename: '/bin/nc' } }, proc: { name: 'nc' }, ancestors: [{ name: 'sh' }, { name: 'node' }] }))[0]!.output;
    expect(out).toBe('nc ran by sh gp=node ggp=<NA> arg=/bin/nc (root) 100% flags=<NA>.');
  });

  it('version is a stable sha256 of names and texts', () => {
    const a = compileRules([src('- list: a\n  items: [x]\n')]);
    const b = compileRules([src('- list: a\n  items: [x]\n')]);
    const c = compileRules([src('- list: a\n  items: [x]\n', 'other.yaml')]);
    expect(a.version).toMatch(/^[0-9a-f]{64}$/);
    expect(a.version).toBe(b.version);
    expect(a.version).not.toBe(c.version);
  });
});
