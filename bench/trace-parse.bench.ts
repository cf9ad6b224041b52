/**
 * Probe-output parsing throughput (a script, not a test): the first stage of the analysis pipeline
 * (raw strace / gVisor text → RawEvents), before the state tracker (bench/state-tracker.bench.ts) and
 * the rule engine (bench/rules.bench.ts). Every captured fixture is parsed whole, again and again,
 * until --events (default 1,000,000) events came out; events per CPU second, median of 5 rounds.
 * Writes bench/results/trace-parse.json.
 *
 * Run: node --import tsx bench/trace-parse.bench.ts [--events N]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parserFor } from '../libs/analysis/src/probes/parsers.js';
import { parseText } from '../libs/analysis/src/probes/trace-parser.js';
import { median } from './support.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--events');
const N = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;

const texts: { probe: 'strace' | 'gvisor'; text: string }[] = [];
for (const dir of ['libs/analysis/src/probes/__fixtures__', 'libs/analysis/src/probes/__fixtures__/gvisor', 'test/unit/rules/__fixtures__']) {
  for (const f of readdirSync(join(root, dir)).sort()) {
    const probe = f.endsWith('.strace') ? 'strace' : f.endsWith('.gvisor') ? 'gvisor' : undefined;
    if (probe !== undefined) texts.push({ probe, text: readFileSync(join(root, dir, f), 'utf8') });
  }
}

function round(): { wall: number; cpu: number; bytesPerEvent: number } {
  let events = 0;
  let bytes = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (events < N) {
    for (const t of texts) {
      events += parseText(parserFor(t.probe), t.text).events.length;
      bytes += t.text.length;
    }
  }
  const c = process.cpuUsage(c0);
  return { wall: events / ((performance.now() - t0) / 1000), cpu: events / ((c.user + c.system) / 1e6), bytesPerEvent: bytes / events };
}

round(); // warm-up
const rates = Array.from({ length: 5 }, () => round());
const result = {
  benchmark: 'trace-parse',
  events: N,
  fixtures: texts.length,
  eventsPerSecondMedian: Math.round(median(rates.map((r) => r.wall))),
  eventsPerCpuSecondMedian: Math.round(median(rates.map((r) => r.cpu))),
  inputCharsPerEvent: Math.round(rates[0]!.bytesPerEvent),
  rounds: rates.map((r) => ({ wall: Math.round(r.wall), cpu: Math.round(r.cpu) })),
  note: 'parseText over the captured strace and gVisor fixtures (the probe parsers the pipeline runs before StateTracker.push and the rules)',
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
  at: new Date().toISOString(),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/trace-parse.json'), `${JSON.stringify(result, null, 2)}\n`);
