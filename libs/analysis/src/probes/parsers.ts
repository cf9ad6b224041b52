import { createBpftraceParser } from './bpftrace-parser.js';
import { createFalcoParser } from './falco-parser.js';
import { createGvisorParser } from './gvisor-parser.js';
import { createStraceParser } from './strace-parser.js';
import { createPerfParser } from './perf-parser.js';
import { createFtraceParser } from './ftrace-parser.js';
import { createTraceeParser } from './tracee-parser.js';
import type { RawEventSink, TraceParser } from './trace-parser.js';

export type ParserFactory = (sink: RawEventSink) => TraceParser;

/** The parser of each probe's raw trace, by probe name. One parser per file; add new probes here. */
const PARSERS: Readonly<Record<string, ParserFactory>> = {
  strace: createStraceParser,
  ebpf: createBpftraceParser,
  gvisor: createGvisorParser,
  falco: createFalcoParser,
  tracee: createTraceeParser,
  perf: createPerfParser,
  ftrace: createFtraceParser,
};

export function parserFor(probe: string): ParserFactory {
  const p = PARSERS[probe];
  if (!p) throw new Error(`no trace parser for probe "${probe}"`);
  return p;
}

export function parserProbes(): string[] {
  return Object.keys(PARSERS);
}
