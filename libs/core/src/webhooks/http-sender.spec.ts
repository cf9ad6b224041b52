import { type Server, createServer } from 'node:http';
import { sendTo } from './http-sender.js';

// A real HTTP server on loopback: the sender must connect to the address the SSRF guard checked,
// whatever the URL's host name resolves to (here: nothing, `.invalid` never resolves).
let server: Server;
let port: number;
const seen: { host?: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ host: req.headers.host, body });
      if (req.url === '/hang') return; // never answers
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{"key":"SEC-1"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('sendTo', () => {
  it('connects to the pinned, checked address rather than resolving the host name again', async () => {
    const res = await sendTo({ url: new URL(`http://rebound.invalid:${port}/hook`), address: '127.0.0.1', family: 4 }, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs: 2000 });
    expect(res.statusCode).toBe(201);
    expect(res.body).toBe('{"key":"SEC-1"}');
    expect(res.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen.at(-1)).toEqual({ host: `rebound.invalid:${port}`, body: '{"a":1}' });
  });

  it('gives up after the timeout when the receiver never answers', async () => {
    const t0 = Date.now();
    await expect(sendTo({ url: new URL(`http://127.0.0.1:${port}/hang`), address: '127.0.0.1', family: 4 }, { method: 'POST', headers: {}, body: '{}', timeoutMs: 300 })).rejects.toThrow(/timed out after 300 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
