import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { parseImageRef } from '#core/image/image-ref';
import { buildBusyboxImage } from '../../../../test/support/busybox-image.js';
import { StraceProbe } from '../probes/strace.probe.js';
import { SANDBOX_LABELS } from '../sandbox-runtime.js';
import { DockerRuntime } from './docker-runtime.js';

// Real Docker engine and real strace: the sandbox starts stopped, strace attaches, the entrypoint's
// own execve is the first thing traced, and nothing is left behind.
const docker = new Docker();
const runtime = new DockerRuntime({ docker, holdTarPath: join(process.cwd(), 'dist/assets/hold.tar') });
const limits = { memoryBytes: 64 * 1024 ** 2, pids: 32, cpus: 1, windowSeconds: 10, outputBytes: 1024, traceBytes: 8 * 1024 ** 2 };
let work: string;

beforeAll(() => {
  buildBusyboxImage('quarantine-test/rt-hello:latest', ['/bin/sh', '-c', 'echo hello-from-sample; cat /etc/shadow; id; cat /etc/hosts /etc/resolv.conf; hostname; ls -a /; cat /proc/self/cgroup; ls /sys/class/net']);
  buildBusyboxImage('quarantine-test/rt-sleep:latest', ['/bin/sleep', '3600']);
  buildBusyboxImage('quarantine-test/rt-spam:latest', ['/bin/yes', 'spam-spam-spam']);
  work = mkdtempSync(join(tmpdir(), 'q-rt-'));
});
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  const left = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABELS.managed}=true`] } });
  expect(left.filter((c) => c.Names.some((n) => n.includes('quarantine-it-')))).toEqual([]);
});

async function detonate(image: string, id: string, window = 10) {
  const resolved = await runtime.resolveImage(parseImageRef(image));
  const sandbox = await runtime.create({ analysisId: id, image: resolved, runtime: 'runc', hold: true, capabilities: 'default', limits: { ...limits, windowSeconds: window } });
  try {
    const target = await sandbox.start();
    expect(target.hostPid).toBeGreaterThan(0);
    expect(target.cgroupPath).toContain(sandbox.id);
    const session = await new StraceProbe().attach(target, join(work, `${id}.trace`), { budgetBytes: 8 * 1024 ** 2 });
    session.onBudgetExceeded(() => void sandbox.kill('budget'));
    sandbox.release(target);
    const exit = await sandbox.wait(new AbortController().signal);
    const stats = await session.stop(5000);
    const output = await sandbox.output(limits.outputBytes);
    return { exit, stats, output, trace: readFileSync(join(work, `${id}.trace`), 'utf8'), resolved };
  } finally {
    await sandbox.destroy();
  }
}

describe('DockerRuntime + StraceProbe', () => {
  it('traces the entrypoint from its own execve and captures its output', async () => {
    const r = await detonate('quarantine-test/rt-hello:latest', 'it-hello');
    expect(r.exit.exitCode).toBe(0);
    expect(r.exit.windowExpired).toBe(false);
    expect(r.output.stdout).toContain('hello-from-sample');
    // No network but the name files a service expects: localhost, its own hostname, a loopback resolver.
    // A pod-like hostname (never Docker's 12 hex characters), no /.dockerenv or /.quarantine, a
    // private cgroup namespace (docs/sandbox-tells.md).
    const hostname = r.output.stdout.split('\n').find((l) => /^rt-hello-[a-z0-9]{9,10}-[a-z0-9]{5}$/.test(l));
    expect(hostname).toBeDefined();
    expect(r.output.stdout).not.toMatch(/^[0-9a-f]{12}$/m);
    expect(r.output.stdout).not.toContain('.dockerenv');
    expect(r.output.stdout).not.toContain('.quarantine');
    expect(r.output.stdout).toContain('\n0::/\n');
    expect(r.output.stdout).not.toContain('/docker/');
    expect(r.output.stdout).toContain('127.0.0.1\tlocalhost\n');
    expect(r.output.stdout).toContain(`127.0.1.1\t${hostname}\n`);
    expect(r.output.stdout).toContain('nameserver 127.0.0.1\n');
    expect(r.output.stdout.trim().endsWith('\nlo')).toBe(true); // loopback is the only interface
    const lines = r.trace.split('\n');
    const firstExec = lines.findIndex((l) => l.includes('execve('));
    expect(lines[firstExec]).toContain('execve("/bin/sh", ["/bin/sh", "-c", "echo hello-from-sample;');
    expect(r.trace).toContain('"/etc/shadow"');
    expect(r.stats.complete).toBe(true);
    expect(r.resolved.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('ends a sample that never exits at the window and removes it', async () => {
    const t0 = Date.now();
    const r = await detonate('quarantine-test/rt-sleep:latest', 'it-sleep', 2);
    expect(r.exit.windowExpired).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await expect(docker.getContainer('quarantine-it-sleep').inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('caps endless output and stops at the trace budget', async () => {
    const r = await detonate('quarantine-test/rt-spam:latest', 'it-spam', 20);
    expect(r.output.stdoutTruncated).toBe(true);
    expect(Buffer.byteLength(r.output.stdout)).toBeLessThanOrEqual(limits.outputBytes);
    expect(r.exit.budgetExceeded).toBe(true);
    expect(r.stats.budgetExceeded).toBe(true);
  });

  it('refuses a pinned digest that does not match the local image', async () => {
    await expect(runtime.resolveImage(parseImageRef(`quarantine-test/rt-hello:latest@sha256:${'0'.repeat(64)}`))).rejects.toThrow(/does not match the pinned digest/);
  });

  // The worker's way (DockerRuntimeOptions.plant): the hold wrapper bind-mounted read-only, the files
  // and lures written and the tells removed by the planter in the held sandbox's mount namespace,
  // no archive call to the engine. The sample must see the same sandbox as above, and no mount of ours.
  it('plants the files, the lures and removes the tells from the host while held (planter)', async () => {
    buildBusyboxImage('quarantine-test/rt-plant:latest', ['/bin/sh', '-c', 'hostname; cat /etc/hosts /etc/resolv.conf; ls -a /; ls -ln /root/.aws/credentials; cat /root/.aws/credentials; cat /proc/self/mountinfo']);
    const planted = new DockerRuntime({ docker, holdTarPath: join(process.cwd(), 'dist/assets/hold.tar'), plant: { binary: join(process.cwd(), 'dist/assets/plant'), holdDir: join(process.cwd(), 'dist/assets/stage/.quarantine') } });
    const resolved = await planted.resolveImage(parseImageRef('quarantine-test/rt-plant:latest'));
    const sandbox = await planted.create({ analysisId: 'it-plant', image: resolved, runtime: 'runc', hold: true, capabilities: 'default', limits: { ...limits, outputBytes: 64 * 1024 }, lures: true });
    try {
      const target = await sandbox.start();
      const tracePath = join(work, 'it-plant.trace');
      const session = await new StraceProbe().attach(target, tracePath, { budgetBytes: 8 * 1024 ** 2 });
      sandbox.release(target);
      const exit = await sandbox.wait(new AbortController().signal);
      await session.stop(5000);
      const out = (await sandbox.output(64 * 1024)).stdout;
      expect(exit.exitCode).toBe(0);
      const hostname = out.split('\n')[0]!;
      expect(hostname).toMatch(/^rt-plant-[a-z0-9]{9,10}-[a-z0-9]{5}$/);
      expect(out).toContain(`127.0.1.1\t${hostname}\n`);
      expect(out).toContain('nameserver 127.0.0.1\n');
      expect(out).not.toContain('.dockerenv');
      expect(out).not.toContain('quarantine'); // neither the directory nor a mount of it
      expect(out).toMatch(/^-rw------- +1 0 +0 .* \/root\/\.aws\/credentials$/m);
      const aws = sandbox.lures!.find((l) => l.kind === 'aws-credentials')!;
      expect(aws.location).toBe('/root/.aws/credentials');
      expect(out).toContain(`aws_secret_access_key = ${aws.secrets[1]}`);
      // Planted before the probe attached: the first traced call is the entrypoint's own execve.
      const lines = readFileSync(tracePath, 'utf8').split('\n');
      expect(lines.find((l) => /execve\(/.test(l))).toContain('execve("/bin/sh", ["/bin/sh", "-c", "hostname;');
    } finally {
      await sandbox.destroy();
    }
  });

  it('fails the start, leaving nothing running, when the planter cannot run', async () => {
    const broken = new DockerRuntime({ docker, holdTarPath: join(process.cwd(), 'dist/assets/hold.tar'), plant: { binary: join(work, 'no-such-planter'), holdDir: join(process.cwd(), 'dist/assets/stage/.quarantine') } });
    const resolved = await broken.resolveImage(parseImageRef('quarantine-test/rt-hello:latest'));
    const sandbox = await broken.create({ analysisId: 'it-plant-broken', image: resolved, runtime: 'runc', hold: true, capabilities: 'default', limits, lures: true });
    try {
      await expect(sandbox.start()).rejects.toThrow(/planter ended early.*ENOENT/);
    } finally {
      await sandbox.destroy();
    }
    await expect(docker.getContainer('quarantine-it-plant-broken').inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('reports an image that is not present without pulling it', async () => {
    await expect(runtime.resolveImage(parseImageRef('quarantine-test/does-not-exist:1'))).rejects.toThrow(/not present locally/);
  });
});
