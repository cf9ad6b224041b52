import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedTarget } from './ssrf.js';

export interface SendResult {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** First 64 KiB of the response body. */
  body: string;
  latencyMs: number;
}

const MAX_RESPONSE = 64 * 1024;

/**
 * One HTTP request to a checked target: the socket connects to the address the SSRF guard
 * approved (a pinned lookup), not to whatever the name resolves to a moment later. The timeout
 * covers connect, request and response.
 */
export function sendTo(target: CheckedTarget, opts: { method: string; headers: Record<string, string>; body: string; timeoutMs: number }): Promise<SendResult> {
  const t0 = Date.now();
  const lookup: LookupFunction = (_host, lookupOpts, cb) => {
    if ((lookupOpts as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
    else cb(null, target.address, target.family);
  };
  const u = target.url;
  const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)({
    protocol: u.protocol,
    hostname: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port || undefined,
    path: `${u.pathname}${u.search}`,
    method: opts.method,
    headers: { ...opts.headers, 'content-length': String(Buffer.byteLength(opts.body)) },
    lookup,
    agent: false,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_RESPONSE) chunks.push(c);
        size += c.length;
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).subarray(0, MAX_RESPONSE).toString('utf8'), latencyMs: Date.now() - t0 });
      });
    });
    req.end(opts.body);
  });
}
