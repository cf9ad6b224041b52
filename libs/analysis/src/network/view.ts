import type { CaptureRecord } from './capture-reader.js';
import type { LureHit } from './lure-matcher.js';

/** Which probe event tied a capture to a process; `none` when no connect/sendto/sendmsg to that destination was seen. */
export type ProcMatch = 'connect' | 'sendto' | 'sendmsg' | 'none';

/** Event types of `source: network` events, one per capture kind. */
export const NETWORK_EVENT_TYPES = ['dns_query', 'http_request', 'tls_hello', 'tcp_stream', 'udp_datagram'] as const;
export type NetworkEventType = (typeof NETWORK_EVENT_TYPES)[number];

/** What rules read on a `source: network` event (EvalContext.net). */
export interface NetView {
  rec: CaptureRecord;
  /** Name a DNS answer mapped the destination address to, if any. */
  dstName?: string;
  procMatch: ProcMatch;
  /** DNS: the name looks machine-generated. */
  nameRandom?: boolean;
  /** Distinct random-looking / all DNS names seen so far in the run (this one included). */
  randomNames: number;
  distinctNames: number;
  /** Lure secrets found in this exchange. */
  lures: LureHit[];
  /** Memo of the escaped first bytes. */
  firstBytesText?: string;
}

/** A downloaded file's execution, set on the process at its exec (ProcessState.exeDownload). */
export interface ExeDownload {
  /** URL of the HTTP download, as `http://host/path`. */
  url: string;
  /** How the exec was tied to the download: the writer of the executable fetched it, same file name, or the file was written during the run and the download's process is unknown. */
  match: 'writer' | 'name' | 'uncorrelated';
  served?: string;
}
