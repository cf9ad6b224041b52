/**
 * NDJSON streaming of NormalizedEvents: one JSON object per line. Works on plain Node streams, so
 * gzip is a pipe away: `encoder.pipe(createGzip()).pipe(file)` / `file.pipe(createGunzip())`.
 */
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { once } from 'node:events';
import { EVENT_VERSION, type NormalizedEvent } from './event.js';
import { readLines } from '../probes/trace-parser.js';

export class NdjsonError extends Error {
  constructor(message: string, readonly line: number) {
    super(`${message} (line ${line})`);
    this.name = 'NdjsonError';
  }
}

/** Object-mode writable side (NormalizedEvent) → NDJSON text. */
export function createNdjsonEncoder(): Transform {
  return new Transform({
    writableObjectMode: true,
    transform(event: NormalizedEvent, _enc: BufferEncoding, cb: TransformCallback) {
      cb(null, JSON.stringify(event) + '\n');
    },
  });
}

export interface NdjsonDecoderOptions {
  /** Throw (stream error) on a malformed line or a wrong version; default true. When false, bad lines are counted in `skipped`. */
  strict?: boolean;
}

/** Validates one parsed object as a v1 event; returns an error message or undefined. */
export function checkEvent(o: unknown): string | undefined {
  if (o === null || typeof o !== 'object') return 'not an object';
  const e = o as Partial<NormalizedEvent>;
  if (e.v !== EVENT_VERSION) return `unsupported event version ${String(e.v)}`;
  if (typeof e.seq !== 'number' || typeof e.ts !== 'number' || typeof e.type !== 'string' || typeof e.pid !== 'number') return 'missing seq/ts/type/pid';
  return undefined;
}

/** Reads NormalizedEvents from an NDJSON byte stream (gunzip first if needed). Empty lines are ignored. */
export async function* readNdjson(input: Readable | AsyncIterable<Buffer | string>, options: NdjsonDecoderOptions & { onSkip?: (line: number, reason: string) => void } = {}): AsyncGenerator<NormalizedEvent> {
  const strict = options.strict ?? true;
  let n = 0;
  for await (const line of readLines(input)) {
    n++;
    if (line.length === 0) continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      if (strict) throw new NdjsonError('malformed JSON', n);
      options.onSkip?.(n, 'malformed JSON');
      continue;
    }
    const err = checkEvent(o);
    if (err !== undefined) {
      if (strict) throw new NdjsonError(err, n);
      options.onSkip?.(n, err);
      continue;
    }
    yield o as NormalizedEvent;
  }
}

/**
 * Writes events to `out` as NDJSON, honouring backpressure; resolves with the count once everything
 * is flushed into `out` (`out` is ended unless `end: false`).
 */
export async function writeNdjson(events: Iterable<NormalizedEvent> | AsyncIterable<NormalizedEvent>, out: Writable, options: { end?: boolean } = {}): Promise<number> {
  let count = 0;
  let failed: Error | undefined;
  const onError = (e: Error): void => { failed = e; };
  out.on('error', onError);
  try {
    for await (const e of events as AsyncIterable<NormalizedEvent>) {
      if (failed) throw failed;
      count++;
      // events.once rejects if `out` emits 'error' while we wait.
      if (!out.write(JSON.stringify(e) + '\n')) await once(out, 'drain');
    }
    if (failed) throw failed;
    if (options.end !== false) {
      out.end();
      await once(out, 'finish');
    }
  } finally {
    out.off('error', onError);
  }
  if (failed) throw failed;
  return count;
}
