import { acceptRefusal, hardeningRefusal, servingRefusal } from './eligibility.js';
import { SelectorError, parseSelector } from './label-selector.js';
import { MAX_NAMES, type NetworkFacts, ciliumNetworkPolicy, networkPolicy, networkShape } from './network-policy.js';
import { RUNTIME_BASELINE, WITHOUT_NO_NEW_PRIVILEGES, allowedSyscalls, seccompProfile, seccompRefusal, spoSeccompProfile } from './seccomp.js';
import { SyscallRecorder, type SyscallRecord, syscallArch } from './syscall-set.js';
import { DANGEROUS_SYSCALLS } from '../../../../test/support/dangerous-syscalls.js';

const STRACE_UNRECORDED = ['brk', 'futex', 'rt_sigaction', 'getpid', 'clock_gettime'];

function record(names: string[], over: Partial<SyscallRecord> = {}): SyscallRecord {
  const r = new SyscallRecorder();
  for (const n of names) r.observe({ source: 'strace', type: n, args: {} });
  return { ...r.record('strace', { complete: true, unrecorded: STRACE_UNRECORDED }), ...over };
}

describe('SyscallRecorder', () => {
  it.each([
    ['syscalls of the probe', [{ source: 'strace', type: 'openat' }, { source: 'strace', type: 'read' }, { source: 'strace', type: 'openat' }], ['openat', 'read'], []],
    ['sandbox observations, network captures and static image checks are not syscalls', [{ source: 'sandbox', type: 'window_timeout' }, { source: 'network', type: 'dns_query' }, { source: 'static', type: 'static' }], [], []],
    ['probe bookkeeping is not a syscall', [{ source: 'strace', type: 'procexit' }, { source: 'strace', type: 'signaldeliver' }], [], []],
    ['an unknown type is kept apart, never allowed', [{ source: 'strace', type: 'syscall_0x1c3' }, { source: 'strace', type: 'write' }], ['write'], ['syscall_0x1c3']],
    ['i386 names (int 0x80 under strace) are syscalls', [{ source: 'strace', type: 'socketcall' }, { source: 'ebpf', type: 'mmap2' }], ['mmap2', 'socketcall'], []],
  ] as const)('%s', (_name, events, names, unknown) => {
    const r = new SyscallRecorder();
    for (const e of events) r.observe({ ...e, args: {} });
    const rec = r.record('strace', { complete: true, unrecorded: [] });
    expect({ names: rec.names, unknown: rec.unknown }).toEqual({ names, unknown });
  });

  it('records the 32-bit ABIs a sample switched to', () => {
    const r = new SyscallRecorder();
    r.observe({ source: 'strace', type: 'compat_syscall', args: { abi: 'i386' } });
    expect(r.record('strace', { complete: true, unrecorded: [] }).compatAbis).toEqual(['i386']);
  });

  it('keeps at most 16 unknown types (bounded memory)', () => {
    const r = new SyscallRecorder();
    for (let i = 0; i < 1000; i++) r.observe({ source: 'strace', type: `bogus_${i}`, args: {} });
    expect(r.record('strace', { complete: true, unrecorded: [] }).unknown).toHaveLength(16);
  });

  it('says why an incomplete probe cannot give a profile', () => {
    const rec = new SyscallRecorder().record('ebpf', { complete: false, reason: 'probe ebpf traces a fixed set', unrecorded: [] });
    expect(rec).toMatchObject({ complete: false, incomplete: 'probe ebpf traces a fixed set' });
  });

  it('takes a probe\'s syscall-number set (ebpf C record): names per ABI, 32-bit ABIs, unknown numbers apart', () => {
    const r = new SyscallRecorder();
    r.observe({ source: 'ebpf', type: 'openat', args: {} });
    expect(r.hasSet).toBe(false);
    r.observeSet({ x86_64: [0, 63, 79, 99, 400], i386: [5, 102], x32: [2, 512] });
    expect(r.hasSet).toBe(true);
    const rec = r.record('ebpf', { complete: true, unrecorded: [] });
    expect(rec.names).toEqual(['getcwd', 'open', 'openat', 'read', 'rt_sigaction', 'socketcall', 'sysinfo', 'uname']);
    expect(rec.compatAbis).toEqual(['i386', 'x32']);
    expect(rec.unknown).toEqual(['x86_64:400']);
    const bounded = new SyscallRecorder();
    bounded.observeSet({ x86_64: Array.from({ length: 90 }, (_, i) => 335 + i), i386: [], x32: [] });
    expect(bounded.record('ebpf', { complete: true, unrecorded: [] }).unknown).toHaveLength(16);
  });

  it.each([['x64', 'x86_64'], ['arm64', 'aarch64'], ['ia32', null]])('arch of node %s is %s', (node, arch) => {
    expect(syscallArch(node)).toBe(arch);
  });
});

