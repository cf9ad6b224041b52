import { createPerfParser } from '#analysis/probes/perf-parser';
import { PerfProbe } from './perf.probe.js';
import { describeTracepointProbe } from './tracepoint-probe.it-support.js';

// Real Docker, real perf: `perf trace -a -G docker/<id>` scoped to the sandbox's cgroup, from the
// entrypoint's exec. Set KEEP_FIXTURES=1 to refresh __fixtures__/perf.
describe('PerfProbe', () => {
  describeTracepointProbe(new PerfProbe(), createPerfParser, {
    shell: (r) => {
      // Scoped by cgroup: the container's init shows in the raw trace, never a host process; the parser keeps the entrypoint's tree.
      expect(r.trace).not.toMatch(/ (dockerd|containerd|node)\/\d+ /);
      expect(r.result.parser.detail.outOfScope).toBeGreaterThan(0);
    },
  });
});
