import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptures } from '#analysis';
import { ArtifactStore } from '#core/storage/artifact.store';
import { networkRunInput, networkSection } from './network-input.js';
import type { RunFacts } from './run-facts.js';

const line = '{"v":1,"ts":1,"kind":"dns","transport":"udp","src":{"ip":"10.0.0.5","port":1},"dst":{"ip":"10.0.0.2","port":53},"dns":{"name":"a.example","type":"A","answers":[]},"bytesIn":20}\n';

describe('networkRunInput', () => {
  let dir: string;
  let store: ArtifactStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'qnet-'));
    store = new ArtifactStore(join(dir, 'artifacts'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const facts = (network?: RunFacts['network']) => ({ analysisId: 'a1', network, lures: [{ kind: 'npmrc', location: '/root/.npmrc', secrets: ['npm_tokenvalue123'] }] }) as unknown as RunFacts;

  it('gives nothing under network: none or without network facts', async () => {
    expect(await networkRunInput(facts(), 'run', store)).toEqual({});
    expect(await networkRunInput(facts({ mode: 'none' }), 'run', store)).toEqual({});
  });

  it('reads the fresh capture with the lures, stores it, and a rescore reads the stored copy', async () => {
    const path = join(dir, 'capture.ndjson');
    writeFileSync(path, line);
    const run = await networkRunInput(facts({ mode: 'simulated', capturePath: path, simulatorHealthy: true }), 'run', store);
    expect(run.incomplete).toBeUndefined();
    expect(run.input!.lures).toEqual([expect.objectContaining({ kind: 'npmrc' })]);
    expect((await readCaptures(run.input!.capture)).stats.accepted).toBe(1);
    await run.store!();
    const again = await networkRunInput(facts({ mode: 'simulated', capturePath: '/nonexistent' }), 'stored', store);
    expect(again.incomplete).toBeUndefined();
    expect((await readCaptures(again.input!.capture)).captures[0]!.dns!.name).toBe('a.example');
  });

  it('names why the network record cannot be trusted', async () => {
    expect((await networkRunInput(facts({ mode: 'simulated' }), 'run', store)).incomplete).toBe('the network capture is missing');
    const path = join(dir, 'c.ndjson');
    writeFileSync(path, line);
    const dead = await networkRunInput(facts({ mode: 'simulated', capturePath: path, simulatorHealthy: false, simulatorError: 'exited 137' }), 'run', store);
    expect(dead.incomplete).toBe('the network simulator failed (exited 137)');
    expect(dead.input).toBeDefined();
    expect((await networkRunInput(facts({ mode: 'simulated' }), 'stored', store)).incomplete).toBe('the network capture was not stored');
  });

  it('the report section keeps the probe\'s connections beside the simulator\'s view', () => {
    expect(networkSection('none', [], 0, undefined, undefined)).toEqual({ mode: 'none', connections: [], connectionsTruncated: 0 });
    expect(networkSection('simulated', [], 0, undefined, 'x')).toMatchObject({ incomplete: 'x' });
  });
});
