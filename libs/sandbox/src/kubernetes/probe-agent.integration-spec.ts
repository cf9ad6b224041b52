import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStraceParser } from '#analysis/probes/strace-parser';
import { AGENT_PREFIX, probeAgentScript } from './objects.js';

/**
 * The sidecar's probe agent script, run for real: the real hold wrapper and real strace, in a fresh
 * pid namespace with its own /proc (`unshare --pid --mount-proc`), which is what the pod's shared
 * process namespace gives the sidecar. It must find the stopped wrapper, attach, resume it, and the
 * trace on stdout must start with the entrypoint's execve and parse with the strace parser. A
 * private pid namespace also keeps the agent from seeing any other held sandbox on this machine.
 */
const hold = join(process.cwd(), 'dist/assets/hold');
let child: ChildProcess | undefined;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'q-agent-'));
});
afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

it('attaches strace to the held wrapper before releasing it, then reports the end', async () => {
  expect(existsSync(hold)).toBe(true);
  child = spawn('unshare', ['--pid', '--mount-proc', '--kill-child', 'sh', '-c', `${hold} /bin/sh -c 'echo hello-from-sample; cat /nonexistent-file' & exec sh -c "$AGENT"`], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', AGENT: probeAgentScript(), QUARANTINE_RUN_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const deadline = Date.now() + 15_000;
  while (!out.includes(`${AGENT_PREFIX}exit `) && !out.includes(`${AGENT_PREFIX}failed`)) {
    if (Date.now() > deadline) throw new Error(`agent did not finish: ${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  const lines = out.split('\n').filter(Boolean);
  if (!out.includes('attached')) throw new Error(`agent output:\n${out}\nstderr:\n${err}`);
  const control = lines.filter((l) => l.startsWith(AGENT_PREFIX)).map((l) => l.slice(AGENT_PREFIX.length));
  expect(control[0]).toBe('started');
  expect(control[1]).toMatch(/^held pid=\d+ uid=0 gid=0$/);
  expect(control[2]).toMatch(/^attached pid=\d+$/);
  expect(control[3]).toBe('exit code=0');
  expect(existsSync(join(dir, 'started'))).toBe(true);
  // Everything the sample did is traced from its first execve on: it ran only after the attachment.
  const attachedAt = lines.findIndex((l) => l === `${AGENT_PREFIX}attached ${control[2].split(' ')[1]}`);
  const trace = lines.slice(attachedAt + 1).filter((l) => !l.startsWith(AGENT_PREFIX) && /^\d/.test(l) && !l.includes(' --- SIG'));
  expect(trace[0]).toMatch(/execve\("\/bin\/sh", \["\/bin\/sh", "-c", "echo hello-from-sample; cat \/nonexistent-file"\]/);
  expect(trace.some((l) => l.includes('write(1') && l.includes('hello-from-sample'))).toBe(true);
  expect(trace.filter((l) => l.includes('/nonexistent-file')).join('\n')).toContain('ENOENT');
  const events: { type: string }[] = [];
  const parser = createStraceParser((e) => events.push(e));
  for (const l of trace) parser.write(l);
  parser.end();
  expect(events.some((e) => e.type === 'execve')).toBe(true);
  expect(events.some((e) => e.type === 'openat' || e.type === 'open')).toBe(true);
}, 30_000);
