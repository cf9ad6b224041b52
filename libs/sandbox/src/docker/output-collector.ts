import { Writable } from 'node:stream';

/** Keeps the first `cap` bytes written to it and counts the rest; never applies back-pressure. */
export class CappedCollector extends Writable {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(private readonly cap: number) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.total += chunk.length;
    if (this.kept < this.cap) {
      const take = chunk.subarray(0, this.cap - this.kept);
      this.chunks.push(Buffer.from(take));
      this.kept += take.length;
    }
    cb();
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
