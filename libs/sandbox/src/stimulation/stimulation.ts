import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';

/**
 * Stimulation (issue 11): code that runs only when a request arrives is exercised during the
 * window. Ports the image exposes, or that a sandbox process listens on, are visited from inside the
 * sandbox's own network namespace (a short-lived helper under `nsenter --net=/proc/<pid>/ns/net`),
 * so it works with `network: none` and nothing on the host's network is involved. Bounded: at most
 * `maxPorts` ports, a fixed list of requests per port, a per-request timeout and a response cap.
 * Listening sockets are read from the host in `/proc/<pid>/net/tcp{,6}` (the netns's table).
 */

export interface StimulationRequest {
  path?: string;
  status?: number;
  bytes: number;
  ms: number;
  error?: string;
}

export interface StimulatedPort {
  port: number;
  /** Address connected to inside the sandbox (loopback for a wildcard listener). */
  address: string;
  /** Why the port was visited: the image exposes it, a process listened on it, or both. */
  source: 'exposed' | 'listening' | 'exposed+listening';
  /** `http`: answered HTTP; `tcp`: connected, not HTTP (first bytes in `banner`); `not-listening`: exposed, never listened. */
  kind: 'http' | 'tcp' | 'not-listening' | 'error';
  requests: StimulationRequest[];
  /** Printable-escaped first bytes a non-HTTP service sent (≤ 64). */
  banner?: string;
}

/** The report's `stimulation` section. */
export interface StimulationRecord {
  enabled: boolean;
  /** Why nothing was visited although enabled (e.g. gVisor: the sample's sockets are not in a host netns). */
  skipped?: string;
  ports: StimulatedPort[];
  /** More listening ports than `maxPorts` were seen. */
  truncated: boolean;
}

export interface StimulationOptions {
  /** Host pid of a process in the sandbox's network namespace (the container's init). */
  pid: number;
  exposedPorts: readonly number[];
  maxPorts?: number;
  pollMs?: number;
  requestTimeoutMs?: number;
  responseCapBytes?: number;
  /** Delay between first seeing a listener and visiting it, so the service finishes starting. */
  settleMs?: number;
}

/** Paths requested on an HTTP port, `/` first (a port that does not answer `/` with HTTP gets no more). */
export const STIMULATION_PATHS = ['/', '/health', '/api', '/login', '/admin', '/.env'] as const;

/** Ports whose services do not speak HTTP (sending them a request is noise): connect and read a banner only. */
const NON_HTTP_PORTS = new Set([21, 22, 23, 25, 53, 110, 143, 389, 465, 587, 993, 995, 1433, 1521, 2181, 3306, 5432, 5672, 6379, 9042, 9092, 11211, 27017]);

/**
 * Bytes of a socket table read per poll: the kernel lists listening sockets before the others, so a
 * sample that opens thousands of connections cannot make each poll read megabytes.
 */
const TABLE_CAP = 256 * 1024;

