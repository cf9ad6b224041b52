import { loadMetricsConfig } from './metrics-config.js';
import { Metrics, recordFinished } from './metrics.js';

const int = (env: Record<string, string | undefined>, name: string, def: number, min: number, max: number) => {
  const v = env[name] === undefined ? def : Number(env[name]);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} out of range`);
  return v;
};
const err = (v: string, m: string) => new Error(`${v} ${m}`);

describe('metrics', () => {
  it('records a finished analysis: by status/verdict/profile/probe, phase histograms, probe events, limit hits', async () => {
    const m = new Metrics('worker');
    recordFinished(m, {
      status: 'completed', verdict: 'malicious', profile: 'default', probe: 'ebpf',
      report: { timings: { resolveMs: 3, createMs: 50, startMs: 70, attachMs: 35, runMs: 30_000, collectMs: 20, analyzeMs: 400 }, probe: { name: 'ebpf', events: 1234, lost: 7 }, limits: { pidsLimitHits: 2, oomKills: 0, diskLimitHits: 1 }, exit: { windowExpired: true } },
    });
    recordFinished(m, { status: 'failed', verdict: 'error', profile: 'default', probe: 'ebpf', report: null });
    const text = await m.render();
    expect(text).toContain('quarantine_analyses_finished_total{status="completed",verdict="malicious",profile="default",probe="ebpf",process="worker"} 1');
    expect(text).toContain('quarantine_analyses_finished_total{status="failed",verdict="error",profile="default",probe="ebpf",process="worker"} 1');
    expect(text).toContain('quarantine_detonation_phase_seconds_bucket{le="0.05",process="worker",phase="create"} 1');
    expect(text).toContain('quarantine_detonation_phase_seconds_sum{process="worker",phase="run"} 30');
    expect(text).toContain('quarantine_probe_events_total{probe="ebpf",process="worker"} 1234');
    expect(text).toContain('quarantine_probe_lost_events_total{probe="ebpf",process="worker"} 7');
    for (const limit of ['pids', 'disk', 'window']) expect(text).toContain(`quarantine_sandbox_limit_hits_total{limit="${limit}",process="worker"} 1`);
    expect(text).not.toContain('limit="memory"');
    expect(text).toMatch(/^quarantine_process_cpu_seconds_total\{process="worker"\} /m);
  });

  it('collectors run at each scrape and a failing one does not fail it', async () => {
    const m = new Metrics('api');
    let n = 0;
    m.onScrape(async () => void m.queueJobs.set({ queue: 'analysis', state: 'waiting' }, ++n));
    m.onScrape(async () => {
      throw new Error('redis down');
    });
    expect(await m.render()).toContain('quarantine_queue_jobs{queue="analysis",state="waiting",process="api"} 1');
    expect(await m.render()).toContain('quarantine_queue_jobs{queue="analysis",state="waiting",process="api"} 2');
  });

  it('METRICS_TOKEN: compared as a bearer token in constant time; too short or odd tokens are refused at boot', () => {
    const c = loadMetricsConfig({ METRICS_TOKEN: 'prometheus-scrape-token-1' }, int, err);
    expect(c.tokenCheck!('Bearer prometheus-scrape-token-1')).toBe(true);
    for (const bad of [undefined, '', 'Bearer wrong-token-xxxxxxxxxx', 'prometheus-scrape-token-1', 'Bearer prometheus-scrape-token-1x', 'Bearer \u00e9']) expect(c.tokenCheck!(bad)).toBe(false);
    expect(loadMetricsConfig({}, int, err)).toEqual({ port: 0, host: '127.0.0.1' });
    expect(() => loadMetricsConfig({ METRICS_TOKEN: 'short' }, int, err)).toThrow(/METRICS_TOKEN/);
    expect(loadMetricsConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }, int, err)).toMatchObject({ port: 9464, host: '0.0.0.0' });
  });
});
