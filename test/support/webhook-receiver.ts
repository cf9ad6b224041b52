import { createHmac, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';

/**
 * A real HTTP receiver on loopback that records every request and verifies its Standard Webhooks
 * signature on its own (node:crypto, not the project's signing code). Responses are programmable
 * per path, and it can be stopped and started again on the same port (receiver down, then up).
 */
export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  json: any;
  /** The secrets (by index in `secrets`) whose signature was found in webhook-signature. */
  verifiedBy: number[];
  status: number;
  /** Date.now() when the request body had arrived. */
  receivedAt: number;
}

export type Responder = (req: Received) => { status: number; body?: unknown; headers?: Record<string, string> };

export class WebhookReceiver {
  readonly received: Received[] = [];
  private server: Server | null = null;
  private readonly routes = new Map<string, Responder>();

  constructor(
    readonly port: number,
    public secrets: string[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  on(path: string, responder: Responder): this {
    this.routes.set(path, responder);
    return this;
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise((r) => { s.closeAllConnections(); s.close(() => r(undefined)); });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
    let json: any;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const rec: Received = { method: req.method ?? '', path: req.url ?? '', headers, body, json, verifiedBy: verifiedBy(this.secrets, headers, body), status: 0, receivedAt: Date.now() };
    const route = [...this.routes.entries()].find(([p]) => rec.path === p || rec.path.startsWith(`${p}/`));
    const out = route ? route[1](rec) : { status: 200, body: { ok: true } };
    rec.status = out.status;
    this.received.push(rec);
    res.writeHead(out.status, { 'content-type': 'application/json', ...(out.headers ?? {}) });
    res.end(out.body === undefined ? '' : JSON.stringify(out.body));
  }
}

/** Independent Standard Webhooks verification: HMAC-SHA256 over id.timestamp.body with the secret's base64 bytes. */
export function verifiedBy(secrets: string[], headers: Record<string, string>, body: string): number[] {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sigs = (headers['webhook-signature'] ?? '').split(' ').filter((s) => s.startsWith('v1,')).map((s) => Buffer.from(s.slice(3), 'base64'));
  if (!id || !ts || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return [];
  const out: number[] = [];
  secrets.forEach((secret, i) => {
    const mac = createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(`${id}.${ts}.${body}`).digest();
    if (sigs.some((s) => s.length === mac.length && timingSafeEqual(s, mac))) out.push(i);
  });
  return out;
}

export { freeLoopbackPort } from './ports.js';
