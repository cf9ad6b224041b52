import { type Server, createServer } from 'node:http';
import type { Metrics } from './metrics.js';

/**
 * The worker's metrics endpoint (it has no HTTP server of its own): GET /metrics on METRICS_HOST:
 * METRICS_PORT, nothing else; with a token configured, only with `Authorization: Bearer <token>`.
 */
export async function startMetricsServer(metrics: Metrics, opts: { port: number; host: string; token?: (header: string | undefined) => boolean }): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (opts.token && !opts.token(req.headers.authorization)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('metrics token required\n');
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return server;
}
