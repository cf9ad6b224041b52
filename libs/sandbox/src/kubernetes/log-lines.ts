import { Writable } from 'node:stream';

/**
 * A Writable that cuts a log stream into lines and hands each to `onLine` (awaited, so a slow
 * consumer slows the HTTP stream down instead of buffering it). A last line without its newline is
 * delivered at the end of the stream.
 */
export class LineSink extends Writable {
  private pending = '';

  constructor(private readonly onLine: (line: string) => void | Promise<void>) {
    super({ decodeStrings: true });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const text = this.pending + chunk.toString('utf8');
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    void this.deliver(lines).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    const last = this.pending;
    this.pending = '';
    void this.deliver(last === '' ? [] : [last]).then(() => cb(), cb);
  }

  private async deliver(lines: string[]): Promise<void> {
    for (const l of lines) await this.onLine(l.endsWith('\r') ? l.slice(0, -1) : l);
  }
}
