/**
 * Hardening profiles (a script, not a test; docs/hardening.md): what recording syscall names adds to
 * analysis (ns per event through SyscallRecorder, over the captured strace/gVisor fixtures), how long
 * generating the objects takes (seccomp + SPO; NetworkPolicy + Cilium for a report at the caps), and
 * what a generated seccomp profile costs at run time: the syscall-storm sample (2 M syscalls of 5
 * kinds, timed inside the container by itself) under Docker's default profile, under the profile
 * generated from its own strace trace, and unconfined. Median of --rounds (default 5).
 * Writes bench/results/hardening.json.
 *
 * Run: npx tsx bench/hardening.bench.ts [--rounds N]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import type { RawEvent } from '../libs/analysis/src/events/event.js';
import { networkShape, networkPolicy, ciliumNetworkPolicy } from '../libs/analysis/src/hardening/network-policy.js';
import { seccompProfile, spoSeccompProfile } from '../libs/analysis/src/hardening/seccomp.js';
import { SyscallRecorder } from '../libs/analysis/src/hardening/syscall-set.js';
import { parserFor } from '../libs/analysis/src/probes/parsers.js';
import { createStraceParser } from '../libs/analysis/src/probes/strace-parser.js';
import { parseText } from '../libs/analysis/src/probes/trace-parser.js';
import { parseImageRef } from '../libs/core/src/image/image-ref.js';
import { DockerRuntime } from '../libs/sandbox/src/docker/docker-runtime.js';
import { StraceProbe } from '../libs/sandbox/src/probes/strace.probe.js';
import { syscallCoverage } from '../libs/sandbox/src/probes/syscall-coverage.js';
import { median } from './support.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ri = process.argv.indexOf('--rounds');
const ROUNDS = ri >= 0 ? Number(process.argv[ri + 1]) : 5;
const STORM = 'quarantine-samples/syscall-storm:latest';
const ITERATIONS = 400_000;

// 1. Recording: ns per event.
const events: RawEvent[] = [];
for (const dir of ['libs/analysis/src/probes/__fixtures__', 'libs/analysis/src/probes/__fixtures__/gvisor']) {
  for (const f of readdirSync(join(root, dir)).sort()) {
    const probe = f.endsWith('.strace') ? 'strace' : f.endsWith('.gvisor') ? 'gvisor' : undefined;
    if (probe) events.push(...parseText(parserFor(probe), readFileSync(join(root, dir, f), 'utf8')).events);
  }
}
const recordNs: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  let n = 0;
  const t0 = process.hrtime.bigint();
  while (n < 2_000_000) {
    const rec = new SyscallRecorder();
    for (const e of events) rec.observe(e);
    n += events.length;
  }
  recordNs.push(Number(process.hrtime.bigint() - t0) / n);
}

// 2. Generation.
const names = new SyscallRecorder();
for (const e of events) names.observe(e);
const record = names.record('strace', syscallCoverage('strace'));
const genUs: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) spoSeccompProfile(seccompProfile(record), { name: 'x' });
  genUs.push(Number(process.hrtime.bigint() - t0) / 1000 / 1000);
}
const bigReport = {
  network: {
    mode: 'simulated',
    connections: Array.from({ length: 1000 }, (_, i) => ({ syscall: i % 10 ? 'connect' : 'listen', family: 'ipv4', address: `10.0.${i >> 8}.${i & 255}`, port: 1 + (i % 200), result: 'ok', l4proto: 'tcp' })),
    dns: Array.from({ length: 1000 }, (_, i) => ({ name: `host${i}.example.com`, type: 'A', answers: [] })),
  },
};
const npUs: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) {
    const shape = networkShape(bigReport);
    const o = { name: 'x', podSelector: { app: 'x' }, analysisId: 'a', image: 'i' };
    networkPolicy(shape, o);
    ciliumNetworkPolicy(shape, o);
  }
  npUs.push(Number(process.hrtime.bigint() - t0) / 100 / 1000);
}

// 3. Run-time cost of the generated profile (Docker's seccomp filter on every syscall).
const docker = new Docker();
const runtime = new DockerRuntime({ docker, holdTarPath: join(root, 'dist/assets/hold.tar') });
const work = mkdtempSync(join(tmpdir(), 'q-bench-harden-'));
async function profileOfStorm(): Promise<string> {
  const image = await runtime.resolveImage(parseImageRef(STORM));
  image.cmd = ['1000'];
  const limits = { memoryBytes: 64 * 1024 ** 2, pids: 32, cpus: 1, windowSeconds: 20, outputBytes: 4096, traceBytes: 64 * 1024 ** 2 };
  const sandbox = await runtime.create({ analysisId: 'bench-harden', image, runtime: 'runc', hold: true, capabilities: 'default', limits });
  try {
    const target = await sandbox.start();
    const session = await new StraceProbe().attach(target, join(work, 'storm.trace'), { budgetBytes: limits.traceBytes });
    sandbox.release(target);
    await sandbox.wait(new AbortController().signal);
    await session.stop(5000);
  } finally {
    await sandbox.destroy();
  }
  const rec = new SyscallRecorder();
  const parser = createStraceParser((raw) => rec.observe(raw));
  for (const line of readFileSync(join(work, 'storm.trace'), 'utf8').split('\n')) parser.write(line);
  parser.end();
  const file = join(work, 'storm-seccomp.json');
  // docker run --init: docker-init under the filter too, as in the sandbox.
  const { SANDBOX_SECCOMP_MACHINERY } = await import('../libs/sandbox/src/docker/seccomp-machinery.js');
  const profile = seccompProfile(rec.record('strace', syscallCoverage('strace')), { extra: SANDBOX_SECCOMP_MACHINERY });
  writeFileSync(file, JSON.stringify(profile));
  return file;
}
function stormMs(seccomp: string[]): number {
  const out = execFileSync('docker', ['run', '--rm', '--init', '--network', 'none', '--security-opt', 'no-new-privileges', ...seccomp, STORM, String(ITERATIONS)], { encoding: 'utf8' });
  const m = /in ([\d.]+) ms/.exec(out);
  if (!m) throw new Error(`syscall-storm printed no timing: ${out}`);
  return Number(m[1]);
}
const generated = await profileOfStorm();
const allowed = (JSON.parse(readFileSync(generated, 'utf8')) as { syscalls: { names: string[] }[] }).syscalls[0].names.length;
const runs: Record<'default' | 'generated' | 'unconfined', number[]> = { default: [], generated: [], unconfined: [] };
for (let r = 0; r < ROUNDS; r++) {
  runs.default.push(stormMs([]));
  runs.generated.push(stormMs(['--security-opt', `seccomp=${generated}`]));
  runs.unconfined.push(stormMs(['--security-opt', 'seccomp=unconfined']));
}
rmSync(work, { recursive: true, force: true });

const nsPerSyscall = (ms: number) => Math.round((ms * 1e6) / (ITERATIONS * 5));
const result = {
  date: new Date().toISOString(),
  host: { cpus: os.cpus().length, load: os.loadavg().map((l) => Math.round(l * 100) / 100) },
  rounds: ROUNDS,
  recording: { nsPerEvent: Math.round(median(recordNs) * 10) / 10, eventsPerPass: events.length },
  generation: { seccompPlusSpoUs: Math.round(median(genUs) * 10) / 10, allowedNames: seccompProfile(record).syscalls[0].names.length, networkPolicyPlusCiliumUs: Math.round(median(npUs)), reportConnections: 1000, reportNames: 1000 },
  runtime: {
    workload: `${STORM} ${ITERATIONS} (open/read/close/stat/getppid × ${ITERATIONS})`,
    generatedProfileNames: allowed,
    medianMs: { dockerDefault: median(runs.default), generated: median(runs.generated), unconfined: median(runs.unconfined) },
    nsPerSyscall: { dockerDefault: nsPerSyscall(median(runs.default)), generated: nsPerSyscall(median(runs.generated)), unconfined: nsPerSyscall(median(runs.unconfined)) },
  },
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/hardening.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
