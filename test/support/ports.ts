import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (bound, read, released). */
export async function freeLoopbackPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(() => r(undefined)));
  return port;
}