async function readHead(path: string, cap: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(cap);
    let n = 0;
    while (n < cap) {
      const { bytesRead } = await fh.read(buf, n, cap - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    const text = buf.toString('latin1', 0, n);
    return n < cap ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  } finally {
    await fh.close();
  }
}

export interface Listener {
  address: string;
  port: number;
}

function hexToAddress(hex: string): string {
  if (hex.length === 8) {
    const n = Number.parseInt(hex, 16);
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
  }
  // IPv6: four little-endian 32-bit words.
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = hex.slice(i, i + 8);
    const be = w.slice(6, 8) + w.slice(4, 6) + w.slice(2, 4) + w.slice(0, 2);
    words.push(be.slice(0, 4), be.slice(4, 8));
  }
  const full = words.map((w) => w.replace(/^0+(?=.)/, '').toLowerCase()).join(':');
  if (/^(0:){7}0$/.test(full)) return '::';
  if (/^(0:){7}1$/.test(full)) return '::1';
  const v4 = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(full);
  if (v4) {
    const a = Number.parseInt(v4[1], 16);
    const b = Number.parseInt(v4[2], 16);
    return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  return full;
}

/** LISTEN entries (state 0A) of a /proc/net/tcp or tcp6 table. */
export function parseListeners(table: string): Listener[] {
  const out: Listener[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A') continue;
    const [addr, port] = (f[1] ?? '').split(':');
    if (!addr || !port) continue;
    out.push({ address: hexToAddress(addr), port: Number.parseInt(port, 16) });
  }
  return out;
}

/** Where to connect for a listener: loopback for wildcard binds. */
function connectAddress(l: Listener): string {
  if (l.address === '0.0.0.0') return '127.0.0.1';
  if (l.address === '::') return '::1';
  return l.address;
}

/**
 * The helper run inside the sandbox's netns: plain `net` sockets, HTTP/1.1 with `Connection:
 * close`, every request bounded by a timeout and a byte cap. It prints one JSON object. It is code
 * of ours (a constant); the only input is the JSON spec in argv.
 */
const HELPER = String.raw`
const net = require('node:net');
const spec = JSON.parse(process.argv[1]);
const esc = (b) => Array.from(b.subarray(0, 64)).map((c) => (c >= 32 && c < 127 && c !== 92 ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0'))).join('');
function exchange(port, host, payload, waitBanner) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const chunks = []; let size = 0; let done = false;
    const s = net.connect({ port, host });
    const finish = (error) => { if (done) return; done = true; clearTimeout(timer); s.destroy(); resolve({ data: Buffer.concat(chunks), ms: Date.now() - t0, error }); };
    const timer = setTimeout(() => finish(size ? undefined : 'timeout'), waitBanner ? spec.bannerMs : spec.timeoutMs);
    s.on('connect', () => { if (payload) s.write(payload); });
    s.on('data', (d) => { chunks.push(d); size += d.length; if (size >= spec.capBytes) finish(); });
    s.on('end', () => finish());
    s.on('error', (e) => finish(e.code || e.message));
  });
}
const req = (path, port) => 'GET ' + path + ' HTTP/1.1\r\nHost: localhost:' + port + '\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36\r\nAccept: */*\r\nConnection: close\r\n\r\n';
(async () => {
  const out = [];
  for (const p of spec.ports) {
    const r = { port: p.port, address: p.address, requests: [] };
    out.push(r);
    if (!p.http) {
      const x = await exchange(p.port, p.address, null, true);
      r.kind = x.error && x.error !== 'timeout' ? 'error' : 'tcp';
      r.requests.push({ bytes: x.data.length, ms: x.ms, ...(x.error && x.error !== 'timeout' ? { error: x.error } : {}) });
      if (x.data.length) r.banner = esc(x.data);
      continue;
    }
    for (const path of spec.paths) {
      const x = await exchange(p.port, p.address, req(path, p.port), false);
      const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(x.data.subarray(0, 32).toString('latin1'));
      r.requests.push({ path, bytes: x.data.length, ms: x.ms, ...(m ? { status: Number(m[1]) } : {}), ...(x.error ? { error: x.error } : {}) });
      if (path === spec.paths[0] && !m) {
        r.kind = x.error && !x.data.length ? 'error' : 'tcp';
        if (x.data.length) r.banner = esc(x.data);
        break;
      }
      r.kind = 'http';
    }
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

/**
 * Watches a running sandbox for listeners and visits them. `start()` after release; `stop()` when
 * the sandbox has exited (kills a helper still running). Stops by itself once the pid is gone.
 */
export class Stimulator {
  private readonly visited = new Map<number, StimulatedPort>();
  private readonly seen = new Map<number, Listener>();
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private child?: ReturnType<typeof spawn>;
  private stopped = false;
  private truncated = false;
  private readonly o: Required<StimulationOptions>;

  constructor(opts: StimulationOptions) {
    this.o = { maxPorts: 8, pollMs: 200, requestTimeoutMs: 1500, responseCapBytes: 64 * 1024, settleMs: 150, ...opts };
  }

  start(): this {
    const tick = () => {
      if (this.stopped) return;
      void this.poll().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.o.pollMs).unref();
      });
    };
    tick();
    return this;
  }

  private async poll(): Promise<void> {
    const tables = await Promise.all(['tcp', 'tcp6'].map((t) => readHead(`/proc/${this.o.pid}/net/${t}`, TABLE_CAP).catch(() => null)));
    if (tables.every((t) => t === null)) {
      this.stopped = true; // the sandbox is gone
      return;
    }
    const fresh: Listener[] = [];
    for (const l of tables.flatMap((t) => (t ? parseListeners(t) : []))) {
      if (this.seen.has(l.port)) continue;
      this.seen.set(l.port, l);
      if (this.seen.size > this.o.maxPorts) {
        this.truncated = true;
        continue;
      }
      fresh.push(l);
    }
    if (fresh.length === 0 || this.busy) return;
    this.busy = (async () => {
      await new Promise((r) => setTimeout(r, this.o.settleMs));
      if (!this.stopped) await this.visit(fresh);
    })().finally(() => {
      this.busy = undefined;
    });
    await this.busy;
  }

  private async visit(listeners: Listener[]): Promise<void> {
    const ports = listeners.map((l) => ({ port: l.port, address: connectAddress(l), http: !NON_HTTP_PORTS.has(l.port) }));
    const spec = { ports, paths: STIMULATION_PATHS, timeoutMs: this.o.requestTimeoutMs, bannerMs: 300, capBytes: this.o.responseCapBytes };
    const budgetMs = ports.length * (STIMULATION_PATHS.length * this.o.requestTimeoutMs + 500) + 2000;
    const result = await new Promise<{ out: string; error?: string }>((resolve) => {
      const child = spawn('nsenter', [`--net=/proc/${this.o.pid}/ns/net`, '--', process.execPath, '-e', HELPER, JSON.stringify(spec)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
      this.child = child;
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => {
        if (out.length < 1_000_000) out += d.toString('utf8');
      });
      child.stderr!.on('data', (d: Buffer) => {
        if (err.length < 4096) err += d.toString('utf8');
      });
      const t = setTimeout(() => child.kill('SIGKILL'), budgetMs);
      child.on('error', (e) => {
        clearTimeout(t);
        resolve({ out: '', error: e.message });
      });
      child.on('close', (code, signal) => {
        clearTimeout(t);
        this.child = undefined;
        resolve({ out, error: code === 0 ? undefined : `helper ${signal ?? `exit ${code}`}: ${err.trim().split('\n').pop() ?? ''}` });
      });
    });
    let parsed: StimulatedPort[] = [];
    try {
      parsed = result.out ? (JSON.parse(result.out) as StimulatedPort[]) : [];
    } catch {
      parsed = [];
    }
    for (const l of listeners) {
      const p = parsed.find((x) => x.port === l.port);
      const source = this.o.exposedPorts.includes(l.port) ? 'exposed+listening' : 'listening';
      this.visited.set(l.port, {
        port: l.port,
        address: connectAddress(l),
        source,
        kind: p?.kind ?? 'error',
        requests: p?.requests ?? [{ bytes: 0, ms: 0, error: result.error ?? 'no result' }],
        ...(p?.banner ? { banner: p.banner } : {}),
      });
    }
  }

  /** Stops watching, kills a helper still running, and returns what was done. */
  async stop(): Promise<StimulationRecord> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.child?.kill('SIGKILL');
    await this.busy?.catch(() => undefined);
    const ports = [...this.visited.values()];
    for (const port of this.o.exposedPorts) {
      if (!this.visited.has(port)) ports.push({ port, address: '127.0.0.1', source: 'exposed', kind: 'not-listening', requests: [] });
    }
    return { enabled: true, ports: ports.sort((a, b) => a.port - b.port), truncated: this.truncated };
  }
}

/** What a run records when stimulation is off or cannot reach the sandbox. */
export function stimulationSkipped(reason: string, enabled: boolean): StimulationRecord {
  return { enabled, skipped: reason, ports: [], truncated: false };
}

/**
 * Starts stimulation for a run where it can work (runc: the sample's sockets live in a host network
 * namespace), or returns a handle that records why not.
 */
export function startStimulation(opts: { enabled: boolean; runtime: string; pid: number; exposedPorts?: readonly number[] }): { stop(): Promise<StimulationRecord> } {
  if (!opts.enabled) return { stop: async () => stimulationSkipped('disabled by the profile (stimulate: false)', false) };
  if (opts.runtime !== 'runc') return { stop: async () => stimulationSkipped(`not supported on the ${opts.runtime} runtime (docs/stimulation.md)`, true) };
  if (!opts.pid) return { stop: async () => stimulationSkipped('the sandbox had no running init process', true) };
  return new Stimulator({ pid: opts.pid, exposedPorts: opts.exposedPorts ?? [] }).start();
}
