import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { type WriteStream, createWriteStream } from 'node:fs';
import { readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/**
 * The simulated network (issue 11, docs/network.md): one simulator process per analysis
 * (libs/sandbox/assets/netsim/netsim.py) in a network namespace of its own, joined to the sample's
 * namespace by one point-to-point veth pair created straight into the two namespaces. No bridge, no
 * host-side interface, no host address, no route out: the host, other sandboxes and the outside are
 * unreachable by construction, and every address the sample tries lands on the simulator.
 */

/** Addresses on the link: the same in every analysis (each link lives in its own two namespaces). */
export const NETSIM_LINK = {
  sandbox4: '192.168.100.2',
  sim4: '192.168.100.1',
  /** The port both transparent (TPROXY) sockets listen on inside the simulator's namespace. */
  tproxyPort: 1,
  /** The sample's end of the pair while it waits in the simulator's namespace (renamed eth0 in the sample's). */
  peerName: 'qsbx0',
} as const;

/** Marks the simulator's command line, so a reaper can find one left behind by a crashed worker. */
export const NETSIM_MARK = 'quarantine-netsim';

export interface NetworkSimulatorOptions {
  /** dist/assets/netsim: netsim.py, payload.elf, cert.pem, key.pem and the empty chroot `root/`. */
  assetsDir: string;
  /** The Python that runs the simulator (stdlib only). */
  python?: string;
  /** Warm simulators kept ready (default 3); each serves one analysis and is then discarded. */
  pool?: number;
}

export interface SimulatorStart {
  /** The simulator ends itself after this long (unless leased), whatever happens to the worker. */
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

/**
 * A long-lived shell (root, like the worker) that runs the attach scripts, so the critical path of
 * an analysis forks a small shell's children, not the worker (a Node spawn costs more than the
 * commands). One script at a time; a script that fails or times out rejects, a dead shell is replaced.
 */
class PlumbingShell {
  private child?: ChildProcessByStdio<Writable, Readable, Readable>;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  run(script: string, timeoutMs = 5000): Promise<void> {
    const child = this.ensure();
    const id = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`network plumbing timed out after ${timeoutMs} ms`));
        child.kill('SIGKILL');
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      // The script's output (errors) comes back on one line with its status.
      child.stdin.write(`out=$( (\nset -e\n${script}\n) 2>&1 ); rc=$?; printf '#done ${id} %d %s\n' "$rc" "$(printf '%s' "$out" | tr '\\n' ' ' | head -c 400)"\n`);
    });
  }

  private ensure(): ChildProcessByStdio<Writable, Readable, Readable> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return this.child;
    const child = spawn('sh', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' } }) as ChildProcessByStdio<Writable, Readable, Readable>;
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const m = /^#done (\d+) (\d+) ?(.*)$/.exec(buf.slice(0, i));
        buf = buf.slice(i + 1);
        const p = m ? this.pending.get(Number(m[1])) : undefined;
        if (!m || !p) continue;
        this.pending.delete(Number(m[1]));
        clearTimeout(p.timer);
        if (m[2] === '0') p.resolve();
        else p.reject(new Error(`network plumbing failed (${m[2]}): ${m[3]}`));
      }
      if (buf.length > 65536) buf = '';
    });
    child.stderr.resume();
    child.stdin.on('error', () => undefined);
    child.on('exit', () => {
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        clearTimeout(p.timer);
        p.reject(new Error('the network plumbing shell exited'));
      }
    });
    // Never what keeps a worker alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    this.child = child;
    return child;
  }
}

const plumbing = new PlumbingShell();

