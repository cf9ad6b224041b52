/**
 * The optimised rule engine (codegen.ts: one generated function per event type, fields read once
 * per event, shared sub-conditions cached, one multi-pattern scan per string field) against the
 * plain tree-walking evaluator (rules/reference.ts), over random events:
 *  - every shipped rule, events whose strings are drawn from (and mutated around) the literals
 *    the rules themselves test, so that rules fire and nearly fire;
 *  - random conditions over a small vocabulary (many patterns on one field, shared macros,
 *    negations, empty and non-ASCII literals), the shapes the code generator treats specially.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRules, type RuleSource } from '../../../libs/analysis/src/rules/index.js';
import { referenceRuleSet } from '../../../libs/analysis/src/rules/reference.js';
import type { RNode } from '../../../libs/analysis/src/rules/compiler.js';
import { makeContext, seededRandom as rng } from '../../../libs/analysis/src/rules/testing.js';
import type { EvalContext, ProcessState } from '../../../libs/analysis/src/state/context.js';
import type { FdType } from '../../../libs/analysis/src/events/event.js';


const RULES_DIR = join(process.cwd(), 'sandbox-profiles', 'rules');
const shipped: RuleSource[] = readdirSync(RULES_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(join(RULES_DIR, f), 'utf8') }));

/** Every literal and list item the conditions test, and every event type they name. */
function vocabulary(nodes: RNode[]): { strings: string[]; types: string[] } {
  const strings = new Set<string>();
  const types = new Set<string>();
  const seen = new Set<RNode>();
  const walk = (n: RNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n.k === 'and' || n.k === 'or') n.items.forEach(walk);
    else if (n.k === 'not') walk(n.item);
    else if (n.k === 'check') {
      const vals = [...(n.literal !== undefined ? [n.literal] : []), ...(n.list ?? [])];
      for (const v of vals) (n.field.def.name === 'evt.type' ? types : strings).add(v);
    }
  };
  nodes.forEach(walk);
  return { strings: [...strings].sort(), types: [...types].sort() };
}

class EventGen {
  constructor(
    private readonly rand: () => number,
    private readonly strings: string[],
    private readonly types: string[],
  ) {}

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)]!;
  }

  /** A literal, or one mutated around its edges (so prefix/suffix/substring tests nearly match). */
  str(): string {
    const s = this.pick(this.strings);
    switch (Math.floor(this.rand() * 8)) {
      case 0:
        return `/home/u${s}`;
      case 1:
        return `${s}.bak`;
      case 2:
        return s.slice(1);
      case 3:
        return s.slice(0, -1);
      case 4:
        return `${this.pick(this.strings)}${s}`;
      case 5:
        return `${s}/${this.pick(this.strings)}`;
      default:
        return s;
    }
  }

  name(): string {
    const s = this.str();
    return s.slice(s.lastIndexOf('/') + 1) || 'sh';
  }

  proc(): Partial<ProcessState> {
    const exe = this.rand() < 0.5 ? this.str() : `/usr/bin/${this.name()}`;
    return {
      name: this.name(),
      exe,
      exepath: exe,
      args: [exe, ...Array.from({ length: Math.floor(this.rand() * 4) }, () => this.str())],
      uid: this.rand() < 0.5 ? 0 : 1000,
      cwd: this.rand() < 0.5 ? '/' : this.str(),
      env: this.rand() < 0.3 ? [`LD_PRELOAD=${this.str()}`, 'HOME=/root'] : [],
      exeWritten: this.rand() < 0.2,
      tty: this.rand() < 0.2 ? 34816 : 0,
    };
  }

  ctx(): EvalContext {
    const type = this.rand() < 0.9 ? this.pick(this.types) : this.pick(['read', 'mmap', 'fstat', 'unknown_type']);
    const failed = this.rand() < 0.15;
    const fdTypes: FdType[] = ['file', 'file', 'file', 'directory', 'ipv4', 'ipv6', 'unix', 'memfd', 'pipe'];
    const fdType = this.pick(fdTypes);
    const withFd = !failed && this.rand() < 0.8;
    const flags = this.pick(['O_RDONLY', 'O_WRONLY|O_CREAT|O_TRUNC', 'O_RDWR', 'O_RDONLY|O_CLOEXEC', 'O_WRONLY|O_APPEND', '0x241']);
    const path = this.str();
    const ip = this.pick(['10.0.0.7', '127.0.0.1', '169.254.169.254', '45.9.148.10', '93.184.216.34', '::1']);
    const port = this.pick([22, 53, 80, 443, 3333, 4444, 6379, 14444]);
    const fdName = fdType === 'ipv4' || fdType === 'ipv6' ? `172.17.0.2:40000->${ip}:${port}` : path;
    const args: Record<string, string | number> = {
      name: path,
      filename: this.str(),
      flags,
      mode: this.pick(['0644', '0755', '0', '04755']),
      dirfd: 'AT_FDCWD',
      fd: 3,
      argv: this.str(),
      request: this.pick(['PTRACE_ATTACH', 'PTRACE_POKETEXT', 'PTRACE_TRACEME']),
      oldpath: this.str(),
      newpath: this.str(),
      addr: `${ip}:${port}`,
      data: this.str(),
      uid: this.rand() < 0.5 ? 0 : 1000,
    };
    const parents = Array.from({ length: Math.floor(this.rand() * 4) }, () => this.proc());
    return makeContext({
      event: { type, args, rawres: failed ? -2 : 3, res: failed ? 'ENOENT' : 3 },
      proc: this.proc(),
      ancestors: parents,
      fd: withFd ? { num: 3, type: fdType, name: fdName, nameraw: fdName, ...(fdType === 'ipv4' ? { cip: '172.17.0.2', cport: 40000, sip: ip, sport: port, l4proto: 'tcp', family: 'ip' } : {}) } : undefined,
      sandbox: this.rand() < 0.3 ? { lures: new Map([[path, this.pick(['aws-credentials', 'ssh-key', 'k8s-token'])]]) } : {},
    });
  }
}

