/**
 * The injected initContainer's program (`node dist/libs/admission/src/verdict-check.js <digest>…`):
 * asks the admission webhook's `GET /admission/verdicts/<digest>` (QUARANTINE_VERDICT_URL; a private CA
 * through NODE_EXTRA_CA_CERTS) for each of the pod's image digests at pod start, and exits non-zero
 * unless every one is cleared (clean and not stale), so the pod's containers never start otherwise.
 * Spreads the check over the nodes: a verdict that turned bad after admission still stops new pods.
 */
export async function checkVerdicts(base: string, digests: string[], timeoutMs = 5000): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  let ok = digests.length > 0;
  for (const d of digests) {
    try {
      const res = await fetch(`${base.replace(/\/+$/, '')}/admission/verdicts/${encodeURIComponent(d)}`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.json().catch(() => ({}))) as { allowed?: boolean; reason?: string; analysisId?: string };
      const allowed = res.status === 200 && body.allowed === true;
      ok &&= allowed;
      lines.push(`${allowed ? 'cleared' : 'NOT CLEARED'} ${d}: ${body.reason ?? `HTTP ${res.status}`}${body.analysisId ? ` (analysis ${body.analysisId})` : ''}`);
    } catch (e) {
      ok = false;
      lines.push(`NOT CLEARED ${d}: ${(e as Error).message}`);
    }
  }
  return { ok, lines };
}

const isMain = process.argv[1]?.endsWith('verdict-check.js') === true;
if (isMain) {
  const base = process.env.QUARANTINE_VERDICT_URL;
  if (!base) {
    process.stderr.write('verdict-check: QUARANTINE_VERDICT_URL is not set\n');
    process.exit(2);
  }
  const { ok, lines } = await checkVerdicts(base, process.argv.slice(2));
  for (const l of lines) process.stdout.write(`${l}\n`);
  process.exit(ok ? 0 : 1);
}
