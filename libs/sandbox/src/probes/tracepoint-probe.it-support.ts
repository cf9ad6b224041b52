/** Shared by the perf and ftrace integration specs: detonate a sample image with a probe, then parse, track and evaluate the shipped rules. */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRules, analyzeTrace, readLines, type TraceParser, type RawEventSink } from '#analysis';
import { parseImageRef } from '#core/image/image-ref';
import { createReadStream } from 'node:fs';
import { DockerRuntime } from '../docker/docker-runtime.js';
import type { Probe } from './probe.js';

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