function compare(sources: RuleSource[], events: number, seed: number, extraStrings: string[] = []): { rules: number; matches: number; rulesFired: number } {
  const set = compileRules(sources);
  const ref = referenceRuleSet(sources);
  expect(set.ruleNames).toEqual(ref.rules.map((r) => r.name).filter((n) => set.ruleNames.includes(n)));
  const voc = vocabulary(ref.rules.map((r) => r.node));
  const gen = new EventGen(rng(seed), [...voc.strings, ...extraStrings, '', '/', 'sh'], voc.types.length ? voc.types : ['openat']);
  let matches = 0;
  const fired = new Set<string>();
  for (let i = 0; i < events; i++) {
    const ctx = gen.ctx();
    const got = set.evaluate(ctx).map((m) => m.rule);
    const want = ref.evaluate(ctx).filter((n) => set.ruleNames.includes(n));
    if (got.join('\n') !== want.join('\n')) {
      // Name the event that differs (a readable failure rather than a count).
      expect({ type: ctx.event.type, fd: ctx.fd?.name, args: ctx.event.args, proc: ctx.proc.name, got }).toEqual({ type: ctx.event.type, fd: ctx.fd?.name, args: ctx.event.args, proc: ctx.proc.name, got: want });
    }
    matches += got.length;
    for (const g of got) fired.add(g);
  }
  return { rules: set.ruleNames.length, matches, rulesFired: fired.size };
}

describe('optimised rule engine = reference evaluator', () => {
  it('on every shipped rule, over 20,000 random events built from the rules’ own literals', () => {
    const r = compare(shipped, 20_000, 17);
    // The events must exercise the rules, not just miss them all.
    expect(r.matches).toBeGreaterThan(1_000);
    expect(r.rulesFired).toBeGreaterThan(40);
  });

  it('on random conditions: many patterns per field, shared macros, negations, globs, empty and non-ASCII literals', () => {
    const rand = rng(99);
    const lits = ['/etc/', '/etc/pam.d/', '.conf', '/.ssh/', 'id_rsa', '/tmp/', '', 'é/ü', '/proc/1/root', 'x', '/x', 'a', 'aa', 'aaa', '/dev/sd', '.so', '/var/run/secrets/', 'shadow', '/etc/shadow'];
    const fields = ['fd.name', 'proc.exepath', 'evt.arg.name', 'fd.filename', 'proc.cmdline', 'tolower(fd.name)'];
    const ops = ['startswith', 'endswith', 'contains', '=', '!=', 'startswith', 'endswith', 'contains'];
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const globs = ['/proc/[0-9]*/exe', '/tmp/*', '*.so', '/etc/*/x?', '/etc/[ps]*', '*', 'a*a', '/.ssh/*id_rsa', '[x', '/dev/sd?'];
    const atom = (): string => {
      const r = rand();
      if (r < 0.1) return `fd.name in (${pick(lits) || 'z'}, ${pick(lits) || 'z'})`;
      if (r < 0.25) return `${pick(fields.slice(0, 4))} glob ${JSON.stringify(pick(globs))}`;
      return `${pick(fields)} ${pick(ops)} ${JSON.stringify(pick(lits))}`;
    };
    // Macros m0..m3; a condition may use the macros defined before it (no cycles).
    const expr = (depth: number, macros: number): string => {
      if (depth === 0 || rand() < 0.3) return macros > 0 && rand() < 0.25 ? `m${Math.floor(rand() * macros)}` : atom();
      const parts = Array.from({ length: 2 + Math.floor(rand() * 5) }, () => expr(depth - 1, macros));
      const e = `(${parts.join(rand() < 0.5 ? ' or ' : ' and ')})`;
      return rand() < 0.2 ? `not ${e}` : e;
    };
    let text = '';
    for (let m = 0; m < 4; m++) text += `- macro: m${m}\n  condition: ${JSON.stringify(`(${expr(2, m)} or ${atom()})`)}\n`;
    for (let r = 0; r < 60; r++) {
      const type = pick(['evt.type = openat and ', 'evt.type in (openat, execve) and ', 'evt.type != connect and ', '']);
      text += `- rule: R${r}\n  desc: d\n  condition: ${JSON.stringify(type + expr(3, 4))}\n  output: "%fd.name"\n  priority: WARNING\n`;
    }
    const r = compare([{ name: 'random.yaml', text }], 10_000, 5, [...lits, '/proc/12/exe', '/tmp/x', '/etc/a/xy', '/etc/p', '/dev/sda']);
    expect(r.rules).toBe(60);
    expect(r.matches).toBeGreaterThan(1_000);
  });
});
