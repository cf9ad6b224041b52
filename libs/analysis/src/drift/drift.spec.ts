import { type DriftReportInput, diffBehaviour, snapshotFromReport } from './drift.js';

const base: DriftReportInput = {
  analysisId: 'a1',
  digest: 'sha256:1',
  verdict: 'clean',
  score: 0,
  findings: [],
  processTree: [{ exepath: '/bin/hello', execs: [{ exepath: '/bin/hello' }], children: [] }],
  filesWritten: [{ path: '/tmp/cache', ops: ['create', 'write'] }],
  network: [{ syscall: 'bind', family: 'ipv4', address: '0.0.0.0', port: 8080 }],
};

describe('behaviour drift', () => {
  it('reports nothing when two runs behave the same (same digest or not)', () => {
    const d = diffBehaviour(snapshotFromReport(base), snapshotFromReport({ ...base, analysisId: 'a2', digest: 'sha256:2' }));
    expect(d).toMatchObject({ changed: false, digestChanged: true, findings: { added: [], removed: [] }, newExecutables: [], newFiles: [], newDestinations: [], score: { delta: 0 } });
  });

  it('finds added and removed findings, first-run executables (nested, exec chains), new files, new destinations, score and verdict change', () => {
    const prev: DriftReportInput = { ...base, findings: [{ rule: 'Old rule' }], verdict: 'suspicious', score: 30 };
    const cur: DriftReportInput = {
      analysisId: 'a2',
      digest: 'sha256:2',
      verdict: 'malicious',
      score: 85,
      findings: [{ rule: 'Reverse shell' }, { rule: 'Reverse shell' }],
      processTree: [{ exepath: '/bin/hello', execs: [{ exepath: '/bin/hello' }], children: [{ exepath: '/bin/sh', execs: [{ exepath: '/bin/sh' }, { exepath: '/tmp/payload' }] }] }],
      filesWritten: [
        { path: '/tmp/cache', ops: ['write'] },
        { path: '/tmp/payload', ops: ['create', 'chmod'] },
        { path: '/tmp/gone', ops: ['delete'] },
      ],
      network: [
        { syscall: 'bind', family: 'ipv4', address: '0.0.0.0', port: 9090 },
        { syscall: 'connect', family: 'ipv4', address: '10.0.0.9', port: 4444 },
        { syscall: 'connect', family: 'ipv6', address: '::1', port: 53 },
      ],
    };
    const d = diffBehaviour(snapshotFromReport(prev), snapshotFromReport(cur));
    expect(d.changed).toBe(true);
    expect(d.findings).toEqual({ added: ['Reverse shell'], removed: ['Old rule'] });
    expect(d.newExecutables).toEqual(['/bin/sh', '/tmp/payload']);
    expect(d.newFiles).toEqual(['/tmp/payload']);
    expect(d.newDestinations).toEqual(['ipv4 10.0.0.9:4444', 'ipv6 [::1]:53']);
    expect(d.score).toEqual({ previous: 30, current: 85, delta: 55 });
    expect(d.verdict).toEqual({ previous: 'suspicious', current: 'malicious', changed: true });
  });

  it('counts a finding that disappeared as drift, and caps long lists', () => {
    const d = diffBehaviour(snapshotFromReport({ ...base, findings: [{ rule: 'X' }] }), snapshotFromReport(base));
    expect(d.changed).toBe(true);
    expect(d.findings.removed).toEqual(['X']);
    const many = { ...base, filesWritten: Array.from({ length: 10 }, (_, i) => ({ path: `/tmp/f${i}`, ops: ['create' as const] })) };
    const capped = diffBehaviour(snapshotFromReport(base), snapshotFromReport(many), 4);
    expect(capped.newFiles).toHaveLength(4);
    expect(capped.truncated).toBe(6);
  });

  it('reads the network section of reports with a simulated network (connections + DNS names) and the older bare array alike', () => {
    const old = snapshotFromReport({ ...base, network: [{ syscall: 'connect', family: 'ipv4', address: '10.0.0.9', port: 53 }] });
    const cur = snapshotFromReport({
      ...base,
      analysisId: 'a2',
      network: { connections: [{ syscall: 'connect', family: 'ipv4', address: '10.0.0.9', port: 53 }], dns: [{ name: 'deb.debian.org' }, { name: 'XMR.Pool.Example' }] },
    });
    expect(cur.destinations).toEqual(['dns deb.debian.org', 'dns xmr.pool.example', 'ipv4 10.0.0.9:53']);
    expect(diffBehaviour(old, cur).newDestinations).toEqual(['dns deb.debian.org', 'dns xmr.pool.example']);
    expect(diffBehaviour(cur, cur).changed).toBe(false);
  });
});
