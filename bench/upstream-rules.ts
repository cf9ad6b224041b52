/**
 * Load Falco rule files (e.g. the upstream falco_rules.yaml, falco-incubating_rules.yaml,
 * falco-sandbox_rules.yaml) with the Quarantine rule engine and print the load summary.
 *
 *   node --experimental-strip-types bench/upstream-rules.ts /tmp/falco_rules.yaml [...]
 *   (or: npx tsx / ts-node; or compile with tsc first)
 *
 * Options: --each   load every file on its own as well as all together (in the order given)
 *          --json   print the full report as JSON
 * Upstream rule files are data to load, never copied into this repository.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { compileRules, type LoadItemReport, type RuleSource } from '../libs/analysis/src/rules/index.js';

function summarize(label: string, sources: RuleSource[]): LoadItemReport[] {
  const t0 = process.hrtime.bigint();
  const set = compileRules(sources);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rules = set.report.filter((r) => r.kind === 'rule');
  console.log(`\n== ${label}  (compiled in ${ms.toFixed(0)} ms, rules version ${set.version.slice(0, 12)})`);
  for (const file of [...new Set(set.report.map((r) => r.file))]) {
    const fr = rules.filter((r) => r.file === file);
    const c = (s: LoadItemReport['status']) => fr.filter((r) => r.status === s).length;
    const loaded = c('loaded');
    const pct = fr.length ? ((100 * loaded) / fr.length).toFixed(1) : '-';
    console.log(`  ${basename(file)}: rules ${fr.length}: loaded ${loaded} (${pct}%), skipped ${c('skipped')}, error ${c('error')}`);
  }
  const kinds = ['macro', 'list', 'required_engine_version', 'required_plugin_versions', 'unknown'] as const;
  for (const k of kinds) {
    const items = set.report.filter((r) => r.kind === k);
    if (!items.length) continue;
    const c = (s: LoadItemReport['status']) => items.filter((r) => r.status === s).length;
    console.log(`  ${k}: ${items.length} (loaded ${c('loaded')}, skipped ${c('skipped')}, error ${c('error')})`);
  }
  const loaded = rules.filter((r) => r.status === 'loaded').length;
  console.log(`  total rules: ${rules.length}, loaded ${loaded} (${((100 * loaded) / Math.max(1, rules.length)).toFixed(1)}%), enabled+evaluated ${set.ruleNames.length}`);
  const bad = set.report.filter((r) => r.status !== 'loaded');
  if (bad.length) {
    console.log('  not loaded:');
    for (const r of bad) console.log(`    [${r.status}] ${r.kind} '${r.name}' ${basename(r.file)}:${r.line ?? '?'}:${r.column ?? '?'} — ${r.reason}`);
  }
  const reasons = new Map<string, number>();
  for (const r of rules.filter((x) => x.status !== 'loaded')) {
    const key = (r.reason ?? '').replace(/ \(in macro '[^']+' at [^)]+\)/, '').replace(/'[^']*'/, "'…'");
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  if (reasons.size) {
    console.log('  top reasons:');
    for (const [k, n] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`    ${n} × ${k}`);
  }
  return set.report;
}

const args = process.argv.slice(2);
const each = args.includes('--each');
const json = args.includes('--json');
const files = args.filter((a) => !a.startsWith('--'));
if (!files.length) {
  console.error('usage: upstream-rules.ts [--each] [--json] FILE.yaml [FILE.yaml ...]');
  process.exit(2);
}
const sources = files.map((f) => ({ name: f, text: readFileSync(f, 'utf8') }));
if (each) for (const s of sources) summarize(s.name, [s]);
const report = summarize(`all ${sources.length} file(s) in order`, sources);
if (json) console.log(JSON.stringify(report, null, 2));
