import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/**
 * The planter (libs/sandbox/assets/plant.c, built to dist/assets/plant): a short-lived host process
 * that joins a held sandbox's mount namespace and there stats and reads paths, writes our ustar
 * archives, unmounts the hold wrapper's directory and removes tells. It replaces the engine's
 * archive calls for held runc sandboxes: each `putArchive`/`infoArchive` re-executes dockerd and
 * mounts the container's root (~50–150 ms per call measured here), the planter answers in
 * microseconds. Paths resolve inside the sandbox's own root: the image's symlinks cannot lead it
 * to the host. Nothing inside the sandbox runs meanwhile (the entrypoint is stopped, untraced).
 */

export type PathKind = 'dir' | 'other' | 'missing' | 'error';

/** How a sandbox's files are looked at before it runs: the engine's archive API, or the planter. */
export interface SandboxFs {
  stat(path: string): Promise<PathKind>;
  /** A small regular file's bytes, or null (missing, not regular, larger than cap). */
  readFile(path: string, cap: number): Promise<Buffer | null>;
}

const LINE_MAX = 4096;

function checkPath(path: string): void {
  if (!path.startsWith('/') || /[\n\0]/.test(path) || path.length > LINE_MAX - 64) throw new Error(`planter: unsupported path ${JSON.stringify(path)}`);
}

export class Planter implements SandboxFs {
  private buf: Buffer = Buffer.alloc(0);
  private waiter?: () => void;
  private ended = false;
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exited: Promise<void>;
  private stderr = '';
  /** Commands run one at a time (replies are read in order). */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly child: ChildProcess) {
    const out = child.stdout as Readable;
    out.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake();
    });
    out.on('end', () => {
      this.ended = true;
      this.wake();
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (this.stderr.length < 4096) this.stderr += d;
    });
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.once('error', (e) => {
        this.stderr += e.message;
        this.exit = { code: null, signal: null };
        this.ended = true;
        this.wake();
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
    });
  }

  /** Starts a planter in the mount namespace of `hostPid` (a held process of the sandbox). */
  static open(binary: string, hostPid: number): Planter {
    return new Planter(spawn(binary, [String(hostPid)], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.ended) throw new Error(`the planter ended early${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
      await new Promise<void>((r) => (this.waiter = r));
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  private async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf(0x0a);
      if (i >= 0) return (await this.take(i + 1)).subarray(0, i).toString('utf8');
      if (this.buf.length > LINE_MAX) throw new Error('the planter answered an overlong line');
      if (this.ended) throw new Error(`the planter ended early${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  private run<T>(command: Buffer, read: () => Promise<T>): Promise<T> {
    const p = this.chain.then(async () => {
      this.child.stdin!.write(command);
      return read();
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async ok(command: string, data?: Buffer): Promise<void> {
    const reply = await this.run(data ? Buffer.concat([Buffer.from(command), data]) : Buffer.from(command), () => this.line());
    if (reply !== 'ok') throw new Error(`planter ${command.trim().slice(0, 80)}: ${reply.replace(/^error /, '')}`);
  }

  stat(path: string): Promise<PathKind> {
    checkPath(path);
    return this.run(Buffer.from(`S ${path}\n`), async () => {
      const r = await this.line();
      return r === 'dir' || r === 'other' || r === 'missing' ? r : 'error';
    });
  }

  readFile(path: string, cap: number): Promise<Buffer | null> {
    checkPath(path);
    return this.run(Buffer.from(`R ${Math.max(0, Math.floor(cap))} ${path}\n`), async () => {
      const n = Number(await this.line());
      if (!Number.isInteger(n) || n < 0) return null;
      return Buffer.from(await this.take(n));
    });
  }

  /** Extracts one of our ustar archives (tar-files.ts) at `/`. */
  put(tar: Buffer): Promise<void> {
    return this.ok(`T ${tar.length}\n`, tar);
  }

  /** Lazily unmounts a path (the hold wrapper's read-only directory). */
  unmount(path: string): Promise<void> {
    checkPath(path);
    return this.ok(`U ${path}\n`);
  }

  /** Removes a file, or a directory and the files in it. */
  remove(path: string): Promise<void> {
    checkPath(path);
    return this.ok(`D ${path}\n`);
  }

  /** Ends the planter (end of its input) and checks it exited cleanly. */
  async close(): Promise<void> {
    await this.chain;
    this.child.stdin?.end();
    await this.exited;
    if (this.exit?.code !== 0) throw new Error(`the planter exited with ${this.exit?.code ?? this.exit?.signal}: ${this.stderr.trim().slice(0, 500)}`);
  }

  /** Stops it whatever state it is in (after a failure). */
  async kill(): Promise<void> {
    if (!this.exit) this.child.kill('SIGKILL');
    await this.exited;
  }
}
