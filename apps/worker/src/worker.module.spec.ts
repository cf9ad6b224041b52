import { JobName, QueueName } from '#core/queue/queue.constants';
import { assertEveryJobHandled } from './worker.module.js';

describe('assertEveryJobHandled', () => {
  it('accepts the shipped handler map', () => {
    expect(() => assertEveryJobHandled()).not.toThrow();
  });

  it('refuses to boot when a job name has no handler', () => {
    expect(() => assertEveryJobHandled({ [QueueName.Analysis]: [JobName.Detonate, JobName.Rescore], [QueueName.Maintenance]: [] })).toThrow(/reap-sandboxes/);
    expect(() => assertEveryJobHandled({ [QueueName.Analysis]: [JobName.Detonate], [QueueName.Maintenance]: [JobName.ReapSandboxes] })).toThrow(/rescore/);
  });
});