/** The simulator's own namespace: every address arriving on the link is local; TCP and UDP (but DNS) go to the TPROXY sockets. */
function simulatorNetnsScript(): { ip: string; ip4tables: string } {
  const p = NETSIM_LINK.tproxyPort;
  const l = NETSIM_LINK;
  const ip = [
    'link set lo up',
    'rule add iif eth0 lookup 100 pref 100',
    'route add local 0.0.0.0/0 dev lo table 100',
    // The pair is made here, ahead of time (the pool); attach only moves its other end to the sample.
    `link add eth0 type veth peer name ${l.peerName}`,
    `addr add ${l.sim4} peer ${l.sandbox4} dev eth0`,
    'link set eth0 up',
  ].join('\n');
  const rules = (on: string) =>
    ['*mangle', `-A PREROUTING -i eth0 -p tcp -j TPROXY --on-port ${p} --on-ip ${on} --tproxy-mark 0x1/0x1`, `-A PREROUTING -i eth0 -p udp ! --dport 53 -j TPROXY --on-port ${p} --on-ip ${on} --tproxy-mark 0x1/0x1`, 'COMMIT', ''].join('\n');
  return { ip: `${ip}\n`, ip4tables: rules('0.0.0.0') };
}

/** `cmd <<'EOF' … EOF` for a script fed to sh (the bodies are ours: addresses, rules; never sample data). */
function heredoc(cmd: string, body: string, background = false): string {
  return `${cmd} <<'QNETSIM'${background ? ' &' : ''}\n${body.endsWith('\n') ? body : `${body}\n`}QNETSIM`;
}

