import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { e2eProfilesDir } from '../support/profiles.js';
import { type Stack, client, startStack } from '../support/stack.js';

// Issue 13, "Hostile samples: Disk": a sample that writes zeros to its root filesystem once wrote
// ~40 GB of the host's disk in its 30 s window. Through the whole pipeline (API → BullMQ → worker →
// Docker on its btrfs data root), under runc and under gVisor, with a 32 MiB limits.disk: the
// kernel stops the writer, the host-side writable layer stays within the limit, the verdict is not
// clean and names the disk limit, and nothing is left behind.
const docker = new Docker();
const MiB = 1024 ** 2;
const LIMIT = 32 * MiB;
/** The storage driver's headroom on top of limits.disk: 4 MiB + 10 % of the 2.7 MB image (docs/sandbox.md#disk-limit). */
const SLACK = 5 * MiB;
let stack: Stack;
let api: ReturnType<typeof client>;
let dataRoot = '';

beforeAll(async () => {
  const dir = e2eProfilesDir('3s');
  const rules = join(process.cwd(), 'sandbox-profiles', 'rules', '*.yaml');
  const profile = (name: string, runtime: string, probe: string) =>
    [`name: ${name}`, `runtime: ${runtime}`, `probe: ${probe}`, 'network: none', 'lures: false', 'stimulate: false',
      // gVisor needs room to start (its sentry counts against memory and pids).
      'limits:', '  memory: 256m', '  pids: 128', '  window: 3s', '  output: 4k', '  trace: 16m', '  disk: 32m', 'rules:', `  - ${rules}`, ''].join('\n');
  writeFileSync(join(dir, 'disk-runc.yaml'), profile('disk-runc', 'runc', 'strace'));
  writeFileSync(join(dir, 'disk-gvisor.yaml'), profile('disk-gvisor', 'runsc', 'gvisor'));
  stack = await startStack({ db: 27, workers: 1, env: { PROFILES_DIR: dir, WORKER_CONCURRENCY: '2' } });
  api = client(stack);
  dataRoot = ((await docker.info()) as { DockerRootDir: string }).DockerRootDir;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** Watches the analysis's sandbox from the host while it runs: its writable layer's size (SizeRw) and its btrfs subvolume. */
function watchSandbox(analysisId: string) {
  let peak = 0;
  let subvolume: string | undefined;
  let seen = false;
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const [c] = await docker.listContainers({ all: true, size: false, filters: { label: [`org.quarantine.analysis-id=${analysisId}`] } });
      if (c) {
        seen = true;
        if (!subvolume) {
          const mountId = join(dataRoot, 'image/btrfs/layerdb/mounts', c.Id, 'mount-id');
          if (existsSync(mountId)) subvolume = join(dataRoot, 'btrfs/subvolumes', readFileSync(mountId, 'utf8').trim());
        }
        const info = (await docker.getContainer(c.Id).inspect({ size: true } as object).catch(() => undefined)) as { SizeRw?: number } | undefined;
        peak = Math.max(peak, info?.SizeRw ?? 0);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  return { stop: async () => { stop = true; await done; return { peak, subvolume, seen }; } };
}

describe('limits.disk stops a disk-filling sample (disk-fill)', () => {
  it.each(['disk-runc', 'disk-gvisor'])('%s: kernel-enforced, reported as a finding, nothing left behind', async (profile) => {
    const res = await api.submit({ image: 'quarantine-samples/disk-fill:latest', profile });
    expect(res.status).toBe(202);
    const watch = watchSandbox(res.json.id);
    const a = await api.waitDone(res.json.id);
    const host = await watch.stop();
    expect(a.status).toBe('completed');
    const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
    // The writer was stopped by the kernel, not by its own 1 GiB safety net.
    expect(report.output.stdout).toMatch(/disk-fill: wrote \d+ MiB in [\d.]+ s \(\d+ MiB\/s\); stopped by Disk quota exceeded/);
    const wrote = Number(/wrote (\d+) MiB/.exec(report.output.stdout)![1]) * MiB;
    expect(wrote).toBeGreaterThan(LIMIT / 2);
    expect(wrote).toBeLessThanOrEqual(LIMIT + SLACK);
    // Host side: the writable layer (as Docker measures it while the sandbox exists) and the qgroup peak the runtime read.
    expect(host.seen).toBe(true);
    expect(host.peak).toBeGreaterThan(LIMIT / 2);
    expect(host.peak).toBeLessThanOrEqual(LIMIT + SLACK);
    expect(report.limits).toMatchObject({ diskLimitHits: 1, configured: expect.objectContaining({ diskBytes: LIMIT }) });
    expect(report.limits.diskUsedBytes).toBeGreaterThan(LIMIT / 2);
    expect(report.limits.diskUsedBytes).toBeLessThanOrEqual(LIMIT + SLACK);
    // A finding, and a verdict that is not clean.
    expect(a.findings.map((f: { rule: string }) => f.rule)).toContain('Sandbox Disk Limit Reached');
    expect(['suspicious', 'malicious']).toContain(a.verdict);
    // Nothing left behind: no container of this analysis, no subvolume.
    expect(await docker.listContainers({ all: true, filters: { label: [`org.quarantine.analysis-id=${a.id}`] } })).toEqual([]);
    expect(host.subvolume).toBeDefined();
    expect(existsSync(host.subvolume!)).toBe(false);
  }, 60_000);
});
