import Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { prepareFileLures } from '../libs/sandbox/src/docker/lure-planter.js';
import { concatTars, sandboxNetworkFiles, tarFiles } from '../libs/sandbox/src/docker/tar-files.js';
const docker = new Docker();
const hold = readFileSync('dist/assets/hold.tar');
const rows: Record<string, number[]> = {};
const add = (k: string, v: number) => (rows[k] ??= []).push(v);
for (let i = 0; i < 8; i++) {
  let t = performance.now();
  const c = await docker.createContainer({ Image: 'quarantine-samples/hello:latest', Entrypoint: ['/usr/local/bin/hello'], Cmd: [], NetworkDisabled: true, Labels: { 'speed-probe': 'true' }, HostConfig: { Init: true, NetworkMode: 'none', LogConfig: { Type: 'none', Config: {} }, StorageOpt: { size: String(1 << 30) } } });
  add('createContainer', performance.now() - t); t = performance.now();
  const plan = await prepareFileLures(c, '', 'web-1');
  add('prepareFileLures', performance.now() - t); t = performance.now();
  await c.putArchive(concatTars([tarFiles([...sandboxNetworkFiles('web-1'), ...plan.entries]), hold]), { path: '/' });
  add('putArchive', performance.now() - t); t = performance.now();
  await c.start();
  add('start', performance.now() - t); t = performance.now();
  await c.inspect();
  add('inspect', performance.now() - t); t = performance.now();
  await c.wait({ condition: 'not-running' }).catch(() => undefined);
  process.kill; 
  await c.remove({ force: true, v: true });
  add('remove', performance.now() - t);
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, Math.round(med(v))])));
