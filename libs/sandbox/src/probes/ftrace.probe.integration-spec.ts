import { existsSync, readdirSync } from 'node:fs';
import { createFtraceParser } from '#analysis/probes/ftrace-parser';
import { FtraceProbe, TRACEFS } from './ftrace.probe.js';
import { describeTracepointProbe } from './tracepoint-probe.it-support.js';

// Real Docker, real tracefs: the instance filters on the held wrapper and its forks, sees the
// entrypoint from its exec, and is gone afterwards. Set KEEP_FIXTURES=1 to refresh __fixtures__/ftrace.
function instances(): string[] {
  return existsSync(`${TRACEFS}/instances`) ? readdirSync(`${TRACEFS}/instances`).filter((n) => n.startsWith('quarantine-')) : [];
}

describe('FtraceProbe', () => {
  describeTracepointProbe(new FtraceProbe(), createFtraceParser, {
    snapshot: instances,
    shell: (r, before) => {
      // Only the sandbox: no host process ever appears; the probe's tracefs instance is removed.
      expect(r.trace).not.toMatch(/docker-init|dockerd|containerd/);
      expect(instances()).toEqual(before);
    },
  });
});
