import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/**
 * The simulator zygote (docs/network.md): one long-lived `python3 netsim.py {"role":"zygote",…}` per
 * worker that has imported everything and loaded the assets once, and forks one simulator per
 * analysis on request (Python's ~25 ms start-up once per worker, not per analysis). Each request is
 * one connection to its abstract unix socket (it serves the worker that started it, no one else); a forked simulator keeps
 * that connection as its control channel and capture stream, so simulators share nothing.
 *
 * Protocol (one line each way, then, for a simulator, its own lines):
 *   `sim {"lifetime":s,"deadline":iso}` → `ready <pid>` | `error <text>`
 *   `attach <simulator pid> <sandbox pid>` → `ok` | `error <text>`
 * The zygote's stdout: `ready` once listening, then `exit <pid> <how>` for each child it reaps.
 * Its stdin is a pipe from the worker: when the worker goes, the zygote ends.
 */

/** Marks the simulator's command line, so a reaper can find one left behind by a crashed worker. */
export const NETSIM_MARK = 'quarantine-netsim';

/** Addresses on the link: the same in every analysis (each link lives in its own two namespaces). */
export const NETSIM_LINK = {
  sandbox4: '192.168.100.2',
  sim4: '192.168.100.1',
  /** The port both transparent (TPROXY) sockets listen on inside the simulator's namespace. */
  tproxyPort: 1,
} as const;

/** Room kept in the zygote's argument so a forked simulator can write its own mark and deadline there. */
const ARG_ROOM = 256;

export interface ZygoteOptions {
  /** dist/assets/netsim: netsim.py, payload.elf, cert.pem, key.pem and the empty chroot `root/`. */
  assetsDir: string;
  /** The Python that runs the simulator (stdlib only). */
  python?: string;
}

/** The zygote's configuration (its command-line argument): what every simulator it forks shares. */
export function zygoteConfig(opts: ZygoteOptions, socketName: string): Record<string, unknown> {
  return {
    mark: NETSIM_MARK,
    role: 'zygote',
    socket: socketName,
    assets: opts.assetsDir,
    chroot: join(opts.assetsDir, 'root'),
    uid: 65534,
    gid: 65534,
    ip4: NETSIM_LINK.sim4,
    peer4: NETSIM_LINK.sandbox4,
    // IPv4 only (docs/network.md): no IPv6 sockets or rules; AAAA gets NOERROR with no answer.
    ip6: null,
    port: NETSIM_LINK.tproxyPort,
    pad: ' '.repeat(ARG_ROOM),
  };
}

/** The request line for a new simulator. */
export function simRequest(lifetimeSeconds: number, deadline: Date): string {
  if (!(lifetimeSeconds > 0) || !Number.isFinite(lifetimeSeconds)) throw new Error(`bad simulator lifetime ${lifetimeSeconds}`);
  return `sim ${JSON.stringify({ lifetime: Math.ceil(lifetimeSeconds), deadline: deadline.toISOString() })}\n`;
}

/** The request line that joins a sandbox's network namespace (that of `sandboxPid`) to simulator `simPid`'s. */
export function attachRequest(simPid: number, sandboxPid: number): string {
  for (const p of [simPid, sandboxPid]) if (!Number.isSafeInteger(p) || p <= 1) throw new Error(`bad pid ${p}`);
  return `attach ${simPid} ${sandboxPid}\n`;
}

export type ZygoteReply = { kind: 'ready'; pid: number } | { kind: 'ok' } | { kind: 'error'; message: string } | { kind: 'other'; line: string };

/** A reply line from the zygote or a forked simulator. */
export function parseReply(line: string): ZygoteReply {
  let m = /^ready (\d{1,9})$/.exec(line);
  if (m) return { kind: 'ready', pid: Number(m[1]) };
  if (line === 'ok') return { kind: 'ok' };
  m = /^error (.*)$/s.exec(line);
  if (m) return { kind: 'error', message: m[1].slice(0, 400) };
  return { kind: 'other', line };
}

/** A line of the zygote's own stdout: `exit <pid> <how>` when it reaped a child. */
export function parseExitLine(line: string): { pid: number; how: string } | undefined {
  const m = /^exit (\d{1,9}) (SIG[A-Z0-9]{1,12}|code -?\d{1,4})$/.exec(line);
  return m ? { pid: Number(m[1]), how: m[2] } : undefined;
}

/** Splits a stream into lines, capped: an over-long line is dropped whole (never buffered without bound). */
export class LineSplitter {
  private buf = '';
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly cap = 512 * 1024,
  ) {}

  push(chunk: string): void {
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      this.onLine(line);
    }
    if (this.buf.length > this.cap) {
      this.buf = '';
      this.skipping = true;
    }
  }
}

class ZygoteProcess {
  readonly ready: Promise<void>;
  private exited = false;
  private stderr = '';

