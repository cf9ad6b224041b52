import { generateKeyPair, generateKeyPairSync, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Lure } from '#analysis/lures/lure';

/**
 * Credential lures (honeytokens): fresh fake credentials, shaped like real ones, unique to one
 * analysis. Pure value generation (node:crypto only); planting is the runtime's job
 * (docker/lure-planter.ts). Every value comes from the CSPRNG, so two analyses never share one.
 */

const UPPER_B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64 = `${ALNUM}+/`;
const TOKEN_URL = `${ALNUM}_-`;

export function randomString(alphabet: string, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)];
const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** An AWS access key pair: `AKIA` + 16 base32 characters, a 40-character secret. */
export function awsKeyPair(): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `AKIA${randomString(UPPER_B32, 16)}`, secretAccessKey: randomString(B64, 40) };
}

/** A lure planted as a file: path (absolute, or relative to the user's home), content, mode, owner. */
export interface LureFile {
  kind: string;
  /** Absolute path, or `~/…` for the image user's home. */
  path: string;
  content: string;
  mode: number;
  /** `root` for system paths (the Kubernetes mount), `user` for files in the user's home. */
  owner: 'root' | 'user';
  /** Modes for directories this lure needs that do not exist yet (relative like `path`); others 0755. */
  dirModes?: Record<string, number>;
  /** The strings unique to this analysis; empty for companion files that are not lures themselves. */
  secrets: string[];
}

/** Environment-variable lures: AWS keys, only for variables the image does not set itself. */
export function envLures(imageEnv: readonly string[]): { env: string[]; lures: Lure[] } {
  const set = new Set(imageEnv.map((e) => e.slice(0, e.indexOf('=') >>> 0)));
  const { accessKeyId, secretAccessKey } = awsKeyPair();
  const env: string[] = [];
  const lures: Lure[] = [];
  for (const [name, value] of [
    ['AWS_ACCESS_KEY_ID', accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', secretAccessKey],
  ] as const) {
    if (set.has(name)) continue;
    env.push(`${name}=${value}`);
    lures.push({ kind: 'aws-env', location: `env:${name}`, secrets: [value] });
  }
  return { env, lures };
}

/**
 * An OpenSSH-format ed25519 private key (`-----BEGIN OPENSSH PRIVATE KEY-----`, unencrypted), as
 * `ssh-keygen -t ed25519` writes it; ssh and ssh-keygen accept it.
 */
export function opensshEd25519(comment: string): { pem: string; publicLine: string; secrets: string[] } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as { d: string; x: string };
  const seed = Buffer.from(jwk.d, 'base64url');
  const pub = Buffer.from(jwk.x, 'base64url');
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const str = (b: Buffer | string) => {
    const buf = Buffer.from(b);
    return Buffer.concat([u32(buf.length), buf]);
  };
  const pubBlob = Buffer.concat([str('ssh-ed25519'), str(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, str('ssh-ed25519'), str(pub), str(Buffer.concat([seed, pub])), str(comment)]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const blob = Buffer.concat([Buffer.from('openssh-key-v1\0', 'latin1'), str('none'), str('none'), str(''), u32(1), str(pubBlob), str(priv)]);
  const body = blob.toString('base64');
  const lines = body.match(/.{1,70}/g) ?? [];
  // Lines 2 and on carry the private half (lines 0-1 are mostly the fixed header and public key).
  return {
    pem: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicLine: `ssh-ed25519 ${pubBlob.toString('base64')} ${comment}\n`,
    secrets: lines.slice(2).filter((l) => l.length >= 40),
  };
}

/**
 * An RSA-2048 PKCS#8 PEM for the service-account JSON, unique to this analysis, at no CPU cost:
 * one real key is generated per process (~130 ms, off the event loop) as a template, and each
 * analysis gets a copy whose integers (n, d, p, q, dp, dq, qinv) are overwritten with random bytes of
 * the same length. It parses as an RSA-2048 private key (node, OpenSSL, Python's cryptography), but
 * its numbers do not form a key pair: generating a real pair would cost ~130 ms of CPU per analysis.
 */
let rsaTemplate: Promise<Buffer> | undefined;

function tlv(buf: Buffer, off: number): { start: number; end: number } {
  let len = buf[off + 1]!;
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + 2 + i]!;
    hdr += n;
  }
  return { start: off + hdr, end: off + hdr + len };
}

export async function lureRsaKeyPem(): Promise<string> {
  rsaTemplate ??= new Promise<Buffer>((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'der' }, publicKeyEncoding: { type: 'spki', format: 'der' } }, (err, _pub, priv) =>
      err ? reject(err) : resolve(priv),
    ),
  );
  const der = Buffer.from(await rsaTemplate);
  // PrivateKeyInfo { version, algorithm, OCTET STRING { RSAPrivateKey { version, n, e, d, p, q, dp, dq, qinv } } }
  const outer = tlv(der, 0);
  const version = tlv(der, outer.start);
  const algorithm = tlv(der, version.end);
  const octets = tlv(der, algorithm.end);
  const rsa = tlv(der, octets.start);
  let off = rsa.start;
  for (let i = 0; i < 9 && off < rsa.end; i++) {
    const int = tlv(der, off);
    // Keep the version (0) and e (2); keep each integer's leading byte (two when the first is the 0x00
    // sign pad, whose successor has its top bit set), so sign, bit length and minimal DER stay valid.
    const keep = der[int.start] === 0 ? 2 : 1;
    if (i !== 0 && i !== 2 && int.end - int.start > keep) randomBytes(int.end - int.start - keep).copy(der, int.start + keep);
    off = int.end;
  }
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

