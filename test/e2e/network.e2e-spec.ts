import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { NetCapture } from '#analysis/network/capture';
import { buildBusyboxImage } from '../support/busybox-image.js';
import { e2eProfilesDir } from '../support/profiles.js';
import { type Stack, client, startStack, waitFor } from '../support/stack.js';

// The simulated network (issue 11, docs/network.md), end to end: real Docker, the real simulator,
// the real worker. Samples act on it (a dropper resolves, downloads and runs its payload; a miner
// logs in to a literal IP), they reach nothing but the simulator (the host's service ports and an
// outside address land on it; nothing leaves through the host's outbound interface), a simulator
// killed mid-run makes the run inconclusive, and nothing is left behind.
const docker = new Docker();
let stack: Stack;
let api: ReturnType<typeof client>;
const ids = new Set<string>();
let linksBefore: string[];

const HOST_PORTS = [22, 2375, 2376, 5000, 6379, 6384, 3000, 8080];

function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  return out;
}

function outboundInterface(): string {
  const route = execFileSync('ip', ['-4', 'route', 'show', 'default'], { encoding: 'utf8' });
  return /\bdev (\S+)/.exec(route)?.[1] ?? 'eth0';
}

function txPackets(dev: string): number {
  return Number(readFileSync(`/sys/class/net/${dev}/statistics/tx_packets`, 'utf8'));
}

function hostLinks(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter(Boolean)
    .sort();
}

/** Pids of network simulators serving these analyses (found by their command line). */
function simulatorsOf(analysisIds: Iterable<string>): number[] {
  const want = [...analysisIds];
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes('netsim.py') && want.some((id) => cmd.includes(id))) pids.push(Number(e));
  }
  return pids;
}

