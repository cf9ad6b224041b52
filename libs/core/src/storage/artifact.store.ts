import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, gunzipSync, gzipSync } from 'node:zlib';

export type ArtifactName = 'trace.raw' | 'events.ndjson' | 'report.json' | 'stdout.txt' | 'stderr.txt' | 'network.ndjson' | 'attestation.json';

/** Raw traces, events and reports as gzip files under ARTIFACT_DIR/<analysis id>/. */
export class ArtifactStore {
  constructor(readonly root: string) {}

  dir(analysisId: string): string {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(analysisId)) throw new Error(`invalid analysis id for artifact path: ${analysisId}`);
    return join(this.root, analysisId);
  }

  path(analysisId: string, name: ArtifactName): string {
    return join(this.dir(analysisId), `${name}.gz`);
  }

  async ensureDir(analysisId: string): Promise<string> {
    const d = this.dir(analysisId);
    await mkdir(d, { recursive: true });
    return d;
  }

  async exists(analysisId: string, name: ArtifactName): Promise<boolean> {
    try {
      await stat(this.path(analysisId, name));
      return true;
    } catch {
      return false;
    }
  }

  /** A gzip writer: write plain bytes, the file on disk is gzip; `done` settles when the file is flushed. */
  async writeStream(analysisId: string, name: ArtifactName): Promise<{ stream: Writable; done: Promise<void> }> {
    await this.ensureDir(analysisId);
    const gz = createGzip({ level: 6 });
    const file = createWriteStream(this.path(analysisId, name));
    const done = pipeline(gz, file);
    return { stream: gz, done };
  }

  async writeFileFrom(analysisId: string, name: ArtifactName, source: Readable): Promise<void> {
    await this.ensureDir(analysisId);
    await pipeline(source, createGzip({ level: 6 }), createWriteStream(this.path(analysisId, name)));
  }

  async writeJson(analysisId: string, name: ArtifactName, value: unknown): Promise<void> {
    await this.ensureDir(analysisId);
    await writeFile(this.path(analysisId, name), gzipSync(JSON.stringify(value)));
  }

  async readJson<T>(analysisId: string, name: ArtifactName): Promise<T | null> {
    try {
      return JSON.parse(gunzipSync(await readFile(this.path(analysisId, name))).toString('utf8')) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** Decompressed stream of an artifact, or null if it does not exist. */
  async readStream(analysisId: string, name: ArtifactName): Promise<Readable | null> {
    if (!(await this.exists(analysisId, name))) return null;
    return createReadStream(this.path(analysisId, name)).pipe(createGunzip());
  }

  async remove(analysisId: string): Promise<void> {
    await rm(this.dir(analysisId), { recursive: true, force: true });
  }
}
