import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envLures, fileLures, opensshEd25519 } from './lure-values.js';

describe('credential lure values', () => {
  it('look real in shape', async () => {
    const files = await fileLures('web-7f9c4b5d8-x2kqp');
    const by = (kind: string) => files.find((f) => f.kind === kind && f.secrets.length > 0)!;
    expect(by('aws-credentials').content).toMatch(/^\[default\]\naws_access_key_id = AKIA[A-Z2-7]{16}\naws_secret_access_key = [A-Za-z0-9+/]{40}\n$/);
    const gcp = JSON.parse(by('gcp-service-account').content) as Record<string, string>;
    expect(gcp).toMatchObject({ type: 'service_account', token_uri: 'https://oauth2.googleapis.com/token' });
    expect(gcp.private_key_id).toMatch(/^[0-9a-f]{40}$/);
    expect(createPrivateKey(gcp.private_key).asymmetricKeyDetails?.modulusLength).toBe(2048);
    // Python's cryptography (what google-auth uses) loads it too.
    expect(execFileSync('python3', ['-c', 'import sys; from cryptography.hazmat.primitives.serialization import load_pem_private_key as l; print(l(sys.stdin.buffer.read(), None, unsafe_skip_rsa_key_validation=True).key_size)'], { input: gcp.private_key, encoding: 'utf8' }).trim()).toBe('2048');
    const token = by('k8s-token').content.split('.');
    expect(token).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(token[1], 'base64url').toString()) as { sub: string; 'kubernetes.io': { pod: { name: string } } };
    expect(claims.sub).toMatch(/^system:serviceaccount:[a-z]+:default$/);
    expect(claims['kubernetes.io'].pod.name).toBe('web-7f9c4b5d8-x2kqp');
    expect(by('git-credentials').content).toMatch(/^https:\/\/[a-z-]+:ghp_[A-Za-z0-9]{36}@github\.com\n$/);
    expect(by('npmrc').content).toMatch(/^\/\/registry\.npmjs\.org\/:_authToken=npm_[A-Za-z0-9]{36}\n$/);
    const auth = JSON.parse(by('docker-config').content).auths['https://index.docker.io/v1/'].auth as string;
    expect(Buffer.from(auth, 'base64').toString()).toMatch(/^[a-z-]+:dckr_pat_[A-Za-z0-9_-]{27}$/);
    // Every secret is in its file (the docker token inside the base64 `auth`).
    for (const f of files) for (const s of f.secrets) expect(f.content + (f.kind === 'docker-config' ? Buffer.from(auth, 'base64').toString() : '')).toContain(s);
  });

  it('the SSH key is a well-formed OpenSSH ed25519 key (ssh-keygen derives its public key)', () => {
    const key = opensshEd25519('deploy@host');
    const dir = mkdtempSync(join(tmpdir(), 'q-ssh-'));
    try {
      writeFileSync(join(dir, 'id'), key.pem, { mode: 0o600 });
      const pub = execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'id')], { encoding: 'utf8' });
      expect(pub.trim()).toBe(key.publicLine.trim());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(key.secrets.length).toBeGreaterThan(0);
  });

  it('are unique per analysis and never reuse a value', async () => {
    const a = await fileLures('h');
    const b = await fileLures('h');
    const sa = new Set(a.flatMap((f) => f.secrets));
    const sb = b.flatMap((f) => f.secrets);
    expect(sa.size).toBeGreaterThan(10);
    expect(sb.filter((s) => sa.has(s))).toEqual([]);
    const keyA = JSON.parse(a.find((f) => f.kind === 'gcp-service-account')!.content).private_key as string;
    const keyB = JSON.parse(b.find((f) => f.kind === 'gcp-service-account')!.content).private_key as string;
    const body = (k: string) => new Set(k.split('\n').slice(2, -3));
    expect([...body(keyB)].filter((l) => body(keyA).has(l))).toEqual([]);
  });

  it('env lures are only set for AWS variables the image does not set', () => {
    const none = envLures(['PATH=/bin']);
    expect(none.env.map((e) => e.split('=')[0])).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect(none.lures.map((l) => l.location)).toEqual(['env:AWS_ACCESS_KEY_ID', 'env:AWS_SECRET_ACCESS_KEY']);
    const some = envLures(['AWS_ACCESS_KEY_ID=mine']);
    expect(some.env.map((e) => e.split('=')[0])).toEqual(['AWS_SECRET_ACCESS_KEY']);
  });
});
