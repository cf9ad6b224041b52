import { execFileSync } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Agent, request } from 'node:https';
import { join } from 'node:path';

export const WORKLOAD_FIXTURES = ['pod', 'deployment', 'replicaset', 'statefulset', 'daemonset', 'job', 'cronjob'] as const;

export interface FixtureImages {
  app: string;
  sidecar?: string;
  init?: string;
  ephemeral?: string;
}

/** An AdmissionReview fixture (test/fixtures/admission) with its placeholders replaced and a fresh uid. */
export function fixture(name: string, images?: FixtureImages, patch: { namespace?: string; operation?: string; dryRun?: boolean } = {}): any {
  let text = readFileSync(join(process.cwd(), 'test/fixtures/admission', `${name}.json`), 'utf8');
  if (images) {
    text = text
      .replaceAll('IMAGE_APP', images.app)
      .replaceAll('IMAGE_SIDECAR', images.sidecar ?? images.app)
      .replaceAll('IMAGE_INIT', images.init ?? images.app)
      .replaceAll('IMAGE_EPHEMERAL', images.ephemeral ?? images.app);
  }
  const doc = JSON.parse(text);
  doc.request.uid = randomUUID();
  if (patch.namespace) {
    doc.request.namespace = patch.namespace;
    if (doc.request.object?.metadata) doc.request.object.metadata.namespace = patch.namespace;
  }
  if (patch.operation) doc.request.operation = patch.operation;
  if (patch.dryRun !== undefined) doc.request.dryRun = patch.dryRun;
  return doc;
}

/** A self-signed certificate for 127.0.0.1 / localhost (openssl), written to `dir`. */
export function selfSignedCert(dir: string, cn = 'quarantine-admission'): { cert: string; key: string; pem: string; fingerprint: string } {
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', `${key}.tmp`, '-out', `${cert}.tmp`], { stdio: 'ignore' });
  // Written by rename, the way a Kubernetes secret volume swaps files.
  execFileSync('mv', ['-f', `${key}.tmp`, key]);
  execFileSync('mv', ['-f', `${cert}.tmp`, cert]);
  const pem = readFileSync(cert, 'utf8');
  return { cert, key, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

export interface HttpsReply {
  status: number;
  json: any;
  text: string;
  peerFingerprint?: string;
  ms: number;
}

/** One HTTPS request trusting only `ca`: on a fresh connection, or on `agent`'s keep-alive ones. */
export function httpsCall(port: number, ca: string, method: string, path: string, body?: string | object, agent?: Agent): Promise<HttpsReply> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, ca, agent: agent ?? false, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      const peer = (res.socket as any).getPeerCertificate?.()?.fingerprint256 as string | undefined;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json, text, peerFingerprint: peer, ms: performance.now() - t0 });
      });
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** Applies a JSONPatch of `add`/`replace` operations (what the mutating webhook emits), RFC 6902 semantics. */
export function applyPatch(doc: any, patch: { op: string; path: string; value: unknown }[]): any {
  const out = JSON.parse(JSON.stringify(doc));
  for (const p of patch) {
    const parts = p.path.split('/').slice(1).map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let cur = out;
    for (const k of parts) {
      cur = cur[k];
      if (cur === undefined) throw new Error(`patch path ${p.path} does not exist`);
    }
    if (p.op === 'replace') {
      if (!(last in cur)) throw new Error(`replace of missing ${p.path}`);
      cur[last] = p.value;
    } else if (p.op === 'add') {
      if (Array.isArray(cur)) cur.splice(last === '-' ? cur.length : Number(last), 0, p.value);
      else cur[last] = p.value;
    } else throw new Error(`unexpected op ${p.op}`);
  }
  return out;
}
