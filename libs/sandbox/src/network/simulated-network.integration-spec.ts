import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zygoteFor } from './netsim-zygote.js';
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
    // Unprivileged, in a network namespace of its own: loopback only until attach, its rule and local route set.
    expect(readFileSync(`/proc/${sim.pid}/status`, 'utf8')).toMatch(/^Uid:\s+65534\s/m);
    expect(readlinkSync(`/proc/${sim.pid}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
    const inSim = (...args: string[]) => execFileSync('nsenter', [`--net=/proc/${sim.pid}/ns/net`, 'ip', ...args], { encoding: 'utf8' });
    expect(inSim('-o', 'link', 'show').trim().split('\n')).toEqual([expect.stringMatching(/^1: lo: <LOOPBACK,UP,LOWER_UP>/)]);
    expect(inSim('rule', 'show')).toMatch(/^100:\s+from all iif eth0 (\[detached\] )?lookup 100/m);
    expect(inSim('route', 'show', 'table', '100')).toMatch(/^local default dev lo/m);
    expect(await sim.health()).toEqual({ healthy: true, records: 0, dropped: 0 });
    // Never into the host's namespace.
    await expect(sim.attach(process.pid)).rejects.toThrow(/not in a network namespace of its own/);
    expect(execFileSync('ip', ['-o', 'addr', 'show'], { encoding: 'utf8' })).not.toMatch(/192\.168\.100/);
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
      // The sample's side: eth0, its address, a default route to the simulator, and no IPv6 address at all.
      const inBox = (...args: string[]) => execFileSync('nsenter', [`--net=/proc/${box.pid}/ns/net`, 'ip', ...args], { encoding: 'utf8' });
      expect(inBox('-o', '-4', 'addr', 'show', 'dev', 'eth0')).toMatch(/inet 192\.168\.100\.2 peer 192\.168\.100\.1\/32/);
      expect(inBox('-6', 'addr', 'show')).toBe('');
      expect(inBox('route', 'show')).toMatch(/^default via 192\.168\.100\.1 dev eth0 onlink/m);
      expect(inBox('-o', 'link', 'show')).toMatch(/^\d+: eth0@if\d+: <BROADCAST,MULTICAST,UP,LOWER_UP>/m);
      // A second attach of the same simulator (its eth0 exists) fails cleanly.
      await expect(sim.attach(box.pid!)).rejects.toThrow(/network plumbing failed/);
      const client = [
        'import socket',
        'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
        "u.sendto(b'hello-udp', ('203.0.113.9', 5353))",
        'd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); d.settimeout(3)',
        "d.sendto(bytes.fromhex('abcd01000001000000000000') + b'\\x04pool\\x07example\\x00\\x00\\x01\\x00\\x01', ('9.9.9.9', 53))",
        'r, peer = d.recvfrom(512)',
        "print(peer[0], r[-4:].hex())",
        "d.sendto(bytes.fromhex('abce01000001000000000000') + b'\\x04pool\\x07example\\x00\\x00\\x1c\\x00\\x01', ('9.9.9.9', 53))",
        'r6, _ = d.recvfrom(512)',
        'print(r6[2:4].hex(), r6[6:8].hex())',
        "t = socket.create_connection(('45.9.148.10', 3333), timeout=3); t.sendall(b'NICK bot\\r\\n'); t.close()",
      ].join('\n');
      const out = execFileSync('nsenter', [`--net=/proc/${box.pid}/ns/net`, '/usr/bin/python3', '-c', client], { encoding: 'utf8', timeout: 10_000 });
      // The DNS reply came from the server asked (9.9.9.9), with the simulator's address.
      // AAAA: NOERROR (QR AA RD RA) with no answer — IPv4 only (docs/network.md).
      expect(out.trim().split('\n')).toEqual(['9.9.9.9 c0a86401', '8580 0000']);
      expect(await sim.health()).toMatchObject({ healthy: true });
      await sim.stop();
      const recs = readFileSync(join(dir, 'network.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(recs).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'udp', transport: 'udp', dst: { ip: '203.0.113.9', port: 5353 }, firstBytes: Buffer.from('hello-udp').toString('base64'), bytesIn: 9 }),
          expect.objectContaining({ kind: 'dns', dst: { ip: '9.9.9.9', port: 53 }, dns: { name: 'pool.example', type: 'A', answers: ['192.168.100.1'] } }),
          expect.objectContaining({ kind: 'dns', dns: { name: 'pool.example', type: 'AAAA', answers: [] } }),
          expect.objectContaining({ kind: 'tcp', dst: { ip: '45.9.148.10', port: 3333 }, src: { ip: '192.168.100.2', port: expect.any(Number) }, firstBytes: Buffer.from('NICK bot\r\n').toString('base64') }),
        ]),
      );
    } finally {
      await sim.stop();
      box.kill('SIGKILL');
    }
  }, 30_000);

  it('forks each simulator from one zygote, marked for the reaper with its own deadline; a dead zygote is replaced', async () => {
    const a = await NetworkSimulator.start({ assetsDir }, { lifetimeSeconds: 30 });
    const b = await NetworkSimulator.start({ assetsDir }, { lifetimeSeconds: 30 });
    const zygote = zygoteFor({ assetsDir });
    try {
      const parent = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      expect(parent(a.pid)).toBe(zygote.pid);
      expect(parent(b.pid)).toBe(zygote.pid);
      // Each in its own namespace.
      expect(readlinkSync(`/proc/${a.pid}/ns/net`)).not.toBe(readlinkSync(`/proc/${b.pid}/ns/net`));
      const arg = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').find((x) => x.startsWith('{'))!;
      expect(readFileSync(`/proc/${a.pid}/cmdline`, 'utf8')).toContain(join(assetsDir, 'netsim.py'));
      expect(JSON.parse(arg(a.pid))).toEqual({ mark: 'quarantine-netsim', role: 'sim', deadline: expect.any(String) });
      expect(JSON.parse(arg(zygote.pid))).toMatchObject({ mark: 'quarantine-netsim', role: 'zygote' });
      // No one but its worker may ask it for anything (here: another root process on the host): refused on connect.
      const stranger = [
        'import socket, sys',
        "s = socket.socket(socket.AF_UNIX); s.connect('\\0' + sys.argv[1])",
        "print(s.recv(200).decode().strip())",
      ].join('\n');
      const name = JSON.parse(arg(zygote.pid)).socket as string;
      expect(execFileSync('/usr/bin/python3', ['-c', stranger, name], { encoding: 'utf8', timeout: 5000 }).trim()).toBe('error peer is not the worker that started the zygote');
      // Past their deadlines the reaper kills both simulators, never the zygote (it has none: it ends with the worker's pipe).
      const killed = await reapSimulators({ now: new Date(Date.now() + 2 * 3600_000) });
      expect(killed).toEqual(expect.arrayContaining([a.pid, b.pid]));
      expect(killed).not.toContain(zygote.pid);
      await new Promise((r) => setTimeout(r, 200));
      expect(await a.health()).toMatchObject({ healthy: false, error: 'the network simulator exited (SIGKILL)' });
      // The zygote killed: the next simulator comes from a new one.
      const old = zygote.pid;
      process.kill(old, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
      const c = await NetworkSimulator.start({ assetsDir }, { lifetimeSeconds: 30 });
      expect(zygote.pid).not.toBe(old);
      expect(parent(c.pid)).toBe(zygote.pid);
      expect(await c.health()).toMatchObject({ healthy: true });
      await c.stop();
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 20_000);

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