  constructor(
    private readonly child: ChildProcessByStdio<Writable, Readable, Readable>,
    readonly socketName: string,
    onExitLine: (pid: number, how: string) => void,
  ) {
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    this.ready.catch(() => undefined);
    // Ref'd (cleared once ready): the process stays up while a start waits for it.
    const timer = setTimeout(() => readyReject(new Error('the network simulator zygote did not start within 10 s')), 10_000);
    const lines = new LineSplitter((line) => {
      if (line === 'ready') {
        clearTimeout(timer);
        readyResolve();
        return;
      }
      const exit = parseExitLine(line);
      if (exit) onExitLine(exit.pid, exit.how);
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => lines.push(d));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (this.stderr.length < 2048) this.stderr += d;
    });
    child.stdin.on('error', () => undefined);
    child.on('exit', (code, signal) => {
      this.exited = true;
      clearTimeout(timer);
      readyReject(new Error(`the network simulator zygote exited (${signal ?? `code ${code}`})${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-1)[0]?.slice(0, 300)}` : ''}`));
    });
    // Never what keeps a worker alive.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return !this.exited && this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}

/**
 * The worker's zygote, restarted when it has died (a simulator it forked keeps serving: it holds its
 * own connection). Children report their end through `onExit`.
 */
export class NetsimZygote {
  private current?: ZygoteProcess;
  private readonly exitListeners = new Map<number, (how: string) => void>();

  constructor(private readonly opts: ZygoteOptions) {}

  /** The running zygote's pid (0 when none runs). */
  get pid(): number {
    return this.current?.alive ? this.current.pid : 0;
  }

  /** Called once with how simulator `pid` ended, if the zygote that forked it reaps it. */
  onExit(pid: number, listener: (how: string) => void): () => void {
    this.exitListeners.set(pid, listener);
    return () => {
      if (this.exitListeners.get(pid) === listener) this.exitListeners.delete(pid);
    };
  }

  /** Opens a request connection to a running zygote (started, or restarted, as needed). */
  async connect(): Promise<Socket> {
    const z = this.ensure();
    await z.ready;
    try {
      return await openAbstract(z.socketName);
    } catch (e) {
      if (z.alive) throw e;
      // It died between our check and the connect: once more, with a fresh one.
      const again = this.ensure();
      await again.ready;
      return openAbstract(again.socketName);
    }
  }

  /** Sends one request and waits for its first reply line; the socket stays open for the caller (a simulator's channel). */
  async request(line: string, timeoutMs: number): Promise<{ socket: Socket; reply: ZygoteReply; rest: string }> {
    const socket = await this.connect();
    return new Promise((resolve, reject) => {
      let buf = '';
      const done = (err?: Error, reply?: ZygoteReply, rest = '') => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        socket.off('error', onError);
        if (err) {
          socket.destroy();
          reject(err);
        } else {
          // Held until its new owner listens (a simulator's lines follow its `ready`).
          socket.pause();
          resolve({ socket, reply: reply!, rest });
        }
      };
      const onData = (d: Buffer) => {
        buf += d.toString('utf8');
        const i = buf.indexOf('\n');
        if (i >= 0) done(undefined, parseReply(buf.slice(0, i)), buf.slice(i + 1));
        else if (buf.length > 4096) done(new Error('the network simulator zygote sent an over-long reply'));
      };
      const onClose = () => done(new Error(`the network simulator zygote closed the request without a reply${buf ? ` (${buf.slice(0, 200)})` : ''}`));
      const onError = (e: Error) => done(e);
      const timer = setTimeout(() => done(new Error(`the network simulator zygote did not answer within ${timeoutMs} ms`)), timeoutMs);
      socket.on('data', onData);
      socket.on('close', onClose);
      socket.on('error', onError);
      socket.write(line);
    });
  }

  /** Ends the zygote (its simulators keep serving until their connections close). */
  stop(): void {
    this.current?.kill();
  }

  private ensure(): ZygoteProcess {
    if (this.current?.alive) return this.current;
    const python = this.opts.python ?? '/usr/bin/python3';
    const name = `quarantine-netsim-${process.pid}-${randomBytes(6).toString('hex')}`;
    const child = spawn(python, ['-I', '-S', join(this.opts.assetsDir, 'netsim.py'), JSON.stringify(zygoteConfig(this.opts, name))], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
    }) as ChildProcessByStdio<Writable, Readable, Readable>;
    const z = new ZygoteProcess(child, name, (pid, how) => {
      const l = this.exitListeners.get(pid);
      if (!l) return;
      this.exitListeners.delete(pid);
      l(how);
    });
    this.current = z;
    return z;
  }
}

function openAbstract(name: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ path: `\0${name}` });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

const zygotes = new Map<string, NetsimZygote>();

/** The process' zygote for these assets (one per worker). */
export function zygoteFor(opts: ZygoteOptions): NetsimZygote {
  const key = `${opts.python ?? ''}\0${opts.assetsDir}`;
  let z = zygotes.get(key);
  if (!z) {
    z = new NetsimZygote(opts);
    zygotes.set(key, z);
  }
  return z;
}
