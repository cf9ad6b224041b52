import { findSecrets, isSecretName, looksRandom, redact, scanText, type SecretHit, shannonEntropy } from './secrets.js';

// Test values are built at run time so no literal in this repository looks like a real credential.
const AWS_ID = ['AKIA', 'Q3ZT7WJ2', 'LMNR5XVB'].join('');
const AWS_SECRET = ['wJalrXUtnFEMI', 'K7MDENGbPxRfi', 'CYzQ3pLk8sTa9v'].join('');
const GH = `ghp_${'a1B2c3D4e5F6g7H8i9J0'}${'kLmNoPqRsTuVwXyZ12'}`;
const SLACK = ['xoxb', '123456789012', '1234567890123', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('-');
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEA', '-----END RSA PRIVATE KEY-----'].join('\n');
const GCP = JSON.stringify({ type: 'service_account', project_id: 'p', private_key_id: 'k', private_key: 'x' });

function envHits(env: string[]): SecretHit[] {
  return findSecrets({ env, labels: {}, history: [] });
}

describe('secret detection (CIS 4.10)', () => {
  it.each([
    ['AWS access key id', `AWS_ACCESS_KEY_ID=${AWS_ID}`, 'secret', 'AWS access key id'],
    ['AWS secret access key', `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`, 'secret', 'AWS secret access key'],
    ['ASIA session key id', `KEY=ASIA${AWS_ID.slice(4)}`, 'secret', 'AWS access key id'],
    ['GitHub token', `GH=${GH}`, 'secret', 'GitHub token'],
    ['Slack token', `SLACK=${SLACK}`, 'secret', 'Slack token'],
    ['PEM private key', `TLS_KEY=${PEM}`, 'secret', 'PEM private key'],
    ['GCP service account JSON', `GOOGLE_CREDS=${GCP}`, 'secret', 'GCP service account key (JSON)'],
    ['random value of a secret-named key', `API_TOKEN=${['Zq8', 'xT2vLp', '9RmW4kYs', 'Nb7'].join('')}`, 'secret', 'random-looking value of API_TOKEN'],
    ['word-like default password', 'POSTGRES_PASSWORD=quarantine-sample', 'possible-secret', 'password-like assignment to POSTGRES_PASSWORD'],
    ['short password', 'DB_PASS=hunter2', 'possible-secret', 'password-like assignment to DB_PASS'],
  ])('%s in ENV', (_what, env, level, kind) => {
    const hits = envHits([env]);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ level, kind, where: `ENV ${env.slice(0, env.indexOf('='))}` });
  });

  it.each([
    ['PATH', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/15/bin'],
    ['a reference', 'DB_PASSWORD=$DB_PASSWORD_FROM_VAULT'],
    ['a *_FILE path', 'POSTGRES_PASSWORD_FILE=/run/secrets/pg'],
    ['a placeholder', 'ADMIN_PASSWORD=changeme'],
    ['a mask', 'API_KEY=********'],
    ['an empty value', 'SECRET_KEY='],
    ['a number', 'TOKEN_TTL=3600'],
    ['a token endpoint', 'TOKEN_URL=https://auth.example.com/token'],
    ['a GPG key fingerprint', 'GPG_KEY=E3FF2839C048B25C084DEBE9B26995E310250568'],
    ['a checksum', 'PYTHON_SHA256=8a9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b'],
    ['a version', 'NODE_VERSION=20.11.1'],
    ['AWS documentation example key', 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE'],
    ['the shell working dir', 'PWD=/srv/app'],
    ['a UUID', 'INSTANCE=123e4567-e89b-12d3-a456-426614174000'],
    ['a locale', 'LANG=C.UTF-8'],
  ])('not a secret: %s', (_what, env) => {
    expect(envHits([env])).toEqual([]);
  });

  it('skips hash labels and history checksums, finds secrets in history and labels', () => {
    const hits = findSecrets({
      env: [],
      labels: {
        'org.opencontainers.image.revision': '0c1e5e1c9d0b2a3f4e5d6c7b8a9f0e1d2c3b4a59',
        'org.opencontainers.image.source': 'https://github.com/example/app',
        'com.example.deploy-token': SLACK,
      },
      history: [
        { createdBy: '/bin/sh -c #(nop) ADD file:9a4f77dfaba7fd2aa78186e4ef0e7486ad55101cefc1fabbc1b385601bb38920 in / ' },
        { createdBy: '/bin/sh -c #(nop)  CMD ["bash"]' },
        { createdBy: `/bin/sh -c curl -H "Authorization: Bearer ${GH}" https://example.invalid/x` },
        { createdBy: '/bin/sh -c mysql --password hunter2secret -e "select 1"' },
        { createdBy: `|1 NPM_TOKEN=${['npm_', 'Xy7Qk2Lm9Pz4Rt6Wv8Bn3Cd5'].join('')} /bin/sh -c npm ci` },
      ],
    });
    expect(hits.map((h) => [h.where, h.level, h.kind])).toEqual([
      ['LABEL com.example.deploy-token', 'secret', 'Slack token'],
      ['history[2]', 'secret', 'GitHub token'],
      ['history[3]', 'possible-secret', 'password-like assignment to password'],
      ['history[4]', 'secret', 'random-looking value of NPM_TOKEN'],
    ]);
  });

  it('never carries the value: first 4 characters and the length', () => {
    const [hit] = envHits([`AWS_ACCESS_KEY_ID=${AWS_ID}`]);
    expect(hit.redacted).toBe(`AKIA… (20 chars)`);
    expect(JSON.stringify(hit)).not.toContain(AWS_ID);
    expect(redact('abcdefgh')).toBe('abcd… (8 chars)');
  });

  it('credentials in URLs', () => {
    const out: SecretHit[] = [];
    scanText('DATABASE_URL=postgres://app:Xk9Lp2Qz7Rm4Tv8W@db:5432/app', 'ENV DATABASE_URL', out);
    expect(out).toEqual([expect.objectContaining({ level: 'secret', kind: 'credentials in a URL', redacted: 'Xk9L… (16 chars)' })]);
    const none: SecretHit[] = [];
    scanText('URL=https://user@example.com/x https://example.com/a:b@c', 'x', none);
    expect(none).toEqual([]);
  });

  it('neutral-name high-entropy tokens are possible secrets; dotted names and paths are not', () => {
    const out: SecretHit[] = [];
    scanText(`X=${AWS_SECRET}`, 'ENV X', out);
    expect(out).toEqual([expect.objectContaining({ level: 'possible-secret', kind: 'high-entropy value' })]);
    const none: SecretHit[] = [];
    scanText('/usr/lib/x86_64-linux-gnu/libSomethingLong.so.6 io.k8s.description.of.something.long com.example.VeryLongJavaClassNameFactory', 'x', none);
    expect(none).toEqual([]);
  });

  it('names, entropy and randomness', () => {
    expect(['DB_PASSWORD', 'github.token', 'apiKey', 'MYSQL_ROOT_PWD', 'AWS_SECRET_ACCESS_KEY'].map(isSecretName)).toEqual([true, true, true, true, true]);
    expect(['PASSWORD_FILE', 'TOKEN_URL', 'PWD', 'KEY', 'MONKEY', 'SECRET_NAME'].map(isSecretName)).toEqual([false, false, false, false, false, false]);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
    expect(looksRandom('quarantine-sample')).toBe(false);
    expect(looksRandom(AWS_SECRET)).toBe(true);
  });

  it('stays linear on hostile input (1 MiB of one character, long token runs)', () => {
    const t0 = Date.now();
    findSecrets({ env: [`X=${'A'.repeat(1 << 20)}`, `PASSWORD=${'='.repeat(1 << 20)}`], labels: { l: 'ghp_'.repeat(100_000) }, history: [{ createdBy: '-----BEGIN '.repeat(50_000) }] });
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('secret scan bounds', () => {
  it('examines at most MAX_TOTAL_CHARS over all strings, and cuts long key names', () => {
    const big = `X=${'a'.repeat(60_000)}`;
    const t0 = Date.now();
    const hits = findSecrets({ env: [...Array.from({ length: 1000 }, () => big), `AWS_ACCESS_KEY_ID=${['AKIA', 'Q3ZT7WJ2LMNR5XVB'].join('')}`], labels: {}, history: [] });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(hits).toEqual([]); // the key sits past the budget: not examined
    const [long] = findSecrets({ env: [], labels: {}, history: [{ createdBy: `${'A'.repeat(5000)}_PASSWORD=hunter22` }] });
    expect(long.kind.length).toBeLessThan(120);
  });
});
