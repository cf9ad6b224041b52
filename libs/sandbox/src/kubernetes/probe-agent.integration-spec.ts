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
const children: ChildProcess[] = [];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'q-agent-'));
});
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the agent beside a held sample until it reports strace's end; returns its output lines. */
async function runAgent(sample: string, env: Record<string, string> = {}): Promise<{ lines: string[]; control: string[]; ms: number }> {
  expect(existsSync(hold)).toBe(true);
  const t0 = Date.now();
  const child = spawn('unshare', ['--pid', '--mount-proc', '--kill-child', 'sh', '-c', `${hold} /bin/sh -c '${sample}' & exec sh -c "$AGENT"`], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', AGENT: probeAgentScript(), QUARANTINE_RUN_DIR: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const deadline = Date.now() + 15_000;
  while (!out.includes(`${AGENT_PREFIX}exit `) && !out.includes(`${AGENT_PREFIX}failed`)) {
    if (Date.now() > deadline) throw new Error(`agent did not finish: ${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = Date.now() - t0;
  child.kill('SIGKILL');
  const lines = out.split('\n').filter(Boolean);
  if (!out.includes('attached')) throw new Error(`agent output:\n${out}\nstderr:\n${err}`);
  return { lines, control: lines.filter((l) => l.startsWith(AGENT_PREFIX)).map((l) => l.slice(AGENT_PREFIX.length)), ms };
}

it('attaches strace to the held wrapper before releasing it, then reports the end', async () => {
  const { lines, control } = await runAgent('echo hello-from-sample; cat /nonexistent-file');
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

it('ends the window itself: kills the sample, and strace still reports its end', async () => {
  const { control, lines, ms } = await runAgent('sleep 30', { QUARANTINE_WINDOW_SECONDS: '1' });
  expect(control.slice(2)).toEqual([expect.stringMatching(/^attached /), 'window expired', 'exit code=0']);
  expect(ms).toBeLessThan(10_000);
  expect(lines.some((l) => l.includes('+++ killed by SIGKILL +++'))).toBe(true);
}, 30_000);
