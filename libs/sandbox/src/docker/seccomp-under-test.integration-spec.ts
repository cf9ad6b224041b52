import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { createStraceParser } from '#analysis';
import { type SeccompProfile, seccompProfile } from '#analysis/hardening/seccomp';
import { SyscallRecorder } from '#analysis/hardening/syscall-set';
import { parseImageRef } from '#core/image/image-ref';
import { buildBusyboxImage } from '../../../../test/support/busybox-image.js';
import { syscallCoverage } from '../probes/syscall-coverage.js';
import { StraceProbe } from '../probes/strace.probe.js';
import { DockerRuntime } from './docker-runtime.js';
import { SANDBOX_SECCOMP_MACHINERY } from './seccomp-machinery.js';

// Real Docker, runc and strace: a profile generated from a sample's own trace lets it run the same
// way (held start, docker-init, the hold wrapper, strace attached), and the sandbox really enforces it:
// the same profile without `mkdir` makes the sample's mkdir fail with EPERM.
const docker = new Docker();
const runtime = new DockerRuntime({ docker, holdTarPath: join(process.cwd(), 'dist/assets/hold.tar') });
const limits = { memoryBytes: 64 * 1024 ** 2, pids: 32, cpus: 1, windowSeconds: 10, outputBytes: 4096, traceBytes: 8 * 1024 ** 2 };
const IMAGE = 'quarantine-test/harden-mkdir:latest';
let work: string;

beforeAll(() => {
  buildBusyboxImage(IMAGE, ['/bin/sh', '-c', 'if /bin/busybox mkdir /tmp/made; then echo mkdir-ok; else echo mkdir-refused; fi; /bin/busybox ls -d /tmp/made']);
  work = mkdtempSync(join(tmpdir(), 'q-harden-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function detonate(id: string, seccomp?: SeccompProfile) {
  const image = await runtime.resolveImage(parseImageRef(IMAGE));
  const sandbox = await runtime.create({ analysisId: id, image, runtime: 'runc', hold: true, capabilities: 'default', limits, ...(seccomp ? { seccomp: JSON.stringify(seccomp) } : {}) });
  try {
    const target = await sandbox.start();
    const tracePath = join(work, `${id}.trace`);
    const session = await new StraceProbe().attach(target, tracePath, { budgetBytes: limits.traceBytes });
    sandbox.release(target);
    const exit = await sandbox.wait(new AbortController().signal);
    await session.stop(5000);
    const output = await sandbox.output(limits.outputBytes);
    return { exit, stdout: output.stdout, trace: readFileSync(tracePath, 'utf8') };
  } finally {
    await sandbox.destroy();
  }
}

function profileOf(trace: string): SeccompProfile {
  const rec = new SyscallRecorder();
  const parser = createStraceParser((raw) => rec.observe(raw));
  for (const line of trace.split('\n')) parser.write(line);
  parser.end();
  return seccompProfile(rec.record('strace', syscallCoverage('strace')), { extra: SANDBOX_SECCOMP_MACHINERY });
}

it('runs a sample under the profile from its own trace, and refuses a syscall the profile leaves out', async () => {
  const first = await detonate('it-harden-first');
  expect({ code: first.exit.exitCode, out: first.stdout }).toEqual({ code: 0, out: expect.stringContaining('mkdir-ok') });
  const profile = profileOf(first.trace);
  expect(profile.syscalls[0].names).toContain('mkdir');

  const again = await detonate('it-harden-again', profile);
  expect({ code: again.exit.exitCode, out: again.stdout }).toEqual({ code: 0, out: expect.stringContaining('mkdir-ok') });

  const without = { ...profile, syscalls: [{ ...profile.syscalls[0], names: profile.syscalls[0].names.filter((n) => n !== 'mkdir' && n !== 'mkdirat') }] };
  const refused = await detonate('it-harden-refused', without);
  expect(refused.stdout).toContain('mkdir-refused');
  expect(refused.trace).toMatch(/mkdir\("\/tmp\/made", 0777\) = -1 EPERM/);
}, 60_000);

it('refuses a profile under test on gVisor', async () => {
  const image = await runtime.resolveImage(parseImageRef(IMAGE));
  await expect(runtime.create({ analysisId: 'it-harden-runsc', image, runtime: 'runsc', hold: false, capabilities: 'default', limits, seccomp: '{}' })).rejects.toThrow(/needs runc/);
});
