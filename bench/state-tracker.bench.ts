/**
 * State tracker throughput (a script, not a test): every captured strace and gVisor fixture is parsed
 * once, then copies of its RawEvents are replayed through a fresh StateTracker per pass until at least
 * --events (default 2,000,000) events went through `push`. Parsing and copying are not timed.
 * Reports events/s by wall clock and per CPU second (median of 5 rounds) and writes bench/results/state-tracker.json.
 *
 * Run: node --import tsx bench/state-tracker.bench.ts [--events N]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawEvent } from '../libs/analysis/src/events/event.js';
import { parserFor } from '../libs/analysis/src/probes/parsers.js';
import { parseText } from '../libs/analysis/src/probes/trace-parser.js';
import { StateTracker } from '../libs/analysis/src/state/state-tracker.js';
import { median } from './support.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--events');
const N = i >= 0 ? Number(process.argv[i + 1]) : 2_000_000;
const sandbox = { containerId: 'c', containerName: 'n', image: 'i', imageRepository: 'i', imageTag: 'latest', imageDigest: 'd', privileged: false, mounts: [] };

const traces: RawEvent[][] = [];
for (const dir of ['libs/analysis/src/probes/__fixtures__', 'libs/analysis/src/probes/__fixtures__/gvisor', 'test/unit/rules/__fixtures__']) {
  for (const f of readdirSync(join(root, dir)).sort()) {
    const probe = f.endsWith('.strace') ? 'strace' : f.endsWith('.gvisor') ? 'gvisor' : undefined;
    if (probe === undefined) continue;
    traces.push(parseText(parserFor(probe), readFileSync(join(root, dir, f), 'utf8')).events);
  }
}
const perPass = traces.reduce((n, t) => n + t.length, 0);

/** One round: events/s by wall clock and by the process's CPU time (steadier on a loaded machine). */
function round(): { wall: number; cpu: number } {
  let pushed = 0;
  let sink = 0;
  let ms = 0;
  let cpuUs = 0;
  while (pushed < N) {
    for (const events of traces) {
      // The tracker may keep or annotate what it is given: each pass gets fresh copies (not timed).
      const copies = structuredClone(events);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const tracker = new StateTracker({ sandbox });
      for (const e of copies) if (tracker.push(e) !== undefined) sink++;
      sink += tracker.finish().processes.length;
      ms += performance.now() - t0;
      const c = process.cpuUsage(c0);
      cpuUs += c.user + c.system;
      pushed += events.length;
    }
  }
  if (sink < 0) console.log(sink);
  return { wall: pushed / (ms / 1000), cpu: pushed / (cpuUs / 1e6) };
}

round(); // warm-up
const rates: { wall: number; cpu: number }[] = [];
for (let r = 0; r < 5; r++) rates.push(round());
const result = {
  benchmark: 'state-tracker', events: N, tracesPerPass: traces.length, eventsPerPass: perPass,
  eventsPerSecondMedian: Math.round(median(rates.map((r) => r.wall))), eventsPerCpuSecondMedian: Math.round(median(rates.map((r) => r.cpu))),
  rounds: rates.map((r) => ({ wall: Math.round(r.wall), cpu: Math.round(r.cpu) })),
  note: 'StateTracker construction, push of every event and finish(); parsing and copying the events are not timed',
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() }, at: new Date().toISOString(),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/state-tracker.json'), `${JSON.stringify(result, null, 2)}\n`);