function captures(id: string): NetCapture[] {
  const text = readFileSync(join(stack.artifactDir, id, 'network.ndjson'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as NetCapture);
}

const decode = (b64?: string) => Buffer.from(b64 ?? '', 'base64').toString('latin1');

beforeAll(async () => {
  linksBefore = hostLinks();
  const profiles = e2eProfilesDir('4s');
  const rules = join(process.cwd(), 'sandbox-profiles', 'rules', '*.yaml');
  writeFileSync(
    join(profiles, 'e2e-net.yaml'),
    ['name: e2e-net', 'runtime: runc', 'probe: strace', 'network: simulated', 'limits:', '  memory: 64m', '  pids: 32', '  window: 4s', '  output: 16k', 'rules:', `  - ${rules}`, ''].join('\n'),
  );
  // The isolation probe: every host address × service port, then an outside address, each told
  // `PING` (Redis answers +PONG, HTTP servers HTTP/1.x, sshd SSH-…; the simulator answers none of these).
  const targets = hostAddresses().flatMap((ip) => HOST_PORTS.map((p) => `${ip}:${p}`));
  const script = [
    'for t in ' + targets.join(' ') + '; do',
    '  r=$(printf "PING\\r\\n" | busybox nc -w 1 ${t%:*} ${t#*:} 2>&1 | head -c 200)',
    '  echo "probe $t: $r"',
    'done',
    'for i in 1 2 3 4 5 6 7 8 9 10; do printf "GET / HTTP/1.0\\r\\n\\r\\n" | busybox nc -w 1 1.1.1.1 80 >/dev/null 2>&1; done',
    'echo "outside: done"',
  ].join('\n');
  buildBusyboxImage('quarantine-test/net-isolation:latest', ['sh', '-c', script]);
  buildBusyboxImage('quarantine-test/net-sleep:latest', ['sleep', '3']);
  stack = await startStack({ db: 11, workers: 1, env: { PROFILES_DIR: profiles, WORKER_CONCURRENCY: '3' } });
  api = client(stack);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  // Only this suite's sandboxes: other suites may share the Docker engine.
  const left = await docker.listContainers({ all: true, filters: { label: ['org.quarantine.managed=true'] } });
  expect(left.filter((c) => ids.has(c.Labels['org.quarantine.analysis-id'] ?? ''))).toEqual([]);
  // No simulator (and so no namespace, no veth: they live and die with it), no new host interface.
  expect(simulatorsOf(ids)).toEqual([]);
  expect(hostLinks().filter((l) => !linksBefore.includes(l) && !l.startsWith('veth'))).toEqual([]);
});

async function submit(image: string, profile = 'e2e-net'): Promise<string> {
  const res = await api.submit({ image, profile });
  expect(res.status).toBe(202);
  ids.add(res.json.id);
  return res.json.id as string;
}

describe('simulated network', () => {
  it('refuses a gVisor probe on a simulated profile with a 400 naming the field', async () => {
    const res = await api.submit({ image: 'quarantine-samples/hello:latest', profile: 'e2e-net', probe: 'gvisor' });
    expect(res.status).toBe(400);
    expect(res.json.details).toEqual([expect.objectContaining({ field: 'probe' })]);
  });

  it('lets samples act: a dropper downloads and runs its payload, a miner logs in to a literal IP; the host and the outside stay unreachable', async () => {
    const dev = outboundInterface();
    const txBefore = txPackets(dev);
    const [dropperId, minerId, isolationId] = await Promise.all([
      submit('quarantine-samples/net-dropper:latest'),
      submit('quarantine-samples/net-miner:latest'),
      submit('quarantine-test/net-isolation:latest'),
    ]);
    const [dropper, miner, isolation] = await Promise.all([api.waitDone(dropperId), api.waitDone(minerId), api.waitDone(isolationId)]);
    const txAfter = txPackets(dev);

    // Dropper: resolved its name, downloaded a binary-looking path, got the harmless ELF and ran it.
    expect({ status: dropper.status, error: dropper.error }).toEqual({ status: 'completed', error: null });
    const dreport = (await api.call('GET', `/v1/analyses/${dropperId}/report`)).json;
    expect(dreport.output).toMatchObject({ stdout: expect.stringContaining('quarantine-netsim: simulated payload') });
    expect(dreport.output.stdout).toContain('net-dropper: payload ran (0)');
    expect(dreport.run.network).toMatchObject({ mode: 'simulated', simulatorHealthy: true });
    const d = captures(dropperId);
    expect(d).toContainEqual(expect.objectContaining({ v: 1, kind: 'dns', transport: 'udp', dns: { name: 'cdn.update-check.example.net', type: 'A', answers: ['192.168.100.1'] } }));
    const get = d.find((c) => c.kind === 'http');
    expect(get).toMatchObject({
      transport: 'tcp',
      dst: { ip: '192.168.100.1', port: 80 },
      http: { method: 'GET', host: 'cdn.update-check.example.net', path: '/bins/agent.x86_64', userAgent: 'Wget', status: 200, served: 'elf', bodyBytes: 0 },
    });
    expect(get!.http!.servedSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(decode(get!.firstBytes)).toMatch(/^GET \/bins\/agent\.x86_64 HTTP\/1\.1\r\n/);

    // Miner: the original destination (a literal IP, port 3333) and its stratum login, as sent.
    expect({ status: miner.status, error: miner.error }).toEqual({ status: 'completed', error: null });
    const m = captures(minerId).filter((c) => c.kind === 'tcp');
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ transport: 'tcp', dst: { ip: '45.9.148.10', port: 3333 }, src: { ip: '192.168.100.2' } });
    const login = JSON.parse(decode(m[0].firstBytes)) as { method: string; params: { login: string; agent: string } };
    expect(login).toMatchObject({ method: 'login', params: { agent: expect.stringContaining('XMRig') } });
    expect(m[0].bytesIn).toBe(Buffer.from(m[0].firstBytes!, 'base64').length);

    // Isolation: every host service port and the outside address landed on the simulator (a record
    // with the sample's PING), none answered as the real service would, and nothing left the host.
    expect({ status: isolation.status, error: isolation.error }).toEqual({ status: 'completed', error: null });
    const ireport = (await api.call('GET', `/v1/analyses/${isolationId}/report`)).json;
    const stdout: string = ireport.output.stdout;
    expect(stdout).toContain('outside: done');
    expect(stdout).not.toMatch(/\+PONG|-NOAUTH|HTTP\/1\.[01]|SSH-2\.0|Docker-Distribution/);
    const iso = captures(isolationId);
    for (const ip of hostAddresses()) {
      for (const port of HOST_PORTS) {
        const hit = iso.find((c) => c.dst.ip === ip && c.dst.port === port);
        expect({ ip, port, landed: hit ? decode(hit.firstBytes) : null }).toEqual({ ip, port, landed: 'PING\r\n' });
      }
    }
    expect(iso.filter((c) => c.dst.ip === '1.1.1.1' && c.dst.port === 80 && c.http?.method === 'GET')).toHaveLength(10);
    // Ten connections to 1.1.1.1 would be ≥ 10 SYNs out of the host; tolerate a little unrelated host traffic.
    expect(txAfter - txBefore).toBeLessThan(10);
  }, 90_000);

  it('makes a run whose simulator died mid-run inconclusive, never clean', async () => {
    const id = await submit('quarantine-test/net-sleep:latest');
    let pids: number[] = [];
    await waitFor(async () => {
      const a = (await api.call('GET', `/v1/analyses/${id}`)).json;
      pids = simulatorsOf([id]);
      return a.phase === 'observing' && pids.length > 0;
    }, 30_000, () => 'the analysis never reached observing with a simulator');
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const a = await api.waitDone(id);
    expect(a).toMatchObject({ status: 'completed', verdict: 'inconclusive' });
    const report = (await api.call('GET', `/v1/analyses/${id}/report`)).json;
    expect(report.run.network).toMatchObject({ mode: 'simulated', simulatorHealthy: false });
    expect(report.run.network.simulatorError).toMatch(/exited/);
    expect(report.scoring.reasons.join('\n')).toMatch(/simulated network failed/);
  }, 60_000);

  it('leaves no simulator behind when the worker is killed mid-run', async () => {
    const id = await submit('quarantine-test/net-sleep:latest');
    await waitFor(async () => (await api.call('GET', `/v1/analyses/${id}`)).json.phase === 'observing' && simulatorsOf([id]).length > 0, 30_000, () => 'never observing');
    const w = stack.workers[0];
    w.kill('SIGKILL');
    await new Promise((r) => w.once('exit', r));
    // The simulator's control pipe closed with the worker: it ends itself at once.
    await waitFor(() => simulatorsOf([id]).length === 0, 5_000, () => `simulator still running: ${simulatorsOf([id]).join(', ')}`);
    // The orphaned sandbox container is the maintenance reaper's (and the next attempt's) to remove.
    const c = await docker.listContainers({ all: true, filters: { label: [`org.quarantine.analysis-id=${id}`] } });
    for (const x of c) await docker.getContainer(x.Id).remove({ force: true });
  }, 60_000);
});