export class NetworkSimulator {
  private exited?: string;
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string | null) => void)[] = [];
  private stopped = false;
  private capture?: WriteStream;
  capturePath?: string;

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, Readable>) {
    // stdout: NetCapture lines (`{…}`), appended to the leased analysis' capture file; control lines otherwise.
    let buf = '';
    let skipping = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (skipping) {
          skipping = false;
          continue;
        }
        if (line.startsWith('{')) {
          this.capture?.write(`${line}\n`);
          continue;
        }
        const w = this.waiters.shift();
        if (w) w(line);
        else if (this.lines.length < 16) this.lines.push(line);
      }
      if (buf.length > LINE_CAP) {
        buf = '';
        skipping = true;
      }
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 2048) stderr += d;
    });
    child.stdin.on('error', () => undefined);
    child.on('exit', (code, signal) => {
      this.exited = `the network simulator exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim().split('\n').slice(-1)[0]?.slice(0, 300)}` : ''}`;
      for (const w of this.waiters.splice(0)) w(null);
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return !this.exited && !this.stopped;
  }

  /** Starts the simulator in a new network namespace and sets that namespace up; resolves once it serves. */
  static async start(opts: NetworkSimulatorOptions, s: SimulatorStart): Promise<NetworkSimulator> {
    // A backstop for the reaper: past this, the simulator is stale whatever its lease (it ends itself sooner).
    const deadline = new Date(Date.now() + (s.lifetimeSeconds + 3600) * 1000).toISOString();
    const cfg = {
      mark: NETSIM_MARK,
      deadline,
      assets: opts.assetsDir,
      chroot: join(opts.assetsDir, 'root'),
      uid: 65534,
      gid: 65534,
      ip4: NETSIM_LINK.sim4,
      // IPv4 only for now (docs/network.md): no IPv6 sockets or rules; AAAA gets no address.
      ip6: null,
      port: NETSIM_LINK.tproxyPort,
      lifetime: s.lifetimeSeconds,
    };
    // One spawn: in the new namespace (still root) a shell sets it up, then becomes the simulator
    // (same pid; the command line the reaper looks for is Python's). A Node spawn costs more than the commands.
    const script = simulatorNetnsScript();
    const setup = ['set -e', heredoc('ip -batch -', script.ip), heredoc('iptables-restore', script.ip4tables), 'exec "$@"'].join('\n');
    const python = [opts.python ?? '/usr/bin/python3', '-I', '-S', join(opts.assetsDir, 'netsim.py'), JSON.stringify(cfg)];
    const child = spawn('unshare', ['--net', '--', 'sh', '-c', setup, 'netsim-setup', ...python], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
    }) as ChildProcessByStdio<Writable, Readable, Readable>;
    const sim = new NetworkSimulator(child);
    try {
      const ready = await sim.nextLine(5000);
      if (ready !== 'ready') throw new Error(sim.exited ?? `the network simulator did not start (said ${JSON.stringify(ready)})`);
      return sim;
    } catch (e) {
      await sim.stop();
      throw e;
    }
  }

  /** Takes this simulator (fresh, or warm from a pool) for one analysis: its records go to the capture file from now on. */
  async lease(l: SimulatorLease): Promise<void> {
    if (this.exited) throw new Error(this.exited);
    if (this.capture) throw new Error('the network simulator is already leased');
    this.capturePath = l.capturePath;
    this.capture = createWriteStream(l.capturePath, { flags: 'a', mode: 0o600 });
    this.capture.on('error', () => undefined);
    this.child.stdin.write(`lease ${Math.ceil(l.lifetimeSeconds)}\n`);
    await writeFile(join(dirname(l.capturePath), 'netsim.pid'), `${this.pid}\n`);
  }

  /**
   * Joins the sample's network namespace (that of `sandboxPid`) to the simulator's: the veth pair
   * made in the simulator's namespace at start (never in the host's) gets its other end moved into
   * the sample's, addressed, with a default route to the simulator. Call it while the entrypoint is held.
   */
  async attach(sandboxPid: number): Promise<void> {
    if (this.exited) throw new Error(this.exited);
    const sp = Math.trunc(sandboxPid);
    if (!(sp > 1)) throw new Error(`bad sandbox pid ${sandboxPid}`);
    // Never plumb into the host's namespace (or one we cannot see): the sample's must be its own.
    const [theirs, ours] = await Promise.all([readlink(`/proc/${sp}/ns/net`).catch(() => ''), readlink('/proc/self/ns/net')]);
    if (!theirs || theirs === ours) throw new Error(`process ${sp} is not in a network namespace of its own`);
    const l = NETSIM_LINK;
    // IPv4 only in the sandbox, as on Docker's default networks: no IPv6 address on its link (so no
    // IPv6 route: connects fail at once), and AAAA queries get no address.
    const sandbox = [
      `link set ${l.peerName} name eth0`,
      'link set eth0 addrgenmode none',
      `addr add ${l.sandbox4} peer ${l.sim4} dev eth0`,
      'link set eth0 up',
      `route add default via ${l.sim4} dev eth0 onlink`,
    ];
    // On the critical path (the sample is held meanwhile): move the waiting end in, set it up.
    await plumbing.run(
      [`nsenter --net=/proc/${this.pid}/ns/net ip link set ${l.peerName} netns ${sp}`, heredoc(`nsenter --net=/proc/${sp}/ns/net ip -batch -`, `${sandbox.join('\n')}\n`)].join('\n'),
    );
  }

  /** Asks the simulator whether it still serves (and to write the records of open connections). */
  async health(timeoutMs = 2000): Promise<SimulatorHealth> {
    if (this.exited) return { healthy: false, error: this.exited };
    this.child.stdin.write('ping\n');
    const line = await this.nextLine(timeoutMs);
    const m = line ? /^ok (\d+) (\d+)$/.exec(line) : null;
    if (!m) return { healthy: false, error: this.exited ?? `the network simulator did not answer its health check within ${timeoutMs} ms` };
    return { healthy: true, records: Number(m[1]), dropped: Number(m[2]) };
  }

  /** Ends the simulator; its namespace and the veth pair go with it. Safe to call more than once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Not waited for: its records were all written before it answered the health check, and the
    // kernel tears its namespace and the pair down on its own.
    if (!this.exited) this.child.kill('SIGKILL');
    const capture = this.capture;
    if (capture) await new Promise<void>((resolve) => capture.end(() => resolve()));
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
