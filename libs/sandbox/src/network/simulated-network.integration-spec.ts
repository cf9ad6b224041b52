import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkSimulator, reapSimulators } from './simulated-network.js';

// The simulator process on its own (real unshare, real Python; root, like the worker): it serves from
// its own namespace, answers its health check, ends when asked — and the reaper finds a stale one.
const assetsDir = join(process.cwd(), 'dist', 'assets', 'netsim');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('network simulator process', () => {
  it('leases, answers its health check, reports its death, and leaves nothing when stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'q-netsim-'));
    const sim = await NetworkSimulator.start({ assetsDir }, { lifetimeSeconds: 30 });
    await sim.lease({ analysisId: 'a1', capturePath: join(dir, 'network.ndjson'), lifetimeSeconds: 30 });
    expect(Number(readFileSync(join(dir, 'netsim.pid'), 'utf8'))).toBe(sim.pid);
    // Unprivileged, in a network namespace of its own, with the pair's waiting end in it (not in the host's).
    expect(readFileSync(`/proc/${sim.pid}/status`, 'utf8')).toMatch(/^Uid:\s+65534\s/m);
    expect(readlinkSync(`/proc/${sim.pid}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
    expect(execFileSync('nsenter', [`--net=/proc/${sim.pid}/ns/net`, 'ip', '-o', 'link', 'show'], { encoding: 'utf8' })).toMatch(/qsbx0@eth0/);
    expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).not.toMatch(/qsbx0/);
    expect(await sim.health()).toEqual({ healthy: true, records: 0, dropped: 0 });
    // Never into the host's namespace.
    await expect(sim.attach(process.pid)).rejects.toThrow(/not in a network namespace of its own/);
    expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).not.toMatch(/qsbx0|192\.168\.100/);
    process.kill(sim.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const h = await sim.health();
    expect(h).toMatchObject({ healthy: false, error: expect.stringMatching(/exited \(SIGKILL\)/) });
    await sim.stop();
    expect(alive(sim.pid)).toBe(false);
  }, 20_000);

  it('joined to a namespace, records DNS, a UDP datagram and a TCP connection to literal IPs with their original destinations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'q-netsim-'));
    const box = spawn('unshare', ['--net', 'sleep', '20'], { stdio: 'ignore' });
    const sim = await NetworkSimulator.start({ assetsDir }, { lifetimeSeconds: 30 });
    try {
      await new Promise((r) => setTimeout(r, 100));
      await sim.lease({ analysisId: 'a2', capturePath: join(dir, 'network.ndjson'), lifetimeSeconds: 30 });
      await sim.attach(box.pid!);
      const client = [
        'import socket',
        'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
        "u.sendto(b'hello-udp', ('203.0.113.9', 5353))",
        'd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); d.settimeout(3)',
        "d.sendto(bytes.fromhex('abcd01000001000000000000') + b'\\x04pool\\x07example\\x00\\x00\\x01\\x00\\x01', ('9.9.9.9', 53))",
        'r, peer = d.recvfrom(512)',
        "print(peer[0], r[-4:].hex())",
        "t = socket.create_connection(('45.9.148.10', 3333), timeout=3); t.sendall(b'NICK bot\\r\\n'); t.close()",
      ].join('\n');
      const out = execFileSync('nsenter', [`--net=/proc/${box.pid}/ns/net`, '/usr/bin/python3', '-c', client], { encoding: 'utf8', timeout: 10_000 });
      // The DNS reply came from the server asked (9.9.9.9), with the simulator's address.
      expect(out.trim()).toBe('9.9.9.9 c0a86401');
      expect(await sim.health()).toMatchObject({ healthy: true });
      await sim.stop();
      const recs = readFileSync(join(dir, 'network.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(recs).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'udp', transport: 'udp', dst: { ip: '203.0.113.9', port: 5353 }, firstBytes: Buffer.from('hello-udp').toString('base64'), bytesIn: 9 }),
          expect.objectContaining({ kind: 'dns', dst: { ip: '9.9.9.9', port: 53 }, dns: { name: 'pool.example', type: 'A', answers: ['192.168.100.1'] } }),
          expect.objectContaining({ kind: 'tcp', dst: { ip: '45.9.148.10', port: 3333 }, src: { ip: '192.168.100.2', port: expect.any(Number) }, firstBytes: Buffer.from('NICK bot\r\n').toString('base64') }),
        ]),
      );
    } finally {
      await sim.stop();
      box.kill('SIGKILL');
    }
  }, 30_000);

  it('reaper kills a simulator past its deadline, by pid, and leaves a current one', async () => {
    const fake = (deadline: string) =>
      spawn('/usr/bin/python3', ['-c', 'import time; time.sleep(30)', 'netsim.py', JSON.stringify({ mark: 'quarantine-netsim', deadline })], { stdio: 'ignore' });
    const stale = fake('2000-01-01T00:00:00.000Z');
    const current = fake(new Date(Date.now() + 3600_000).toISOString());
    await new Promise((r) => setTimeout(r, 300));
    try {
      const killed = await reapSimulators();
      expect(killed).toContain(stale.pid);
      expect(killed).not.toContain(current.pid);
      await new Promise((r) => setTimeout(r, 100));
      expect(alive(current.pid!)).toBe(true);
    } finally {
      stale.kill('SIGKILL');
      current.kill('SIGKILL');
    }
  }, 20_000);
});
