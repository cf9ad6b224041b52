/** Text renderings of API objects for a terminal (plain text; no colours when not a TTY). */

export interface FindingView {
  rule: string;
  priority: string;
  tags: string[];
  count: number;
  points: number;
}

export interface AnalysisView {
  id: string;
  image: string;
  digest: string | null;
  profile: string;
  probe: string;
  runtime: string;
  status: string;
  phase: string;
  verdict: string | null;
  score: number | null;
  findings: FindingView[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  labels: Record<string, string>;
  countsForAdmission?: boolean;
}

const TECHNIQUE = /^T\d{4}(?:\.\d{3})?$/;

export function findingLine(f: FindingView): string {
  const techniques = f.tags.filter((t) => TECHNIQUE.test(t));
  return `  ${f.priority.toUpperCase().padEnd(13)} ${f.rule}${f.count > 1 ? ` ×${f.count}` : ''}  (+${f.points} pts)${techniques.length ? `  ${techniques.join(' ')}` : ''}`;
}

export function analysisText(a: AnalysisView): string {
  const lines = [
    `${a.id}  ${a.image}`,
    `  status   ${a.status}${a.phase && a.phase !== 'done' && a.status !== a.phase ? ` (${a.phase})` : ''}`,
    `  verdict  ${a.verdict ?? '-'}${a.score !== null ? `  score ${a.score}` : ''}${a.countsForAdmission === false ? '  (does not count for admission)' : ''}`,
    `  profile  ${a.profile}  probe ${a.probe}  runtime ${a.runtime}`,
  ];
  if (a.digest) lines.push(`  digest   ${a.digest}`);
  const labels = Object.entries(a.labels ?? {});
  if (labels.length) lines.push(`  labels   ${labels.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (a.error) lines.push(`  error    ${a.error}`);
  if (a.findings.length) {
    lines.push('  findings:');
    for (const f of [...a.findings].sort((x, y) => y.points - x.points)) lines.push(`  ${findingLine(f)}`);
  }
  return lines.join('\n');
}

export function table(rows: string[][], header: string[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]!))).join('  ')).join('\n');
}
