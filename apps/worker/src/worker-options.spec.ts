import 'reflect-metadata';
import type { AppConfig } from '#core/config/config';
import { loadConfig } from '#core/config/config';
import type { Probe } from '#sandbox/probes/probe';

/** What @nestjs/bullmq's explorer reads to build each processor's Worker (its WORKER_METADATA key). */
const WORKER_METADATA = 'bullmq:worker_metadata';

describe('worker configuration comes from the validated config only', () => {
  const saved = { ...process.env };
  afterEach(() => { process.env = { ...saved }; });

  it('importing the processors reads no environment (an invalid WORKER_LOCK_MS there does not throw at import)', async () => {
    process.env.WORKER_LOCK_MS = 'not a number';
    process.env.WEBHOOK_BACKOFF_BASE_MS = 'nope';
    await expect(import('./worker.module.js')).resolves.toBeDefined();
  });

  it('WorkerModule.forRoot gives the processors the lock and backoff options of the config it is given', async () => {
    process.env.WORKER_LOCK_MS = '1000'; // not what the module is given: must not be used
    const { AnalysisProcessor } = await import('./detonation/analysis.processor.js');
    const { WebhooksProcessor } = await import('./webhooks/webhooks.processor.js');
    const { configureWorkers } = await import('./worker.module.js');
    const config = loadConfig({ WORKER_LOCK_MS: '90000' });
    configureWorkers(config);
    expect(Reflect.getMetadata(WORKER_METADATA, AnalysisProcessor)).toEqual({ lockDuration: 90_000, stalledInterval: 45_000, maxStalledCount: 2 });
    const w = Reflect.getMetadata(WORKER_METADATA, WebhooksProcessor) as { concurrency: number; settings: { backoffStrategy: (n: number) => number } };
    expect(w.concurrency).toBe(8);
    const delay = w.settings.backoffStrategy(1);
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(config.webhooks.backoffMaxMs);
  });

  it('the falco and tracee probes read the events files named by the config, not process.env', async () => {
    process.env.FALCO_EVENTS_FILE = '/from/process/env/falco.json';
    process.env.TRACEE_EVENTS_FILE = '/from/process/env/tracee.json';
    const { sandboxProviders, PROBES } = await import('./detonation/sandbox.providers.js');
    const provider = sandboxProviders.find((p) => typeof p === 'object' && 'provide' in p && p.provide === PROBES) as { useFactory: (c: AppConfig) => ReadonlyMap<string, Probe> };
    const config = loadConfig({ FALCO_EVENTS_FILE: ' /from/config/falco.json ', TRACEE_EVENTS_FILE: '/from/config/tracee.json' });
    expect(config.falcoEventsFile).toBe('/from/config/falco.json');
    const probes = provider.useFactory(config);
    const target = { containerId: 'c', hostPid: 1, initPid: 1 } as never;
    await expect(probes.get('falco')!.attach(target, '/tmp/unused', { budgetBytes: 1 })).rejects.toThrow('/from/config/falco.json');
    await expect(probes.get('tracee')!.attach(target, '/tmp/unused', { budgetBytes: 1 })).rejects.toThrow('/from/config/tracee.json');
    const unset = provider.useFactory(loadConfig({}));
    await expect(unset.get('falco')!.attach(target, '/tmp/unused', { budgetBytes: 1 })).rejects.toThrow(/FALCO_EVENTS_FILE is not set/);
  });
});
