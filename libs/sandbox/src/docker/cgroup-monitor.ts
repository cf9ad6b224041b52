import { readFile } from 'node:fs/promises';
import type { LimitHits } from '../sandbox-runtime.js';

/**
 * Reads a sandbox's pids and memory cgroup counters (v1 or v2) while it runs: after the
 * container stops its cgroups are gone, so the last reading is kept.
 */
export class CgroupMonitor {
  private pidsDir?: string;
  private memDir?: string;
  private memV2 = false;
  private last: LimitHits = { pidsLimitHits: 0, oomKills: 0, peakPids: 0 };

  static async forPid(hostPid: number, root = '/sys/fs/cgroup'): Promise<CgroupMonitor> {
    const m = new CgroupMonitor();
    const text = await readFile(`/proc/${hostPid}/cgroup`, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const [, controllers, path] = line.split(':');
      if (path === undefined) continue;
      const list = controllers.split(',');
      if (list.includes('pids')) m.pidsDir = `${root}/pids${path}`;
      if (list.includes('memory')) m.memDir = `${root}/memory${path}`;
      if (controllers === '' && (!m.pidsDir || !m.memDir)) {
        // cgroup v2 (unified at the root, or at /sys/fs/cgroup/unified on hybrid hosts)
        for (const base of [root, `${root}/unified`]) {
          const dir = `${base}${path}`;
          if (await readFile(`${dir}/pids.events`, 'utf8').then(() => true, () => false)) {
            m.pidsDir ??= dir;
            m.memDir ??= dir;
            m.memV2 = true;
            break;
          }
        }
      }
    }
    return m;
  }

  async sample(): Promise<LimitHits> {
    const [pidsEvents, peak, mem] = await Promise.all([
      this.pidsDir ? readFile(`${this.pidsDir}/pids.events`, 'utf8').catch(() => undefined) : undefined,
      this.pidsDir ? readFile(`${this.pidsDir}/pids.peak`, 'utf8').catch(() => undefined) : undefined,
      this.memDir ? readFile(`${this.memDir}/${this.memV2 ? 'memory.events' : 'memory.oom_control'}`, 'utf8').catch(() => undefined) : undefined,
    ]);
    const next = { ...this.last };
    const max = pidsEvents && /^max (\d+)/m.exec(pidsEvents);
    if (max) next.pidsLimitHits = Math.max(next.pidsLimitHits, Number(max[1]));
    if (peak && /^\d+/.test(peak)) next.peakPids = Math.max(next.peakPids, Number.parseInt(peak, 10));
    const oom = mem && /^oom_kill (\d+)/m.exec(mem);
    if (oom) next.oomKills = Math.max(next.oomKills, Number(oom[1]));
    this.last = next;
    return next;
  }

  get latest(): LimitHits {
    return this.last;
  }
}
