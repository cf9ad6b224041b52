import { type WriteStream, createWriteStream } from 'node:fs';
import { readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { LineSplitter, NETSIM_MARK, type NetsimZygote, attachRequest, simRequest, zygoteFor } from './netsim-zygote.js';

export { NETSIM_LINK, NETSIM_MARK } from './netsim-zygote.js';

/**
 * The simulated network (issue 11, docs/network.md): one simulator process per analysis
 * (libs/sandbox/assets/netsim/netsim.py, forked by the worker's zygote, netsim-zygote.ts) in a
 * network namespace of its own, joined to the sample's namespace by one point-to-point veth pair
 * made straight into the two namespaces at attach. No bridge, no host-side interface, no host address, no
 * route out: the host, other sandboxes and the outside are unreachable by construction, and every
 * address the sample tries lands on the simulator.
 */

export interface NetworkSimulatorOptions {
  /** dist/assets/netsim: netsim.py, payload.elf, cert.pem, key.pem and the empty chroot `root/`. */
  assetsDir: string;
  /** The Python that runs the simulator (stdlib only). */
  python?: string;
}

export interface SimulatorStart {
  /** The simulator ends itself after this long, whatever happens to the worker. */
  lifetimeSeconds: number;
}

export interface SimulatorLease {
  analysisId: string;
  /** Where the NetCapture lines go (created, appended); `netsim.pid` beside it names the simulator. */
  capturePath: string;
  /** From the lease on, the simulator ends itself after this long. */
  lifetimeSeconds: number;
}

/** Longest line accepted from the simulator (its records are bounded well below this). */
const LINE_CAP = 512 * 1024;

export interface SimulatorHealth {
  healthy: boolean;
  error?: string;
  records?: number;
  dropped?: number;
}

export class NetworkSimulator {
  private exited?: string;
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string | null) => void)[] = [];
  private stopped = false;
  private capture?: WriteStream;
  private dropExitListener?: () => void;
  capturePath?: string;

  private constructor(
    private readonly zygote: NetsimZygote,
    private readonly socket: Socket,
    readonly pid: number,
    rest: string,
  ) {
    // Its connection: NetCapture lines (`{…}`), appended to the leased analysis' capture file; control lines otherwise.
    const lines = new LineSplitter((line) => {
      if (line.startsWith('{')) {
        this.capture?.write(`${line}\n`);
        return;
      }
      const w = this.waiters.shift();
      if (w) w(line);
      else if (this.lines.length < 16) this.lines.push(line);
    }, LINE_CAP);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => lines.push(d));
    socket.on('error', () => undefined);
    socket.resume();
    // The zygote that forked it says how it ended (a signal, an exit code), usually right after the close.
    this.dropExitListener = zygote.onExit(pid, (how) => {
      this.exited = `the network simulator exited (${how})`;
    });
    socket.on('close', () => {
      this.exited ??= 'the network simulator exited (its connection closed)';
      for (const w of this.waiters.splice(0)) w(null);
      // Give the zygote's report a moment to name the cause, then forget the pid.
      setTimeout(() => this.dropExitListener?.(), 5_000).unref();
    });
    if (rest) lines.push(rest);
  }

  get alive(): boolean {
    return !this.exited && !this.stopped;
  }

  /** Forks a simulator in a new network namespace, set up; resolves once it serves. */
  static async start(opts: NetworkSimulatorOptions, s: SimulatorStart): Promise<NetworkSimulator> {
    const zygote = zygoteFor(opts);
    // A backstop for the reaper: past this, the simulator is stale (it ends itself sooner).
    const deadline = new Date(Date.now() + (s.lifetimeSeconds + 3600) * 1000);
    const { socket, reply, rest } = await zygote.request(simRequest(s.lifetimeSeconds, deadline), 5000);
    if (reply.kind !== 'ready') {
      socket.destroy();
      throw new Error(`the network simulator did not start: ${reply.kind === 'error' ? reply.message : JSON.stringify(reply)}`);
    }
    return new NetworkSimulator(zygote, socket, reply.pid, rest);
  }

  /** Takes this simulator for one analysis: its records go to the capture file from now on. */
  async lease(l: SimulatorLease): Promise<void> {
    if (this.exited) throw new Error(this.exited);
    if (this.capture) throw new Error('the network simulator is already leased');
    this.capturePath = l.capturePath;
    this.capture = createWriteStream(l.capturePath, { flags: 'a', mode: 0o600 });
    this.capture.on('error', () => undefined);
    this.socket.write(`lease ${Math.ceil(l.lifetimeSeconds)}\n`);
    await writeFile(join(dirname(l.capturePath), 'netsim.pid'), `${this.pid}\n`);
  }

  /**
   * Joins the sample's network namespace (that of `sandboxPid`) to the simulator's: the zygote forks
   * a helper that makes a veth pair straight into the two namespaces (never the host's) over
   * rtnetlink, addresses both ends and routes the sample's by default to the simulator; no process
   * is spawned. Call it while the entrypoint is held.
   */
  async attach(sandboxPid: number): Promise<void> {
    if (this.exited) throw new Error(this.exited);
    const sp = Math.trunc(sandboxPid);
    if (!(sp > 1)) throw new Error(`bad sandbox pid ${sandboxPid}`);
    // Never plumb into the host's namespace (or one we cannot see): the sample's must be its own (the helper checks again).
    const [theirs, ours] = await Promise.all([readlink(`/proc/${sp}/ns/net`).catch(() => ''), readlink('/proc/self/ns/net')]);
    if (!theirs || theirs === ours) throw new Error(`process ${sp} is not in a network namespace of its own`);
    const { socket, reply } = await this.zygote.request(attachRequest(this.pid, sp), 5000);
    socket.destroy();
    if (reply.kind !== 'ok') throw new Error(`network plumbing failed: ${reply.kind === 'error' ? reply.message : JSON.stringify(reply)}`);
  }

  /** Asks the simulator whether it still serves (and to write the records of open connections). */
  async health(timeoutMs = 2000): Promise<SimulatorHealth> {
    if (this.exited) return { healthy: false, error: await this.exitReason() };
    this.socket.write('ping\n');
    const line = await this.nextLine(timeoutMs);
    const m = line ? /^ok (\d+) (\d+)$/.exec(line) : null;
    if (!m) return { healthy: false, error: this.exited ? await this.exitReason() : `the network simulator did not answer its health check within ${timeoutMs} ms` };
    return { healthy: true, records: Number(m[1]), dropped: Number(m[2]) };
  }

  /** Ends the simulator; its namespace and the veth pair go with it. Safe to call more than once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // While its connection is open the pid is still this simulator's (it holds the connection): kill
    // it; closing the connection alone would end it too (EOF on its control channel).
    if (!this.exited && !this.socket.destroyed) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.socket.destroy();
    const capture = this.capture;
    if (capture) await new Promise<void>((resolve) => capture.end(() => resolve()));
  }

  /** Why it ended: waits briefly for the zygote's report (a signal, an exit code) after the close. */
  private async exitReason(): Promise<string> {
    for (let i = 0; i < 10 && this.exited?.endsWith('(its connection closed)'); i++) await new Promise((r) => setTimeout(r, 20));
    return this.exited ?? 'the network simulator exited';
  }

  private nextLine(timeoutMs: number): Promise<string | null> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.exited) return Promise.resolve(null);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(null);
      }, timeoutMs);
      const done = (line: string | null) => {
        clearTimeout(t);
        resolve(line);
      };
      this.waiters.push(done);
    });
  }
}

/**
 * Simulators left behind (a worker killed before it could stop them; they also end by themselves
 * when the worker's pipe closes or their lifetime runs out): found by their command line, killed by
 * pid when past their backstop deadline.
 */
export async function reapSimulators(opts: { now?: Date } = {}): Promise<number[]> {
  const now = (opts.now ?? new Date()).getTime();
  const killed: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(NETSIM_MARK) || !cmdline.includes('netsim.py')) continue;
    const json = cmdline.split('\0').find((a) => a.startsWith('{'));
    let cfg: { mark?: string; deadline?: string } = {};
    try {
      cfg = JSON.parse(json ?? '{}') as typeof cfg;
    } catch {
      continue;
    }
    if (cfg.mark !== NETSIM_MARK) continue;
    if (!(Date.parse(cfg.deadline ?? '') <= now)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      killed.push(Number(entry));
    } catch {
      // already gone
    }
  }
  return killed;
}
