import { podLikeHostname } from '../docker/disguise.js';
import { resolveImageUser } from '../docker/lure-planter.js';
import { parseListeners, startStimulation } from './stimulation.js';

describe('parseListeners', () => {
  it('reads LISTEN entries of /proc/net/tcp and tcp6 (wildcard, loopback, v4-mapped), skipping other states', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
      '   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0',
      '   2: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0',
    ].join('\n');
    expect(parseListeners(tcp)).toEqual([
      { address: '0.0.0.0', port: 8080 },
      { address: '127.0.0.1', port: 3306 },
    ]);
    const tcp6 = [
      '  sl  local_address                         remote_address                        st',
      '   0: 00000000000000000000000000000000:1F40 00000000000000000000000000000000:0000 0A 0',
      '   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 0',
      '   2: 0000000000000000FFFF00000100007F:1389 00000000000000000000000000000000:0000 0A 0',
    ].join('\n');
    expect(parseListeners(tcp6)).toEqual([
      { address: '::', port: 8000 },
      { address: '::1', port: 80 },
      { address: '127.0.0.1', port: 5001 },
    ]);
    expect(parseListeners('garbage\n1 2 3\n')).toEqual([]);
  });

  it('records why nothing was visited when stimulation is off or cannot reach the sandbox', async () => {
    expect(await startStimulation({ enabled: false, runtime: 'runc', pid: 1 }).stop()).toMatchObject({ enabled: false, ports: [] });
    expect(await startStimulation({ enabled: true, runtime: 'runsc', pid: 1 }).stop()).toMatchObject({ enabled: true, skipped: expect.stringContaining('runsc') });
  });
});

describe('sandbox disguise and image user', () => {
  it('hostnames look like pod names, never 12 hex characters', () => {
    for (let i = 0; i < 50; i++) {
      const h = podLikeHostname(['quarantine-samples/debian-nginx:latest']);
      expect(h).toMatch(/^debian-nginx-[bcdfghjklmnpqrstvwxz2456789]{9,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    }
    expect(podLikeHostname([])).toMatch(/^app-/);
    expect(podLikeHostname(['127.0.0.1:5000/x/9lives:1'])).toMatch(/^app-/);
    expect(podLikeHostname([`r/${'a'.repeat(80)}:1`]).length).toBeLessThanOrEqual(63);
  });

  it('resolves the image user against its passwd', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n';
    expect(resolveImageUser('', passwd)).toEqual({ uid: 0, gid: 0, home: '/root' });
    expect(resolveImageUser('', null)).toEqual({ uid: 0, gid: 0, home: '/root' });
    expect(resolveImageUser('app', passwd)).toEqual({ uid: 1000, gid: 1001, home: '/home/app' });
    expect(resolveImageUser('1000:5', passwd)).toEqual({ uid: 1000, gid: 5, home: '/home/app' });
    expect(resolveImageUser('nobody', passwd)).toEqual({ uid: 65534, gid: 65534, home: undefined });
    expect(resolveImageUser('4242', passwd)).toEqual({ uid: 4242, gid: 0, home: undefined });
    expect(resolveImageUser('ghost', passwd)).toEqual({ uid: 0, gid: 0 });
  });
});
