/**
 * Orchestration benchmark (npm run bench): real API + worker processes, real Redis, real Docker,
 * real strace.
 *  1. Overhead: wall time from POST to `completed` for the benign hello image, against running the
 *     same image with the same probe by hand (docker create/cp/start + strace -p + SIGCONT + wait +
 *     rm, the same steps a person would type), side by side, alternating, median of N.
 *  2. Throughput: 50 hello submissions, worker concurrency 2, analyses per minute.
 * Writes bench/results/orchestration.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { STRACE_ARGS } from '../libs/sandbox/src/probes/strace-args.js';
import { e2eProfilesDir } from '../test/support/profiles.js';
import { client, startStack } from '../test/support/stack.js';
import { median, submitAndWait } from './support.js';

const IMAGE = 'quarantine-samples/hello:latest';
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const THROUGHPUT_N = Number(process.env.BENCH_THROUGHPUT ?? 50);


function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
}

/** The same detonation a person would run by hand with the docker CLI and strace. */
async function byHand(work: string, i: number): Promise<number> {
  const t0 = performance.now();
  const name = `quarantine-bench-manual-${process.pid}-${i}`;
  sh('docker', ['create', '--name', name, '--init', '--network', 'none', '--security-opt', 'no-new-privileges', '--pids-limit', '128', '--memory', '256m', '--entrypoint', '/.quarantine/hold', IMAGE, '/usr/local/bin/hello']);
  try {
    execFileSync('docker', ['cp', '-', `${name}:/`], { input: readFileSync('dist/assets/hold.tar') });
    sh('docker', ['start', name]);
    const initPid = sh('docker', ['inspect', '-f', '{{.State.Pid}}', name]);
    let pid = '';
    for (let k = 0; k < 1000 && !pid; k++) {
      pid = readFileSync(`/proc/${initPid}/task/${initPid}/children`, 'utf8').trim().split(/\s+/)[0] ?? '';
      if (!pid) await new Promise((r) => setTimeout(r, 2));
    }
    const trace = join(work, `${name}.trace`);
    const strace = spawn('strace', [...STRACE_ARGS, '-o', trace, '-p', pid], { stdio: 'ignore' });
    for (let k = 0; k < 2000; k++) {
      if (/TracerPid:\s+[1-9]/.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    process.kill(Number(pid), 'SIGCONT');
    sh('docker', ['wait', name]);
    await new Promise((r) => strace.once('exit', r));
  } finally {
    sh('docker', ['rm', '-f', name]);
  }
  return performance.now() - t0;
}

async function main(): Promise<void> {
  mkdirSync('bench/results', { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'q-bench-'));
  // Image must have the hello entrypoint we call by hand.
  const entry = JSON.parse(sh('docker', ['image', 'inspect', '-f', '{{json .Config.Entrypoint}}', IMAGE]));
  if (!Array.isArray(entry) || entry[0] !== '/usr/local/bin/hello') throw new Error(`unexpected entrypoint of ${IMAGE}: ${JSON.stringify(entry)}`);
  const stack = await startStack({ db: 14, workers: 1, env: { PROFILES_DIR: e2eProfilesDir('10s'), WORKER_CONCURRENCY: '2', LOG_FORMAT: 'json' } });
  const api = client(stack);
  try {
    // Warm-up: rules compiled, image cache hot.
    for (let i = 0; i < 2; i++) {
      await api.waitDone((await api.submit({ image: IMAGE, profile: 'e2e' })).json.id);
      await byHand(work, -1 - i);
    }
    const quarantine: number[] = [];
    const manual: number[] = [];
    const defaults: number[] = [];
    const plain: number[] = [];
    const plainRun = () => {
      const t = performance.now();
      return new Promise<number>((r) => spawn('docker', ['run', '--rm', '--network', 'none', IMAGE], { stdio: 'ignore' }).once('exit', () => r(performance.now() - t)));
    };
    await plainRun();
    for (let i = 0; i < RUNS; i++) {
      const { ms, done } = await submitAndWait(api, { image: IMAGE, profile: 'e2e' });
      quarantine.push(ms);
      if (done.verdict !== 'clean') throw new Error(`hello came out ${done.verdict}`);
      manual.push(await byHand(work, i));
      // The default profile as shipped: ebpf from the first syscall, the simulated network, lures, stimulation.
      const d = await submitAndWait(api, { image: IMAGE, profile: 'default' });
      if (d.done.verdict !== 'clean') throw new Error(`hello came out ${d.done.verdict} under the default profile`);
      defaults.push(d.ms);
      plain.push(await plainRun());
    }
    const overhead = median(quarantine) / median(manual);

    const t0 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < THROUGHPUT_N; i++) ids.push((await api.submit({ image: IMAGE, profile: 'e2e' })).json.id);
    const verdicts: Record<string, number> = {};
    for (const id of ids) {
      const a = await api.waitDone(id, 300_000);
      verdicts[a.verdict] = (verdicts[a.verdict] ?? 0) + 1;
    }
    const minutes = (performance.now() - t0) / 60_000;
    const perMinute = THROUGHPUT_N / minutes;

    // Reference: plain `docker run --rm` of the same image, two at a time.
    const t1 = performance.now();
    const plainN = 20;
    for (let i = 0; i < plainN; i += 2) {
      await Promise.all([0, 1].map(() => new Promise((r) => spawn('docker', ['run', '--rm', '--network', 'none', IMAGE], { stdio: 'ignore' }).once('exit', r))));
    }
    const plainPerMinute = plainN / ((performance.now() - t1) / 60_000);

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model },
      image: IMAGE,
      overhead: {
        runs: RUNS,
        quarantineMedianMs: Math.round(median(quarantine)),
        manualMedianMs: Math.round(median(manual)),
        ratio: Number(overhead.toFixed(2)),
        target: 1.3,
        quarantineMs: quarantine.map(Math.round),
        manualMs: manual.map(Math.round),
        // Issue 17: POST → completed against plain `docker run --rm --network none` of the same image.
        plainDockerRunMedianMs: Math.round(median(plain)),
        strace: { profile: 'e2e (strace, network none)', medianMs: Math.round(median(quarantine)), ratioToPlainDockerRun: Number((median(quarantine) / median(plain)).toFixed(2)) },
        default: { profile: 'default (ebpf, simulated network, lures, stimulation)', medianMs: Math.round(median(defaults)), ratioToPlainDockerRun: Number((median(defaults) / median(plain)).toFixed(2)) },
      },
      throughput: { submissions: THROUGHPUT_N, concurrency: 2, analysesPerMinute: Math.round(perMinute), target: 120, verdicts, plainDockerRunPerMinute: Math.round(plainPerMinute) },
    };
    writeFileSync('bench/results/orchestration.json', `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