describe('seccomp profile', () => {
  it.each([
    ['no record (old analysis)', undefined, /no syscall record/],
    ['a probe that does not see every syscall', record(['read'], { complete: false, incomplete: 'probe ebpf traces a fixed set of security-relevant syscalls' }), /could not see every syscall: probe ebpf/],
    ['no syscalls at all', record([]), /recorded no syscalls/],
    ['a usable record', record(['read']), null],
  ] as const)('refusal: %s', (_n, rec, why) => {
    const got = seccompRefusal(rec as SyscallRecord | undefined);
    if (why === null) expect(got).toBeNull();
    else expect(got).toMatch(why);
  });

  it('allows exactly: what the run called, what the probe never records, and the runtime baseline', () => {
    const rec = record(['openat', 'read', 'socket', 'bind', 'listen', 'accept4', 'syscall_0x1c3']);
    const names = allowedSyscalls(rec);
    const expected = new Set(['openat', 'read', 'socket', 'bind', 'listen', 'accept4', ...STRACE_UNRECORDED, ...RUNTIME_BASELINE.map((b) => b.name)]);
    expect(names).toEqual([...expected].sort());
    expect(names).not.toContain('syscall_0x1c3');
  });

  it('is default deny with EPERM, for the run arch and its 32-bit ABIs', () => {
    expect(seccompProfile(record(['read']))).toMatchObject({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] });
    expect(seccompProfile(record(['read'], { arch: 'aarch64' })).architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  });

  it('adds the privilege-drop calls only when asked (runtimes without no-new-privileges)', () => {
    const rec = record(['read']);
    expect(allowedSyscalls(rec)).not.toContain('capset');
    expect(allowedSyscalls(rec, { withoutNoNewPrivileges: true })).toEqual(expect.arrayContaining([...WITHOUT_NO_NEW_PRIVILEGES]));
  });

  it('never adds a dangerous syscall the run did not call (baseline, probe noise list)', () => {
    const names = allowedSyscalls(record(['read'], { unrecorded: ['brk', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'rseq', 'prlimit64', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'sigaltstack', 'futex', 'getrandom', 'clock_gettime', 'clock_nanosleep', 'nanosleep', 'gettimeofday', 'getpid', 'gettid', 'getppid', 'getuid', 'geteuid', 'getgid', 'getegid', 'sched_yield', 'sched_getaffinity', 'madvise', 'membarrier', 'restart_syscall'] }));
    expect(names.filter((n) => DANGEROUS_SYSCALLS.includes(n))).toEqual([]);
  });

  it('the SPO object carries the same rules, with metadata', () => {
    const p = seccompProfile(record(['read']));
    const spo = spoSeccompProfile(p, { name: 'web', namespace: 'shop' });
    expect(spo).toEqual({
      apiVersion: 'security-profiles-operator.x-k8s.io/v1beta1', kind: 'SeccompProfile', metadata: { name: 'web', namespace: 'shop' },
      spec: { defaultAction: 'SCMP_ACT_ERRNO', architectures: p.architectures, syscalls: p.syscalls },
    });
  });
});

describe('label selector', () => {
  it.each([
    ['', {}],
    ['app=web', { app: 'web' }],
    ['app=web, tier=front', { app: 'web', tier: 'front' }],
    ['app.kubernetes.io/name==shop', { 'app.kubernetes.io/name': 'shop' }],
    ['empty=', { empty: '' }],
  ])('%j → %j', (text, want) => {
    expect(parseSelector(text)).toEqual(want);
  });

  it.each([
    ['app', 'app', /not key=value/],
    ['=web', '=web', /not key=value/],
    ['app!=web', 'app!=web', /only equality/],
    ['app in (a,b)', 'app in (a,b)', /not key=value|not a valid/],
    ['-app=web', '-app=web', /not a valid label key/],
    ['Bad_Prefix.io/app=web', 'Bad_Prefix.io/app=web', /not a valid label key/],
    ['app=has space', 'app=has space', /not a valid label value/],
    ['a 64-character value', `app=${'v'.repeat(64)}`, /not a valid label value/],
    ['a=1,a=2', 'a=1,a=2', /given twice/],
    ['17 terms', Array.from({ length: 17 }, (_, i) => `k${i}=v`).join(','), /at most 16 terms/],
    ['1025 characters', 'x'.repeat(1025), /at most 1024 characters/],
  ])('%s is refused', (_label, text, why) => {
    expect(() => parseSelector(text)).toThrow(SelectorError);
    expect(() => parseSelector(text)).toThrow(why);
  });

  it('is linear on hostile input (no regex blow-up)', () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 200; i++) {
      try { parseSelector(`${'a.'.repeat(120)}!=${'-'.repeat(60)}`); } catch { /* refused */ }
      try { parseSelector(`${'a-'.repeat(300)}/x=y`); } catch { /* refused */ }
    }
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(500);
  });
});

