import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFtraceParser } from '#analysis/probes/ftrace-parser';
import { FtraceProbe, TRACEFS } from './ftrace.probe.js';
import { ProbeStartError } from './probe.js';
import { detonateWith } from './tracepoint-probe.it-support.js';

// Real Docker, real tracefs: the instance filters on the held wrapper and its forks, sees the
// entrypoint from its exec, and is gone afterwards. Set KEEP_FIXTURES=1 to refresh __fixtures__/ftrace.
const probe = new FtraceProbe();
const keep = process.env.KEEP_FIXTURES === '1';
let work: string;
beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'q-ftrace-')); });
afterAll(() => rmSync(work, { recursive: true, force: true }));

function instances(): string[] {
  return existsSync(`${TRACEFS}/instances`) ? readdirSync(`${TRACEFS}/instances`).filter((n) => n.startsWith('quarantine-')) : [];
}

describe('FtraceProbe', () => {
  it('traces a benign shell entrypoint from its exec, follows forks, removes its instance', async () => {
    const before = instances();
    const r = await detonateWith(probe, createFtraceParser, 'quarantine-samples/shell-script:latest', 'it-ftrace-shell', work, keep ? 'shell-script.ftrace' : undefined);
    expect(r.stats!.lost).toBe(0);
    expect(r.stats!.complete).toBe(true);
    expect(r.result.parser.detail.firstIsExec).toBe(1);
    expect(r.result.summary.entrypoint.started).toBe(true);
    expect(r.result.summary.entrypoint.exe).toBe('/docker-entrypoint.sh');
    expect(r.result.summary.processes.length).toBeGreaterThanOrEqual(5); // cat, ls, cat, date, id forks
    expect(r.result.parser.unparsed).toBe(0);
    expect(r.findings).toEqual([]);
    // Only the sandbox: no host process ever appears.
    expect(r.trace).not.toMatch(/docker-init|dockerd|containerd/);
    expect(instances()).toEqual(before);
  }, 60_000);

  it('catches fileless execution (memfd_create fd → execveat AT_EMPTY_PATH)', async () => {
    const r = await detonateWith(probe, createFtraceParser, 'quarantine-samples/memfd-exec:latest', 'it-ftrace-memfd', work, keep ? 'memfd-exec.ftrace' : undefined);
    expect(r.findings).toContain('Fileless Execution From Memory');
    expect(r.rules.notEvaluated.map((n) => n.rule)).toContain('Executable Written to Memory File');
  }, 60_000);

  it('catches the reverse shell socket dup2 onto stdio', async () => {
    const r = await detonateWith(probe, createFtraceParser, 'quarantine-samples/revshell:latest', 'it-ftrace-revshell', work, keep ? 'revshell.ftrace' : undefined);
    expect(r.findings).toContain('Outbound Socket Redirected to Standard Streams');
  }, 60_000);

  it('catches drop-and-execute from /tmp by the exec filename, not by the path written', async () => {
    const r = await detonateWith(probe, createFtraceParser, 'quarantine-samples/dropper:latest', 'it-ftrace-dropper', work, keep ? 'dropper.ftrace' : undefined);
    expect(r.findings).toEqual(expect.arrayContaining(['Execution From Temporary Directory', 'Hidden File Executed']));
    expect(r.rules.notEvaluated.map((n) => n.rule)).toContain('Drop and Execute');
  }, 60_000);

  it('cannot see the /etc/shadow path: the rule is not evaluated, not passed', async () => {
    const r = await detonateWith(probe, createFtraceParser, 'quarantine-samples/shadow-reader:latest', 'it-ftrace-shadow', work);
    expect(r.findings).not.toContain('Password Hash File Read');
    expect(r.rules.notEvaluated).toContainEqual(expect.objectContaining({ rule: 'Password Hash File Read', reason: expect.stringContaining('fd.name'), probeBlind: true }));
  }, 60_000);

  it('refuses a target without a held entrypoint', async () => {
    await expect(probe.attach({ containerId: 'x', initPid: 1, uid: 0, gid: 0 }, join(work, 'none'), { budgetBytes: 1 })).rejects.toBeInstanceOf(ProbeStartError);
  });
});
