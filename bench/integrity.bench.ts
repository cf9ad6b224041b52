/**
 * Run-integrity benchmark (npm run bench; docs/run-integrity.md): real API + worker, Redis, Docker.
 *  1. The cost of one look at a sandbox (DormancyWatch.sample: /proc reads per task), for a sandbox
 *     of 1 and of 50 sleeping tasks, median of 200: the full look (window end, with sleep lengths
 *     read from memory) and the once-a-second wake watch (without).
 *  2. What the window decision costs end to end, under the ebpf probe: wall time (POST → completed)
 *     and window extension for a sample that sleeps 4 s in a 2 s window (max 6 s), one that sleeps
 *     600 s (max 5 m: decided at the window's end), pause() forever, a server, and the real-world
 *     cron image (8 s window, max 5 m: watched until cron wakes at its next minute).
 * Writes bench/results/integrity.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DormancyWatch } from '../libs/sandbox/src/docker/dormancy.js';
import { e2eProfilesDir } from '../test/support/profiles.js';
import { client, startStack } from '../test/support/stack.js';
import { median } from './support.js';

const RULES = join(process.cwd(), 'sandbox-profiles', 'rules', '*.yaml');


async function sampleCost(tasks: number): Promise<{ tasks: number; medianMs: number; wakeWatchMedianMs: number; activity: string }> {
  const script = `i=0; while [ $i -lt ${tasks} ]; do sleep 600 & i=$((i+1)); done; wait`;
  const id = execFileSync('docker', ['run', '-d', '--rm', '--init', '--network', 'none', '--entrypoint', '/bin/sh', 'quarantine-samples/hello:latest', '-c', script], { encoding: 'utf8' }).trim();
  try {
    const pid = Number(execFileSync('docker', ['inspect', '-f', '{{.State.Pid}}', id], { encoding: 'utf8' }).trim());
    const cg = /^0::(.+)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))![1];
    const watch = await DormancyWatch.forCgroup(cg, pid);
    let snap = await watch.sample();
    for (let k = 0; k < 50 && snap.tasks.length < tasks + 1; k++) {
      await new Promise((r) => setTimeout(r, 50));
      snap = await watch.sample();
    }
    const times: number[] = [];
    for (let k = 0; k < 200; k++) {
      const t0 = performance.now();
      snap = await watch.sample();
      times.push(performance.now() - t0);
    }
    const light: number[] = [];
    for (let k = 0; k < 200; k++) {
      const t0 = performance.now();
      await watch.sample(Date.now(), { durations: false });
      light.push(performance.now() - t0);
    }
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return { tasks: snap.tasks.length, medianMs: r2(median(times)), wakeWatchMedianMs: r2(median(light)), activity: snap.activity };
  } finally {
    execFileSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
  }
}

async function main(): Promise<void> {
  mkdirSync('bench/results', { recursive: true });
  const look = [await sampleCost(1), await sampleCost(50)];
  console.log('one look at the sandbox:', look);

  const dir = e2eProfilesDir('2s');
  const profile = (name: string, window: string, max: string) =>
    writeFileSync(join(dir, `${name}.yaml`), [`name: ${name}`, 'runtime: runc', 'probe: ebpf', 'limits:', '  memory: 256m', '  pids: 128', `  window: ${window}`, `  maxWindow: ${max}`, '  trace: 64m', 'rules:', `  - ${RULES}`, ''].join('\n'));
  profile('short', '2s', '6s');
  profile('long', '2s', '5m');
  profile('cron', '8s', '5m');
  const stack = await startStack({ db: 14, workers: 1, env: { PROFILES_DIR: dir, WORKER_CONCURRENCY: '1', LOG_FORMAT: 'json' } });
  const api = client(stack);
  const runs: Record<string, unknown>[] = [];
  try {
    for (const [image, prof] of [
      ['integrity-nap', 'short'],
      ['integrity-dormant', 'long'],
      ['sleeper', 'long'],
      ['server', 'long'],
      ['debian-cron-app', 'cron'],
    ] as const) {
      try {
        execFileSync('docker', ['image', 'inspect', `quarantine-samples/${image}:latest`], { stdio: 'ignore' });
      } catch {
        console.log(`skipped ${image}: image missing (test/samples/debian/build.sh builds it)`);
        continue;
      }
      const t0 = Date.now();
      const sub = await api.submit({ image: `quarantine-samples/${image}:latest`, profile: prof });
      const a = await api.waitDone(sub.json.id, 400_000);
      const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
      const w = report.exit.window ?? {};
      const row = { image, profile: prof, verdict: a.verdict, wallMs: Date.now() - t0, runMs: report.exit.runMs, activity: w.activity, extendedMs: w.extendedMs, dormant: w.dormant };
      console.log(row);
      runs.push(row);
    }
  } finally {
    await stack.stop();
  }
  const result = { at: new Date().toISOString(), host: { cpus: (await import('node:os')).cpus().length }, look, runs };
  writeFileSync('bench/results/integrity.json', `${JSON.stringify(result, null, 2)}\n`);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
