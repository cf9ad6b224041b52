import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupMonitor } from './cgroup-monitor.js';
import { CappedCollector } from './output-collector.js';

describe('CgroupMonitor', () => {
  it('reads pids-limit hits, peak pids and OOM kills of our own process cgroups (v1 layout)', async () => {
    // Build a fake cgroup root mirroring this process's cgroup paths.
    const root = mkdtempSync(join(tmpdir(), 'q-cg-'));
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(`/proc/${process.pid}/cgroup`, 'utf8').split('\n');
    const path = (ctl: string) => lines.find((l) => l.split(':')[1]?.split(',').includes(ctl))?.split(':')[2];
    const pidsPath = path('pids');
    const memPath = path('memory');
    if (!pidsPath || !memPath) {
      // cgroup v2 host: the monitor reads memory.events and pids.events from the unified path.
      const p = lines.find((l) => l.startsWith('0::'))!.slice(3);
      mkdirSync(join(root, p), { recursive: true });
      writeFileSync(join(root, p, 'pids.events'), 'max 7\n');
      writeFileSync(join(root, p, 'pids.peak'), '32\n');
      writeFileSync(join(root, p, 'memory.events'), 'low 0\noom 1\noom_kill 2\n');
    } else {
      mkdirSync(join(root, 'pids', pidsPath), { recursive: true });
      mkdirSync(join(root, 'memory', memPath), { recursive: true });
      writeFileSync(join(root, 'pids', pidsPath, 'pids.events'), 'max 7\n');
      writeFileSync(join(root, 'pids', pidsPath, 'pids.peak'), '32\n');
      writeFileSync(join(root, 'memory', memPath, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    }
    const m = await CgroupMonitor.forPid(process.pid, root);
    expect(await m.sample()).toEqual({ pidsLimitHits: 7, peakPids: 32, oomKills: 2 });
  });
});

describe('CappedCollector', () => {
  it('keeps the first cap bytes, counts the rest and never blocks', async () => {
    const c = new CappedCollector(10);
    for (let i = 0; i < 100; i++) expect(c.write(Buffer.from('0123456789'))).toBe(true);
    await new Promise((r) => c.end(r));
    expect(c.text()).toBe('0123456789');
    expect(c.total).toBe(1000);
    expect(c.truncated).toBe(true);
  });
});