const PROJECT_WORDS = ['prod', 'data', 'platform', 'billing', 'analytics', 'core', 'infra', 'web', 'api', 'ml'];
const USER_WORDS = ['deploy', 'ci-bot', 'build', 'release', 'svc-backend', 'jenkins', 'automation'];
const NAMESPACES = ['default', 'production', 'backend', 'apps', 'services'];

/** A fake PEM block of the given base64 length (shaped like a certificate; not parseable). */
function pemBlock(label: string, bytes: number): string {
  const lines = randomBytes(bytes).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * File lures for one analysis. `hostname` makes the Kubernetes token name the pod it claims to
 * belong to. Paths under `~/` go into the image user's home.
 */
export async function fileLures(hostname: string): Promise<LureFile[]> {
  const files: LureFile[] = [];
  const aws = awsKeyPair();
  files.push({
    kind: 'aws-credentials',
    path: '~/.aws/credentials',
    content: `[default]\naws_access_key_id = ${aws.accessKeyId}\naws_secret_access_key = ${aws.secretAccessKey}\n`,
    mode: 0o600,
    owner: 'user',
    secrets: [aws.accessKeyId, aws.secretAccessKey],
  });

  const project = `${pick(PROJECT_WORDS)}-${pick(PROJECT_WORDS)}-${randomInt(100000, 999999)}`;
  const account = `${pick(USER_WORDS)}-${randomString('abcdefghijklmnopqrstuvwxyz0123456789', 4)}`;
  const keyId = randomBytes(20).toString('hex');
  const clientId = `1${randomString('0123456789', 20)}`;
  const rsa = await lureRsaKeyPem();
  const rsaLines = rsa.split('\n').filter((l) => l && !l.startsWith('-----'));
  const email = `${account}@${project}.iam.gserviceaccount.com`;
  files.push({
    kind: 'gcp-service-account',
    path: '~/.config/gcloud/application_default_credentials.json',
    content: `${JSON.stringify(
      {
        type: 'service_account',
        project_id: project,
        private_key_id: keyId,
        private_key: rsa,
        client_email: email,
        client_id: clientId,
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: 'https://oauth2.googleapis.com/token',
        auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
        client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
        universe_domain: 'googleapis.com',
      },
      null,
      2,
    )}\n`,
    mode: 0o600,
    owner: 'user',
    secrets: [keyId, ...rsaLines.slice(2, 4)],
  });

  const ns = pick(NAMESPACES);
  const now = Math.floor(Date.now() / 1000);
  const iss = 'https://kubernetes.default.svc.cluster.local';
  const token = [
    b64url(JSON.stringify({ alg: 'RS256', kid: randomString(TOKEN_URL, 43) })),
    b64url(
      JSON.stringify({
        aud: [iss],
        exp: now + 31536000,
        iat: now,
        iss,
        jti: randomUUID(),
        'kubernetes.io': { namespace: ns, node: { name: `ip-10-0-${randomInt(0, 255)}-${randomInt(1, 255)}.ec2.internal`, uid: randomUUID() }, pod: { name: hostname, uid: randomUUID() }, serviceaccount: { name: 'default', uid: randomUUID() } },
        nbf: now,
        sub: `system:serviceaccount:${ns}:default`,
      }),
    ),
    b64url(randomBytes(256)),
  ].join('.');
  const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
  files.push({ kind: 'k8s-token', path: `${sa}/token`, content: token, mode: 0o644, owner: 'root', secrets: [token] });
  files.push({ kind: 'k8s-token', path: `${sa}/ca.crt`, content: pemBlock('CERTIFICATE', 800), mode: 0o644, owner: 'root', secrets: [] });
  files.push({ kind: 'k8s-token', path: `${sa}/namespace`, content: ns, mode: 0o644, owner: 'root', secrets: [] });

  const user = pick(USER_WORDS);
  const ssh = opensshEd25519(`${user}@${hostname}`);
  files.push({ kind: 'ssh-key', path: '~/.ssh/id_ed25519', content: ssh.pem, mode: 0o600, owner: 'user', dirModes: { '~/.ssh': 0o700 }, secrets: ssh.secrets });
  files.push({ kind: 'ssh-key', path: '~/.ssh/id_ed25519.pub', content: ssh.publicLine, mode: 0o644, owner: 'user', secrets: [] });

  const dockerToken = `dckr_pat_${randomString(TOKEN_URL, 27)}`;
  const dockerAuth = Buffer.from(`${user}:${dockerToken}`).toString('base64');
  files.push({
    kind: 'docker-config',
    path: '~/.docker/config.json',
    content: `${JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: dockerAuth } } }, null, '\t')}\n`,
    mode: 0o600,
    owner: 'user',
    dirModes: { '~/.docker': 0o700 },
    secrets: [dockerToken, dockerAuth],
  });

  const ghp = `ghp_${randomString(ALNUM, 36)}`;
  files.push({ kind: 'git-credentials', path: '~/.git-credentials', content: `https://${user}:${ghp}@github.com\n`, mode: 0o600, owner: 'user', secrets: [ghp] });

  const npm = `npm_${randomString(ALNUM, 36)}`;
  files.push({ kind: 'npmrc', path: '~/.npmrc', content: `//registry.npmjs.org/:_authToken=${npm}\n`, mode: 0o600, owner: 'user', secrets: [npm] });
  return files;
}
