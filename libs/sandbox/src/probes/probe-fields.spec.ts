import { defaultFields } from '#analysis/rules/index';
import { PROBES } from '#core/profiles/probes';
import { readFileSync } from 'node:fs';
import { EbpfProbe } from './ebpf.probe.js';
import { FalcoProbe } from './falco.probe.js';
import { FtraceProbe } from './ftrace.probe.js';
import { GvisorProbe } from './gvisor.probe.js';
import { PerfProbe } from './perf.probe.js';
import type { Probe } from './probe.js';
import { PROBE_UNAVAILABLE_FIELDS, SANDBOX_SUPPLIED_FIELDS } from './probe-fields.js';
import { StraceProbe } from './strace.probe.js';
import { TraceeProbe } from './tracee.probe.js';

// "Which fields each probe cannot supply" is one explicit list: every probe declares exactly its
// entry, every entry names a real rule field, and docs/probes.md shows the same list.
const instances: Record<string, Probe> = {
  strace: new StraceProbe(), ebpf: new EbpfProbe(), gvisor: new GvisorProbe(), perf: new PerfProbe(), ftrace: new FtraceProbe(),
  falco: new FalcoProbe(), tracee: new TraceeProbe(),
};

describe('fields each probe cannot supply', () => {
  it('lists every probe this build runs, and each probe declares exactly its list', () => {
    expect(Object.keys(PROBE_UNAVAILABLE_FIELDS).sort()).toEqual([...PROBES].sort());
    for (const name of PROBES) {
      expect({ name, fields: [...instances[name]!.unavailableFields].sort() }).toEqual({ name, fields: [...PROBE_UNAVAILABLE_FIELDS[name]].sort() });
    }
  });

  it('names only fields the rule engine knows (a typo would silently evaluate a blind rule)', () => {
    const unknown = Object.entries(PROBE_UNAVAILABLE_FIELDS).flatMap(([p, fs]) =>
      fs.filter((f) => defaultFields.get(f.replace(/^(evt\.(raw)?arg)\..*$/, '$1')) === undefined).map((f) => `${p}: ${f}`));
    expect(unknown).toEqual([]);
  });

  it('the login uid is supplied by the sandbox for the probes that trace the held entrypoint\'s processes', () => {
    expect(SANDBOX_SUPPLIED_FIELDS).toEqual(['user.loginuid']);
    for (const p of ['strace', 'ebpf', 'perf', 'ftrace'] as const) expect(PROBE_UNAVAILABLE_FIELDS[p]).not.toContain('user.loginuid');
    for (const p of ['gvisor', 'falco', 'tracee'] as const) expect(PROBE_UNAVAILABLE_FIELDS[p]).toContain('user.loginuid');
  });

  it('docs/probes.md lists, for each probe, the fields it cannot supply', () => {
    const doc = readFileSync('docs/probes.md', 'utf8');
    for (const name of PROBES) {
      const row = doc.split('\n').find((l) => l.startsWith('| ') && l.split('|')[1]!.includes(`\`${name}\``));
      expect({ name, row: row !== undefined }).toEqual({ name, row: true });
      const missing = PROBE_UNAVAILABLE_FIELDS[name].filter((f) => !row!.includes(`\`${f}\``));
      expect({ name, missing }).toEqual({ name, missing: [] });
    }
  });

  it('the ebpf probe reports 32-bit ABI use only with the libbpf engine (the bpftrace engine does not see it)', () => {
    expect(new EbpfProbe().eventTypes.has('compat_syscall')).toBe(true);
    expect(new EbpfProbe({ engine: 'bpftrace' }).eventTypes.has('compat_syscall')).toBe(false);
    expect(new EbpfProbe({ engine: 'bpftrace' }).eventTypes.has('openat')).toBe(true);
  });
});