const NGINX: NetworkFacts = {
  network: {
    mode: 'none',
    connections: [
      { syscall: 'connect', family: 'unix', address: '/var/run/nscd/socket', result: 'ENOENT' },
      { syscall: 'bind', family: 'ipv4', address: '0.0.0.0', result: 'ok', port: 80, l4proto: 'tcp' },
      { syscall: 'listen', family: 'ipv4', address: '0.0.0.0', result: 'ok', port: 80, l4proto: 'tcp' },
      { syscall: 'listen', family: 'ipv6', address: '::', result: 'ok', port: 80, l4proto: 'tcp' },
      { syscall: 'listen', family: 'ipv4', address: '127.0.0.1', result: 'ok', port: 8081, l4proto: 'tcp' },
      { syscall: 'listen', family: 'ipv4', address: '0.0.0.0', result: 'EADDRINUSE', port: 81, l4proto: 'tcp' },
      { syscall: 'accept', family: 'ipv4', address: '', result: 'ok' },
    ],
    dns: [],
  },
  stimulation: { ports: [{ port: 80, source: 'exposed+listening', kind: 'http' }, { port: 9000, source: 'exposed', kind: 'not-listening' }] },
};

const FETCHER: NetworkFacts = {
  network: {
    mode: 'simulated',
    connections: [
      { syscall: 'sendto', family: 'ipv4', address: '10.77.0.1', result: 'ok', port: 53, l4proto: 'udp' },
      { syscall: 'connect', family: 'ipv4', address: '10.77.0.1', result: 'ok', port: 443, l4proto: 'tcp' },
      { syscall: 'connect', family: 'ipv4', address: '10.77.0.1', result: 'ok', port: 5432, l4proto: 'tcp' },
      { syscall: 'bind', family: 'ipv4', address: '0.0.0.0', result: 'ok', port: 5353, l4proto: 'udp' },
    ],
    dns: [
      { name: 'api.example.com', type: 'A', answers: ['10.77.0.1'] },
      { name: 'DB.Internal.', type: 'A', answers: ['10.77.0.1'] },
      { name: 'api.example.com', type: 'AAAA', answers: [] },
      { name: '_srv._tcp.example.com', type: 'SRV', answers: [] },
      { name: 'bad name!', type: 'A', answers: [] },
    ],
    http: [{ url: 'http://cdn.example.net/x.tgz' }],
    tls: [{ sni: 'api.example.com' }],
  },
};

const HARDCODED: NetworkFacts = {
  network: { mode: 'none', connections: [{ syscall: 'connect', family: 'ipv4', address: '192.0.2.10', result: 'ENETUNREACH', port: 6379, l4proto: 'tcp' }, { syscall: 'connect', family: 'ipv6', address: '2001:db8::1', result: 'ENETUNREACH', port: 443, l4proto: 'tcp' }] },
};

describe('network shape', () => {
  it.each([
    ['a web server: its public listeners (not loopback, not failed), nothing out', NGINX, { ingress: [{ port: 80, protocol: 'TCP' }], egress: [], names: [], dns: false, truncated: false }],
    ['a client on the simulated network: ports only (simulator addresses), the names it resolved, DNS', FETCHER, {
      ingress: [{ port: 5353, protocol: 'UDP' }],
      egress: [{ ports: [{ port: 443, protocol: 'TCP' }, { port: 5432, protocol: 'TCP' }] }],
      names: ['api.example.com', 'cdn.example.net', 'db.internal'], dns: true, truncated: false,
    }],
    ['hard-coded addresses (no network): /32 and /128 with their ports', HARDCODED, {
      ingress: [], egress: [{ cidr: '192.0.2.10/32', ports: [{ port: 6379, protocol: 'TCP' }] }, { cidr: '2001:db8::1/128', ports: [{ port: 443, protocol: 'TCP' }] }], names: [], dns: false, truncated: false,
    }],
    ['nothing at all', {}, { ingress: [], egress: [], names: [], dns: false, truncated: false }],
  ])('%s', (_n, facts, want) => {
    expect(networkShape(facts)).toEqual(want);
  });

  it('caps names and says so', () => {
    const dns = Array.from({ length: 500 }, (_, i) => ({ name: `n${i}.example.com`, type: 'A' }));
    const shape = networkShape({ network: { mode: 'simulated', dns } });
    expect({ names: shape.names.length, truncated: shape.truncated }).toEqual({ names: MAX_NAMES, truncated: true });
  });
});

