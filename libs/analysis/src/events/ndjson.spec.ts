import { PassThrough, Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { EVENT_VERSION, type NormalizedEvent } from './event.js';
import { NdjsonError, createNdjsonEncoder, readNdjson, writeNdjson } from './ndjson.js';

const event = (seq: number): NormalizedEvent => ({
  v: EVENT_VERSION, seq, ts: 1795764230535783000 + seq, source: 'strace', type: 'openat', res: 3, rawres: 3, pid: 10, tid: 10, ppid: 1,
  proc: { name: 'cat', exe: 'cat', args: ['cat', 'a\nb "c"'], cwd: '/', uid: 0, gid: 0 },
  fd: { num: 3, type: 'file', name: '/etc/shadow' }, args: { name: '/etc/shadow', flags: 'O_RDONLY' }, container: { id: 'c', image: 'i' },
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('NDJSON events', () => {
  it('round-trips through gzip with writeNdjson/readNdjson', async () => {
    const events = Array.from({ length: 2000 }, (_, i) => event(i + 1));
    const gz = createGzip();
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    gz.pipe(sink);
    const n = await writeNdjson(events, gz);
    await new Promise((r) => sink.on('end', r));
    expect(n).toBe(2000);
    const back = await collect(readNdjson(Readable.from([Buffer.concat(chunks)]).pipe(createGunzip())));
    expect(back).toEqual(events);
  });

  it('encodes object streams one line per event', async () => {
    const enc = createNdjsonEncoder();
    const text: string[] = [];
    enc.on('data', (c: Buffer) => text.push(c.toString()));
    enc.write(event(1));
    enc.end(event(2));
    await new Promise((r) => enc.on('end', r));
    const lines = text.join('').split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[1]!).seq).toBe(2);
  });

  it('rejects malformed lines with their line number, or skips them when not strict', async () => {
    const input = `${JSON.stringify(event(1))}\n{oops\n${JSON.stringify({ ...event(3), v: 2 })}\n`;
    await expect(collect(readNdjson(Readable.from([input])))).rejects.toThrow(new NdjsonError('malformed JSON', 2));
    const skipped: number[] = [];
    const ok = await collect(readNdjson(Readable.from([input]), { strict: false, onSkip: (l) => skipped.push(l) }));
    expect(ok.map((e) => e.seq)).toEqual([1]);
    expect(skipped).toEqual([2, 3]);
  });
});
