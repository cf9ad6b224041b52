import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPerfParser } from '#analysis/probes/perf-parser';
import { PerfProbe } from './perf.probe.js';
import { ProbeStartError } from './probe.js';
import { detonateWith } from './tracepoint-probe.it-support.js';

// Real Docker, real tracefs: the instance filters on the held wrapper and its forks, sees the
// entrypoint from its exec, and is gone afterwards. Set KEEP_FIXTURES=1 to refresh __fixtures__/perf.
const probe = new PerfProbe();
const keep = process.env.KEEP_FIXTURES === '1';
let work: string;
beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'q-perf-')); });
afterAll(() => rmSync(work, { recursive: true, force: true }));


describe('PerfProbe', () => {
  it('traces a benign shell entrypoint from its exec and follows forks, scoped to the cgroup', async () => {
    const r = await detonateWith(probe, createPerfParser, 'quarantine-samples/shell-script:latest', 'it-perf-shell', work, keep ? 'shell-script.perf' : undefined);
    expect(r.stats!.lost).toBe(0);
    expect(r.stats!.complete).toBe(true);
    expect(r.result.parser.detail.firstIsExec).toBe(1);
    expect(r.result.summary.entrypoint.started).toBe(true);
    expect(r.result.summary.entrypoint.exe).toBe('/docker-entrypoint.sh');
    expect(r.result.summary.processes.length).toBeGreaterThanOrEqual(5); // cat, ls, cat, date, id forks
    expect(r.result.parser.unparsed).toBe(0);
    expect(r.findings).toEqual([]);
    // Scoped by cgroup: the container's init shows in the raw trace, never a host process; the parser keeps the entrypoint's tree.
    expect(r.trace).not.toMatch(/ (dockerd|containerd|node)\/\d+ /);
    expect(r.result.parser.detail.outOfScope).toBeGreaterThan(0);
  }, 60_000);

  it('catches fileless execution (memfd_create fd → execveat AT_EMPTY_PATH)', async () => {
    const r = await detonateWith(probe, createPerfParser, 'quarantine-samples/memfd-exec:latest', 'it-perf-memfd', work, keep ? 'memfd-exec.perf' : undefined);
    expect(r.findings).toContain('Fileless Execution From Memory');
    expect(r.rules.notEvaluated.map((n) => n.rule)).toContain('Executable Written to Memory File');
  }, 60_000);

  it('catches the reverse shell socket dup2 onto stdio', async () => {
    const r = await detonateWith(probe, createPerfParser, 'quarantine-samples/revshell:latest', 'it-perf-revshell', work, keep ? 'revshell.perf' : undefined);
    expect(r.findings).toContain('Outbound Socket Redirected to Standard Streams');
  }, 60_000);

  it('catches drop-and-execute from /tmp by the exec filename, not by the path written', async () => {
    const r = await detonateWith(probe, createPerfParser, 'quarantine-samples/dropper:latest', 'it-perf-dropper', work, keep ? 'dropper.perf' : undefined);
    expect(r.findings).toEqual(expect.arrayContaining(['Execution From Temporary Directory', 'Hidden File Executed']));
    expect(r.rules.notEvaluated.map((n) => n.rule)).toContain('Drop and Execute');
  }, 60_000);

  it('cannot see the /etc/shadow path: the rule is not evaluated, not passed', async () => {
    const r = await detonateWith(probe, createPerfParser, 'quarantine-samples/shadow-reader:latest', 'it-perf-shadow', work);
    expect(r.findings).not.toContain('Password Hash File Read');
    expect(r.rules.notEvaluated).toContainEqual(expect.objectContaining({ rule: 'Password Hash File Read', reason: expect.stringContaining('fd.name'), probeBlind: true }));
  }, 60_000);

  it('refuses a target without a held entrypoint', async () => {
    await expect(probe.attach({ containerId: 'x', initPid: 1, uid: 0, gid: 0 }, join(work, 'none'), { budgetBytes: 1 })).rejects.toBeInstanceOf(ProbeStartError);
  });
});