describe('policies', () => {
  const opts = { name: 'web', namespace: 'shop', podSelector: { app: 'web' }, analysisId: 'a1', image: 'x/y:1' };

  it('NetworkPolicy: default deny both ways, ingress ports, egress ports + DNS to kube-dns, names as an annotation', () => {
    const np = networkPolicy(networkShape(FETCHER), opts);
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ ports: [{ protocol: 'UDP', port: 5353 }] }],
      egress: [
        { ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 5432 }] },
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
      ],
    });
    expect(np.metadata.annotations['quarantine.io/egress-names']).toBe('api.example.com,cdn.example.net,db.internal');
  });

  it('NetworkPolicy of a server that reached nothing: no egress at all', () => {
    expect(networkPolicy(networkShape(NGINX), opts).spec.egress).toEqual([]);
  });

  it('Cilium: FQDN egress on the ports used, and the DNS proxy rule for those names', () => {
    const c = ciliumNetworkPolicy(networkShape(FETCHER), opts);
    expect(c.spec.egress).toEqual([
      { toFQDNs: [{ matchName: 'api.example.com' }, { matchName: 'cdn.example.net' }, { matchName: 'db.internal' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }, { port: '5432', protocol: 'TCP' }] }] },
      {
        toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
        toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchName: 'api.example.com' }, { matchName: 'cdn.example.net' }, { matchName: 'db.internal' }] } }],
      },
    ]);
    expect(c.spec.enableDefaultDeny).toEqual({ ingress: true, egress: true });
  });

  it('Cilium with hard-coded addresses: toCIDR', () => {
    expect(ciliumNetworkPolicy(networkShape(HARDCODED), opts).spec.egress).toEqual([
      { toCIDR: ['192.0.2.10/32'], toPorts: [{ ports: [{ port: '6379', protocol: 'TCP' }] }] },
      { toCIDR: ['2001:db8::1/128'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] },
    ]);
  });
});

describe('eligibility', () => {
  it.each([
    [{ status: 'queued', verdict: null }, 'not_finished'],
    [{ status: 'running', verdict: null }, 'not_finished'],
    [{ status: 'completed', verdict: 'malicious' }, 'not_clean'],
    [{ status: 'completed', verdict: 'suspicious' }, 'not_clean'],
    [{ status: 'completed', verdict: 'inconclusive' }, 'not_clean'],
    [{ status: 'rejected', verdict: null }, 'not_clean'],
    [{ status: 'failed', verdict: 'error' }, 'not_clean'],
    [{ status: 'cancelled', verdict: null }, 'not_clean'],
    [{ status: 'completed', verdict: 'clean' }, null],
  ])('%j → %s', (rec, reason) => {
    expect(hardeningRefusal({ id: 'x', ...rec })?.reason ?? null).toBe(reason);
  });
});

describe('serving', () => {
  it.each([
    ['served its exposed port', { stimulation: { ports: [{ port: 80, source: 'exposed+listening', kind: 'http' }] } }, null],
    ['exposes nothing', { stimulation: { ports: [] } }, null],
    ['stimulation skipped (nothing tells)', { stimulation: { skipped: 'gVisor', ports: [] } }, null],
    ['old report without stimulation', {}, null],
    ['never listened on its exposed port (a slow first start)', { stimulation: { ports: [{ port: 5432, source: 'exposed', kind: 'not-listening' }] } }, /never saw the image listen on its exposed port 5432/],
    ['listened but never answered (accept not seen)', { stimulation: { ports: [{ port: 80, source: 'exposed+listening', kind: 'error' }, { port: 8080, source: 'listening', kind: 'http' }] } }, /never got an answer on port 80:/],
  ])('%s', (_n, report, want) => {
    const got = servingRefusal(report);
    if (want === null) expect(got).toBeNull();
    else expect(got).toMatch(want);
  });
});

describe('accept', () => {
  const tcp = { stimulation: { ports: [{ port: 6379, source: 'exposed+listening', kind: 'tcp' }] } };
  it.each([
    ['connected, accept4 in the trace', tcp, ['listen', 'accept4'], null],
    ['connected, accept in the trace', tcp, ['listen', 'accept'], null],
    ['nothing stimulated', { stimulation: { ports: [] } }, ['listen'], null],
    ['connected from the backlog, never accepted', tcp, ['listen', 'bind'], /connected to port 6379 but the trace has no accept/],
  ])('%s', (_n, report, names, want) => {
    const got = acceptRefusal(report, names);
    if (want === null) expect(got).toBeNull();
    else expect(got).toMatch(want);
  });
});

