/**
 * Shared by the perf and ftrace integration specs (test code: excluded from the build): detonate a
 * sample image with a probe, then parse, track and evaluate the shipped rules; and the tests both pass.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { copyFileSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRules, analyzeTrace, readLines, type TraceParser, type RawEventSink } from '#analysis';
import { parseImageRef } from '#core/image/image-ref';
import { DockerRuntime } from '../docker/docker-runtime.js';
import { type Probe, ProbeStartError } from './probe.js';

export const runtime = new DockerRuntime({ holdTarPath: join(process.cwd(), 'dist/assets/hold.tar') });
const limits = { memoryBytes: 64 * 1024 ** 2, pids: 32, cpus: 1, windowSeconds: 10, outputBytes: 4096, traceBytes: 64 * 1024 ** 2 };
const rulesText = readFileSync(join(process.cwd(), 'sandbox-profiles/rules/quarantine-rules.yaml'), 'utf8');

export async function detonateWith(probe: Probe, createParser: (s: RawEventSink) => TraceParser, image: string, id: string, work: string, keepAs?: string) {
  const resolved = await runtime.resolveImage(parseImageRef(image));
  const sandbox = await runtime.create({ analysisId: id, image: resolved, runtime: 'runc', hold: true, capabilities: 'default', limits });
  const tracePath = join(work, `${id}.trace`);
  let stats;
  let target;
  try {
    target = await sandbox.start();
    const session = await probe.attach(target, tracePath, { budgetBytes: limits.traceBytes });
    sandbox.release(target);
    await sandbox.wait(new AbortController().signal);
    stats = await session.stop(5000);
  } finally {
    await sandbox.destroy();
  }
  if (keepAs) {
    mkdirSync(join(process.cwd(), 'libs/analysis/src/probes/__fixtures__', probe.name), { recursive: true });
    copyFileSync(tracePath, join(process.cwd(), 'libs/analysis/src/probes/__fixtures__', probe.name, keepAs));
  }
  const rules = compileRules([{ name: 'quarantine-rules.yaml', text: rulesText }], { unavailableFields: probe.unavailableFields });
  const result = await analyzeTrace({
    lines: readLines(createReadStream(tracePath)),
    createParser,
    tracker: {
      sandbox: { containerId: sandbox.id, containerName: sandbox.name, image, imageRepository: image, imageTag: 'latest', imageDigest: resolved.digest, privileged: false, mounts: [] },
      initial: { pid: target.hostPid, vpid: target.vpid, uid: target.uid, gid: target.gid },
    },
    rules,
  });
  return { stats, result, rules, trace: readFileSync(tracePath, 'utf8'), target, findings: result.findings.map((f) => f.rule).sort() };
}

export type Detonation = Awaited<ReturnType<typeof detonateWith>>;

/**
 * The integration tests every tracepoint probe (perf, ftrace) passes: real Docker and the shipped
 * rules on the sample images. `shell` adds the probe's own checks of the benign run (how it scopes
 * to the sandbox), given what `snapshot` saw before it. KEEP_FIXTURES=1 refreshes
 * `libs/analysis/src/probes/__fixtures__/<probe>/`.
 */
export function describeTracepointProbe<S>(
  probe: Probe,
  createParser: (s: RawEventSink) => TraceParser,
  checks: { snapshot?: () => S; shell: (r: Detonation, before: S | undefined) => void },
): void {
  const keep = process.env.KEEP_FIXTURES === '1';
  const fixture = (name: string) => (keep ? `${name}.${probe.name}` : undefined);
  const run = (image: string, name: string, keepName?: string) =>
    detonateWith(probe, createParser, `quarantine-samples/${image}:latest`, `it-${probe.name}-${name}`, work, keepName === undefined ? undefined : fixture(keepName));
  let work: string;
  beforeAll(() => { work = mkdtempSync(join(tmpdir(), `q-${probe.name}-`)); });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('traces a benign shell entrypoint from its exec and follows forks, and only the sandbox', async () => {
    const before = checks.snapshot?.();
    const r = await run('shell-script', 'shell', 'shell-script');
    expect(r.stats!.lost).toBe(0);
    expect(r.stats!.complete).toBe(true);
    expect(r.result.parser.detail.firstIsExec).toBe(1);
    expect(r.result.summary.entrypoint.started).toBe(true);
    expect(r.result.summary.entrypoint.exe).toBe('/docker-entrypoint.sh');
    expect(r.result.summary.processes.length).toBeGreaterThanOrEqual(5); // cat, ls, cat, date, id forks
    expect(r.result.parser.unparsed).toBe(0);
    expect(r.findings).toEqual([]);
    checks.shell(r, before);
  }, 60_000);

  it('catches fileless execution (memfd_create fd → execveat AT_EMPTY_PATH)', async () => {
    const r = await run('memfd-exec', 'memfd', 'memfd-exec');
    expect(r.findings).toContain('Fileless Execution From Memory');
    expect(r.rules.notEvaluated.map((n) => n.rule)).toContain('Executable Written to Memory File');
  }, 60_000);

  it('catches the reverse shell socket dup2 onto stdio', async () => {
    const r = await run('revshell', 'revshell', 'revshell');
    expect(r.findings).toContain('Outbound Socket Redirected to Standard Streams');
  }, 60_000);

  it('catches drop-and-execute from /tmp by the exec filename, not by the path written', async () => {
    const r = await run('dropper', 'dropper', 'dropper');
    expect(r.findings).toEqual(expect.arrayContaining(['Execution From Temporary Directory', 'Hidden File Executed']));
    expect(r.rules.notEvaluated.map((n) => n.rule)).toContain('Drop and Execute');
  }, 60_000);

  it('cannot see the /etc/shadow path: the rule is not evaluated, not passed', async () => {
    const r = await run('shadow-reader', 'shadow');
    expect(r.findings).not.toContain('Password Hash File Read');
    expect(r.rules.notEvaluated).toContainEqual(expect.objectContaining({ rule: 'Password Hash File Read', reason: expect.stringContaining('fd.name'), probeBlind: true }));
  }, 60_000);

  it('refuses a target without a held entrypoint', async () => {
    await expect(probe.attach({ containerId: 'x', initPid: 1, uid: 0, gid: 0 }, join(work, 'none'), { budgetBytes: 1 })).rejects.toBeInstanceOf(ProbeStartError);
  });
}
