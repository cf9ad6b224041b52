/**
 * Common interface of probe parsers: text lines of one probe's raw trace in, RawEvents out.
 * One parser per file (strace-parser.ts, …); callers depend on this interface only.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { EventSource, RawEvent } from '../events/event.js';

export interface ParserStats {
  /** Lines fed (including empty ones). */
  lines: number;
  /** RawEvents emitted. */
  events: number;
  /** Lines the parser could not understand (counted, never thrown). */
  unparsed: number;
  /** Anything suggesting the trace is incomplete: resumes without a start, calls cut by detach, … */
  lost: number;
  /** Up to 10 unparsed lines (each capped at 200 chars) for the report. */
  unparsedSamples: string[];
  /** Probe-specific counters (e.g. strace: orphanResumes, unfinishedAtEnd, detached). */
  detail: Record<string, number>;
}

export type RawEventSink = (event: RawEvent) => void;

export interface TraceParser {
  readonly source: EventSource;
  /** Feeds one line (without its newline). Emits zero or more events to the sink. Never throws on input. */
  write(line: string): void;
  /** Flushes anything pending (e.g. calls never resumed) at the end of the trace. */
  end(): void;
  readonly stats: ParserStats;
  /**
   * Every syscall number the traced processes used, per ABI, when the probe records it apart from
   * its events (the ebpf probe's C record, docs/hardening.md); undefined when the trace has none.
   * Read after end().
   */
  syscallSet?(): SyscallNumberSet | undefined;
}

/** Syscall numbers per ABI (x86_64, i386 through int 0x80 or a 32-bit process, x32 without its bit). */
export interface SyscallNumberSet {
  x86_64: number[];
  i386: number[];
  x32: number[];
}

export function emptyStats(): ParserStats {
  return { lines: 0, events: 0, unparsed: 0, lost: 0, unparsedSamples: [], detail: {} };
}

/** Counts a line no parser rule matched, keeping the first ten (cut to 200 characters) as samples. */
export function countUnparsed(stats: ParserStats, line: string): void {
  stats.unparsed++;
  if (stats.unparsedSamples.length < 10) stats.unparsedSamples.push(line.length > 200 ? line.slice(0, 200) : line);
}

/**
 * Splits a byte or text stream into lines (LF, optional CR stripped), with constant memory apart
 * from the longest line. Works on gunzipped streams too: `readLines(file.pipe(createGunzip()))`.
 */
export async function* readLines(input: Readable | AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    let start = 0;
    let nl = text.indexOf('\n', start);
    while (nl >= 0) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    rest = start === 0 ? text : text.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) yield rest;
}

/**
 * Runs `parser` over a stream and yields its events in order. Events are buffered only between
 * lines (a line yields a handful at most), so memory stays constant.
 */
export async function* parseStream(
  makeParser: (sink: RawEventSink) => TraceParser,
  input: Readable | AsyncIterable<Buffer | string>,
): AsyncGenerator<RawEvent, ParserStats> {
  const queue: RawEvent[] = [];
  const parser = makeParser((e) => { queue.push(e); });
  for await (const line of readLines(input)) {
    parser.write(line);
    if (queue.length > 0) {
      for (let i = 0; i < queue.length; i++) yield queue[i]!;
      queue.length = 0;
    }
  }
  parser.end();
  for (let i = 0; i < queue.length; i++) yield queue[i]!;
  queue.length = 0;
  return parser.stats;
}

/** Parses a whole trace held in memory (tests, small traces). */
export function parseText(makeParser: (sink: RawEventSink) => TraceParser, text: string): { events: RawEvent[]; stats: ParserStats; syscallSet?: SyscallNumberSet } {
  const events: RawEvent[] = [];
  const parser = makeParser((e) => { events.push(e); });
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    parser.write(text.slice(start, nl));
    start = nl + 1;
  }
  parser.end();
  const syscallSet = parser.syscallSet?.();
  return syscallSet === undefined ? { events, stats: parser.stats } : { events, stats: parser.stats, syscallSet };
}
