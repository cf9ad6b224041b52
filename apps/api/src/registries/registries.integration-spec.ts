/**
 * Registry credentials through the real Nest app (real Redis db 8): admin-only, stored encrypted
 * (AES-GCM envelope bound to the host and field), shown as username + hint only — never in a
 * response, an error body or the audit log — and re-encrypted on key rotation.
 */
import { inspect } from 'node:util';
import { parseKey, SecretBox } from '#core/secrets/secret-box';
import { RegistryCredentialRepository } from '#core/storage/registry-credential.repository';
import { ADMIN_KEY, type ApiApp, startApiApp } from '../../../../test/support/api-app.js';
import { TEST_SECRET_KEY } from '../../../../test/support/secret-key.js';

const PASSWORD = 'pr1vate-Registry-Passw0rd-xyz';
let t: ApiApp;
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

const logged: string[] = [];
const capture = (...a: unknown[]) => void logged.push(inspect(a, { depth: 8 }));

beforeAll(async () => {
  t = await startApiApp({ db: 8 });
  t.app.useLogger({ log: capture, error: capture, warn: capture, debug: capture, verbose: capture, fatal: capture });
}, 30_000);
afterAll(() => {
  // Nothing any logger wrote during the suite (requests, audit, errors) holds the secret.
  expect(logged.join('\n')).not.toContain(PASSWORD);
});
afterAll(async () => t?.close());

describe('registry credentials API', () => {
  it('stores credentials encrypted and shows only the username and a hint (PUT, GET, list, DELETE)', async () => {
    const put = await t.http.put('/v1/registries/Registry.Example.com:5001/credentials').set(admin).send({ username: 'ci-bot', password: PASSWORD });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ registry: 'registry.example.com:5001', username: 'ci-bot', kind: 'basic', hint: '****yz', updatedBy: 'bootstrap-admin' });
    const raw = await t.redis.get('q:registry-cred:registry.example.com:5001');
    expect(raw).toMatch(/"password":"qenc:v1:/);
    expect(raw).not.toContain(PASSWORD);
    const got = await t.http.get('/v1/registries/registry.example.com:5001/credentials').set(admin);
    expect(got.body).toEqual(put.body);
    const list = await t.http.get('/v1/registries/credentials').set(admin);
    expect(list.body.map((c: { registry: string }) => c.registry)).toContain('registry.example.com:5001');
    // The worker's view (the registry client's CredentialSource) decrypts it.
    const repo = t.app.get(RegistryCredentialRepository);
    expect((await repo.get('registry.example.com:5001'))?.password).toBe(PASSWORD);
    // An identity token replaces the password.
    const tok = await t.http.put('/v1/registries/registry.example.com:5001/credentials').set(admin).send({ identityToken: 'eyJ-refresh-token-abcdef' });
    expect(tok.body).toMatchObject({ kind: 'identity-token', username: null, hint: '****ef' });
    expect((await repo.get('registry.example.com:5001'))?.basicAuthorization()).toBeUndefined();
    for (const r of [put, got, list, tok]) expect(JSON.stringify(r.body)).not.toContain(PASSWORD);
    const audit = await t.http.get('/v1/audit').set(admin);
    const entries = JSON.stringify(audit.body);
    expect(entries).toContain('registry.set-credentials');
    expect(entries).toContain('registry.example.com:5001');
    expect(entries).not.toContain(PASSWORD);
    expect((await t.http.delete('/v1/registries/registry.example.com:5001/credentials').set(admin)).status).toBe(204);
    expect((await t.http.get('/v1/registries/registry.example.com:5001/credentials').set(admin)).status).toBe(404);
    expect(await repo.get('registry.example.com:5001')).toBeUndefined();
  });

  it('refuses bad hosts and bodies with 400 naming the field, never echoing the secret', async () => {
    const cases: [string, object, string][] = [
      ['registry.example.com', { username: 'u' }, 'password'],
      ['registry.example.com', { password: PASSWORD }, 'username'],
      ['registry.example.com', { username: 'a:b', password: PASSWORD }, 'username'],
      ['registry.example.com', { username: 'u', password: PASSWORD, identityToken: 'tok' }, 'password'],
      ['registry.example.com', { username: 'u', password: `${PASSWORD}\n` }, 'password'],
      ['registry.example.com', { username: 'u', password: PASSWORD.repeat(200) }, 'password'],
      ['registry.example.com', { username: 'u', password: PASSWORD, extra: 1 }, 'extra'],
      ['not a host', { username: 'u', password: PASSWORD }, 'host'],
      ['a..b', { username: 'u', password: PASSWORD }, 'host'],
      ['host:99999', { username: 'u', password: PASSWORD }, 'host'],
    ];
    for (const [host, body, field] of cases) {
      const res = await t.http.put(`/v1/registries/${encodeURIComponent(host)}/credentials`).set(admin).send(body);
      expect({ host, field, status: res.status }).toEqual({ host, field, status: 400 });
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
      expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
    }
  });

  it('without QUARANTINE_SECRET_KEY nothing is stored: 503 naming the variable', async () => {
    const noKey = await startApiApp({ db: 2, env: { QUARANTINE_SECRET_KEY: '' } });
    try {
      const res = await noKey.http.put('/v1/registries/registry.example.com/credentials').set(admin).send({ username: 'u', password: PASSWORD });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'service_unavailable', details: [{ field: 'QUARANTINE_SECRET_KEY' }] });
      expect(await noKey.redis.get('q:registry-cred:registry.example.com')).toBeNull();
    } finally {
      await noKey.close();
    }
  });

  it('re-encrypts stored credentials under a new key; a ciphertext moved to another host does not decrypt', async () => {
    const oldBox = new SecretBox(parseKey(TEST_SECRET_KEY));
    const oldRepo = new RegistryCredentialRepository(t.redis, oldBox);
    await oldRepo.put('rotate.example.com', { username: 'u', password: PASSWORD }, 'test');
    const newKey = Buffer.alloc(32, 7);
    const rotated = new RegistryCredentialRepository(t.redis, new SecretBox(newKey, [parseKey(TEST_SECRET_KEY)!]));
    expect(await rotated.reencryptAll()).toMatchObject({ reencrypted: 1, failed: [] });
    expect((await new RegistryCredentialRepository(t.redis, new SecretBox(newKey)).get('rotate.example.com'))?.password).toBe(PASSWORD);
    expect((await rotated.reencryptAll()).reencrypted).toBe(0);
    // Copy the record's envelope to another host: AES-GCM's AAD binds it to rotate.example.com.
    const raw = JSON.parse((await t.redis.get('q:registry-cred:rotate.example.com'))!) as Record<string, string>;
    await t.redis.set('q:registry-cred:moved.example.com', JSON.stringify({ ...raw, registry: 'moved.example.com' }));
    await expect(new RegistryCredentialRepository(t.redis, new SecretBox(newKey)).get('moved.example.com')).rejects.toThrow(/does not authenticate/);
  });
});
