/**
 * Issue 11 cost benchmark (npm run bench): what credential lures, the sandbox disguise and
 * stimulation add to an analysis. Real API + worker, Redis, Docker, strace. POST → completed for
 * the hello demo (no ports: stimulation must cost nothing) with the `e2e` profile (lures and
 * stimulation on, the defaults) against the same profile with `lures: false` and `stimulate: false`,
 * side by side, alternating, median of N. Writes bench/results/lures.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { e2eProfilesDir } from '../test/support/profiles.js';
import { client, startStack } from '../test/support/stack.js';
import { median, submitAndWait } from './support.js';

const IMAGE = 'quarantine-samples/hello:latest';
const RUNS = Number(process.env.BENCH_RUNS ?? 15);


async function main(): Promise<void> {
  mkdirSync('bench/results', { recursive: true });
  const profiles = e2eProfilesDir('10s');
  const rules = join(process.cwd(), 'sandbox-profiles', 'rules', '*.yaml');
  writeFileSync(
    join(profiles, 'e2e-bare.yaml'),
    ['name: e2e-bare', 'lures: false', 'stimulate: false', 'limits:', '  memory: 64m', '  pids: 32', '  window: 10s', '  output: 4k', 'rules:', `  - ${rules}`, ''].join('\n'),
  );
  const stack = await startStack({ db: 14, workers: 1, env: { PROFILES_DIR: profiles, WORKER_CONCURRENCY: '1', LOG_FORMAT: 'json' } });
  const api = client(stack);
  const once = async (profile: string): Promise<number> => {
    const { ms, done } = await submitAndWait(api, { image: IMAGE, profile });
    if (done.verdict !== 'clean') throw new Error(`hello came out ${done.verdict} with ${profile}`);
    return ms;
  };
  try {
    for (let i = 0; i < 2; i++) {
      await once('e2e');
      await once('e2e-bare');
    }
    const on: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      on.push(await once('e2e'));
      off.push(await once('e2e-bare'));
    }
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model },
      image: IMAGE,
      runs: RUNS,
      luresAndStimulationMedianMs: Math.round(median(on)),
      bareMedianMs: Math.round(median(off)),
      addedMs: Math.round(median(on) - median(off)),
      onMs: on.map(Math.round),
      offMs: off.map(Math.round),
    };
    writeFileSync('bench/results/lures.json', `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await stack.stop();
  }
}

await main();
