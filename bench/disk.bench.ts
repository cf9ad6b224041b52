/**
 * Disk-limit benchmark (npm run bench; docs/sandbox.md#disk-limit), real Docker on its btrfs data root:
 *  1. What the per-sandbox limit costs at container create + start: the hello sample created with
 *     the sandbox's NetworkDisabled config, with and without `StorageOpt.size` (a btrfs qgroup
 *     limit), alternating, median of 15 each.
 *  2. How fast the disk-fill sample writes before the limit stops it (256 MiB limits.disk), under
 *     runc and runsc, median of 3: from its own report (MiB written / seconds).
 * Writes bench/results/disk.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { storageOptSize } from '../libs/sandbox/src/docker/disk-quota.js';
import { median } from './support.js';

const docker = new Docker();
const MiB = 1024 ** 2;

async function createStart(image: string, size: string | undefined): Promise<{ createMs: number; startMs: number }> {
  const t0 = performance.now();
  const c = await docker.createContainer({
    Image: image, NetworkDisabled: true, Labels: { 'org.quarantine.bench': 'disk' },
    HostConfig: { Init: true, NetworkMode: 'none', LogConfig: { Type: 'none', Config: {} }, ...(size ? { StorageOpt: { size } } : {}) },
  });
  const t1 = performance.now();
  await c.start();
  const t2 = performance.now();
  await c.wait();
  await c.remove({ force: true });
  return { createMs: t1 - t0, startMs: t2 - t1 };
}

async function fillRate(runtime: 'runc' | 'runsc', diskBytes: number): Promise<{ mib: number; seconds: number; mibPerSecond: number; stoppedBy: string }> {
  const info = await docker.getImage('quarantine-samples/disk-fill:latest').inspect();
  const c = await docker.createContainer({
    Image: 'quarantine-samples/disk-fill:latest', Cmd: ['0'], NetworkDisabled: true, AttachStdout: true, AttachStderr: true, Labels: { 'org.quarantine.bench': 'disk' },
    HostConfig: { Init: true, NetworkMode: 'none', Memory: 256 * MiB, PidsLimit: 128, Runtime: runtime === 'runsc' ? 'runsc' : undefined, StorageOpt: { size: String(storageOptSize(info.Size, diskBytes)) } },
  });
  try {
    const stream = await c.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    docker.modem.demuxStream(stream, out, out);
    await c.start();
    await c.wait();
    await new Promise((r) => setTimeout(r, 100));
    const m = /wrote (\d+) MiB in ([\d.]+) s \((\d+) MiB\/s\); stopped by (.*)/.exec(text);
    if (!m) throw new Error(`disk-fill said: ${text}`);
    return { mib: Number(m[1]), seconds: Number(m[2]), mibPerSecond: Number(m[3]), stoppedBy: m[4].trim() };
  } finally {
    await c.remove({ force: true });
  }
}

async function main(): Promise<void> {
  const driver = ((await docker.info()) as { Driver: string }).Driver;
  const image = 'quarantine-samples/hello:latest';
  const size = String(storageOptSize((await docker.getImage(image).inspect()).Size, 1024 ** 3));
  const runs: Record<'unlimited' | 'limited', { createMs: number[]; startMs: number[] }> = { unlimited: { createMs: [], startMs: [] }, limited: { createMs: [], startMs: [] } };
  await createStart(image, size); // warm-up
  for (let i = 0; i < 15; i++) {
    for (const mode of (i % 2 ? ['limited', 'unlimited'] : ['unlimited', 'limited']) as ('limited' | 'unlimited')[]) {
      const r = await createStart(image, mode === 'limited' ? size : undefined);
      runs[mode].createMs.push(r.createMs);
      runs[mode].startMs.push(r.startMs);
    }
  }
  const med = (m: 'limited' | 'unlimited') => ({ createMs: Math.round(median(runs[m].createMs)), startMs: Math.round(median(runs[m].startMs)) });
  const fill: Record<string, unknown> = {};
  for (const rt of ['runc', 'runsc'] as const) {
    const rs = [];
    for (let i = 0; i < 3; i++) rs.push(await fillRate(rt, 256 * MiB));
    fill[rt] = { medianMiBPerSecond: median(rs.map((r) => r.mibPerSecond)), runs: rs };
  }
  const result = { at: new Date().toISOString(), driver, createStart: { unlimited: med('unlimited'), limited: med('limited') }, diskFill256MiB: fill };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(join(process.cwd(), 'bench', 'results'), { recursive: true });
  writeFileSync(join(process.cwd(), 'bench', 'results', 'disk.json'), JSON.stringify(result, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
