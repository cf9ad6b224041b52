/**
 * Static image checks benchmark (npm run bench; docs/static-checks.md): the time one analysis spends
 * on them before the sandbox starts, through the real Docker engine, per image — median of
 * BENCH_STATIC_RUNS (5) fresh reads (no cache): `image inspect` + `history` + `docker export` of a
 * never-started container streamed through tar-stream + the checks. Split into the config part
 * (inspect + history + checks, no filesystem) and the whole. Images: a small busybox sample
 * (`quarantine-samples/hello`, 2.7 MB) and `quarantine-samples/debian-postgres` (437 MB, 12.7k files).
 * Writes bench/results/static.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import Docker from 'dockerode';
import { runStaticChecks } from '../libs/analysis/src/static/checks.js';
import { DEFAULT_STATIC_SETTINGS } from '../libs/analysis/src/static/types.js';
import { DockerImageReader } from '../libs/sandbox/src/docker/image-reader.js';
import { median } from './support.js';

const RUNS = Number(process.env.BENCH_STATIC_RUNS ?? 5);
const IMAGES = (process.env.BENCH_STATIC_IMAGES ?? 'quarantine-samples/hello:latest,quarantine-samples/debian-postgres:latest').split(',');

async function main(): Promise<void> {
  const docker = new Docker();
  const reader = new DockerImageReader(docker);
  const today = new Date().toISOString().slice(0, 10);
  const rows = [];
  for (const image of IMAGES) {
    const id = (await docker.getImage(image).inspect()).Id;
    const whole: number[] = [];
    const config: number[] = [];
    let last;
    for (let i = 0; i < RUNS; i++) {
      let t0 = performance.now();
      runStaticChecks(await reader.describe(id, { files: false }), DEFAULT_STATIC_SETTINGS, today);
      config.push(performance.now() - t0);
      t0 = performance.now();
      const desc = await reader.describe(id);
      last = { desc, out: runStaticChecks(desc, DEFAULT_STATIC_SETTINGS, today) };
      whole.push(performance.now() - t0);
    }
    const r = (x: number) => Math.round(x);
    const row = {
      image,
      sizeMb: Math.round((last!.desc.sizeBytes / 1024 ** 2) * 10) / 10,
      entries: last!.desc.files?.entries,
      bytesRead: last!.desc.files?.bytes,
      findings: last!.out.results.map((x) => x.check),
      medianMs: r(median(whole)),
      configOnlyMedianMs: r(median(config)),
      runsMs: whole.map(r),
      mbPerSecond: Math.round(((last!.desc.files?.bytes ?? 0) / 1024 ** 2 / (median(whole) / 1000)) * 10) / 10,
    };
    console.log(row);
    rows.push(row);
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/static.json', `${JSON.stringify({ at: new Date().toISOString(), cpus: cpus().length, loadavg: loadavg(), runs: RUNS, images: rows }, null, 2)}\n`);
}

await main();
