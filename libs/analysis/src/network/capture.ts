/**
 * What the network simulator records: one JSON object per line, one line per exchange the sample
 * started (a DNS query, an HTTP request, a TLS hello, a TCP connection or a UDP datagram to any
 * other port). The simulator writes it; the analysis turns each record into a normalized event of
 * `source: network`, correlated with the process whose connect/sendto reached that destination.
 *
 * Bytes are base64 and capped (FIRST_BYTES_CAP): enough for a stratum login, an IRC `NICK`, an SMTP
 * `HELO`, request headers and the start of a body, so credential lures can be found in them.
 */
export const NET_CAPTURE_VERSION = 1 as const;
export const FIRST_BYTES_CAP = 4096;

export type NetCaptureKind = 'dns' | 'http' | 'tls' | 'tcp' | 'udp';

export interface NetEndpoint {
  ip: string;
  port: number;
}

export interface NetCapture {
  v: typeof NET_CAPTURE_VERSION;
  /** Milliseconds since the Unix epoch when the exchange began. */
  ts: number;
  kind: NetCaptureKind;
  transport: 'tcp' | 'udp';
  /** The sample's side of the exchange. */
  src: NetEndpoint;
  /** Where the sample sent it: the original destination, before any redirect to the simulator. */
  dst: NetEndpoint;
  dns?: { name: string; type: string; answers: string[] };
  http?: {
    method: string;
    host: string;
    path: string;
    userAgent?: string;
    /** Request headers as sent (names lower-cased), capped in number and size. */
    headers?: Record<string, string>;
    bodyBytes: number;
    /** First bytes of the request body, base64. */
    body?: string;
    status: number;
    /** What was served: a harmless ELF, a harmless script, a page, or nothing. */
    served?: 'elf' | 'script' | 'html' | 'text' | 'none';
    servedSha256?: string;
  };
  tls?: { sni?: string; alpn?: string[] };
  /** First bytes the sample sent on this exchange, base64 (at most FIRST_BYTES_CAP bytes). */
  firstBytes?: string;
  /** Bytes received from the sample on this exchange (may exceed what was kept). */
  bytesIn: number;
}
