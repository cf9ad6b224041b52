/**
 * Network analysis throughput (a script, not a test): 20 000 simulator captures (the reader's cap)
 * — DNS, HTTP with bodies, TCP with up to 4 KiB of first bytes — with 8 lures of 3 secrets each,
 * through analyzeTrace with the shipped rules (sandbox-profiles/rules/*.yaml) and no probe events.
 * Measures read + validate + correlate + lure search + rules per capture. Writes
 * bench/results/network-analysis.json.
 *
 * Run: node --import tsx bench/network.bench.ts [--captures N]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { analyzeTrace } from '../libs/analysis/src/pipeline/analyze-trace.js';
import { parserFor } from '../libs/analysis/src/probes/parsers.js';
import { compileRules } from '../libs/analysis/src/rules/index.js';
import type { Lure } from '../libs/analysis/src/lures/lure.js';

const i = process.argv.indexOf('--captures');
const N = i >= 0 ? Number(process.argv[i + 1]) : 20_000;
const dir = 'sandbox-profiles/rules';
const rules = compileRules(readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') })));
const lures: Lure[] = Array.from({ length: 8 }, (_, k) => ({ kind: `lure${k}`, location: `/root/.l${k}`, secrets: [0, 1, 2].map(() => randomBytes(30).toString('base64')) }));

const lines: string[] = [];
const base = Date.now() - 60_000;
for (let n = 0; n < N; n++) {
  const common = { v: 1, ts: base + n, src: { ip: '10.203.0.5', port: 30000 + (n % 30000) }, bytesIn: 100 };
  const kind = n % 3;
  if (kind === 0) lines.push(JSON.stringify({ ...common, kind: 'dns', transport: 'udp', dst: { ip: '10.203.0.2', port: 53 }, dns: { name: `h${n % 500}.${randomBytes(6).toString('hex')}.example.com`, type: 'A', answers: ['10.203.0.2'] } }));
  else if (kind === 1) lines.push(JSON.stringify({ ...common, kind: 'http', transport: 'tcp', dst: { ip: '10.203.0.2', port: 80 }, http: { method: 'POST', host: 'api.example.com', path: `/v1/items/${n}?q=${randomBytes(16).toString('hex')}`, userAgent: 'bench/1.0', headers: { host: 'api.example.com', 'content-type': 'application/json' }, bodyBytes: 2048, body: randomBytes(2048).toString('base64'), status: 200, served: 'text' }, firstBytes: randomBytes(1024).toString('base64') }));
  else lines.push(JSON.stringify({ ...common, kind: 'tcp', transport: 'tcp', dst: { ip: '10.203.0.2', port: 4000 + (n % 100) }, firstBytes: randomBytes(2048).toString('base64') }));
}
const text = `${lines.join('\n')}\n`;
const sandbox = { containerId: 'c', containerName: 'n', image: 'i', imageRepository: 'i', imageTag: 'latest', imageDigest: '', privileged: false, mounts: [] };
async function* none(): AsyncGenerator<string> {}

const times: number[] = [];
let last: Awaited<ReturnType<typeof analyzeTrace>> | undefined;
for (let pass = 0; pass < 3; pass++) {
  const t0 = process.hrtime.bigint();
  const chunks: Buffer[] = [];
  const buf = Buffer.from(text);
  for (let o = 0; o < buf.length; o += 65536) chunks.push(buf.subarray(o, o + 65536));
  last = await analyzeTrace({ lines: none(), createParser: parserFor('strace'), tracker: { sandbox }, rules, network: { capture: chunks, lures } });
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);
const median = times[1]!;
const result = {
  captures: N, bytes: text.length, lures: lures.length, secrets: 24, rules: rules.ruleNames.length,
  accepted: last!.network!.captures.accepted, events: last!.events, findings: last!.findings.length,
  msMedian: Math.round(median), capturesPerSecond: Math.round((N / median) * 1000), mbPerSecond: Math.round((text.length / 1e6 / median) * 1000 * 10) / 10,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), at: new Date().toISOString(),
};
console.log(`network analysis: ${N} captures (${(text.length / 1e6).toFixed(1)} MB) in ${result.msMedian} ms median of 3 → ${result.capturesPerSecond.toLocaleString('en')} captures/s, ${result.mbPerSecond} MB/s; findings ${result.findings}; peak RSS ${result.peakRssMb} MB`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/network-analysis.json', `${JSON.stringify(result, null, 2)}\n`);
