import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { plantFileLures, readContainerFile } from './lure-planter.js';
import { tarFiles } from './tar-files.js';

// Real Docker: lures go in through the archive API, owned by the image user, and never replace
// anything the image (here: the container, before start) already has.
const docker = new Docker();
const made: Docker.Container[] = [];

afterAll(async () => {
  for (const c of made) await c.remove({ force: true }).catch(() => undefined);
});

async function create(image: string): Promise<Docker.Container> {
  const c = await docker.createContainer({ Image: image, Cmd: ['true'], NetworkDisabled: true, Labels: { 'org.quarantine.test': 'lure-planter' } });
  made.push(c);
  return c;
}

/** `mode uid/gid path` of every entry under a path, read back through the archive API. */
function listing(c: Docker.Container, path: string): string[] {
  const out = execFileSync('sh', ['-c', `docker cp ${c.id}:${path} - | tar -tv --numeric-owner`], { encoding: 'utf8' });
  return out.trim().split('\n').map((l) => l.split(/\s+/)).map((f) => `${f[0]} ${f[1]} ${f[f.length - 1]}`);
}

describe('plantFileLures (real Docker)', () => {
  it('plants every lure in the image user home, owned by that user, and the k8s token through the /var/run link', async () => {
    const c = await create('quarantine-samples/debian-base:bookworm');
    const lures = await plantFileLures(c, '', 'app-abc');
    expect(lures.map((l) => `${l.kind} ${l.location}`).sort()).toEqual([
      'aws-credentials /root/.aws/credentials',
      'docker-config /root/.docker/config.json',
      'gcp-service-account /root/.config/gcloud/application_default_credentials.json',
      'git-credentials /root/.git-credentials',
      'k8s-token /var/run/secrets/kubernetes.io/serviceaccount/token',
      'npmrc /root/.npmrc',
      'ssh-key /root/.ssh/id_ed25519',
    ]);
    const token = await readContainerFile(c, '/run/secrets/kubernetes.io/serviceaccount/token');
    expect(token?.toString()).toBe(lures.find((l) => l.kind === 'k8s-token')!.secrets[0]);
    expect(listing(c, '/root/.ssh')).toEqual(expect.arrayContaining(['drwx------ 0/0 .ssh/', '-rw------- 0/0 .ssh/id_ed25519']));
  });

  it('a non-root image user gets them in its home, owned by it', async () => {
    const c = await create('quarantine-samples/user-app:latest'); // USER 1000, home /home/app
    const lures = await plantFileLures(c, '1000', 'h');
    expect(lures.find((l) => l.kind === 'aws-credentials')!.location).toBe('/home/app/.aws/credentials');
    expect(listing(c, '/home/app/.aws')).toEqual(['drwxr-xr-x 1000/1000 .aws/', '-rw------- 1000/1000 .aws/credentials']);
  });

  it('never replaces what is there: an existing file stays, a path under a file is skipped', async () => {
    const c = await create('quarantine-samples/debian-base:bookworm');
    await c.putArchive(
      tarFiles([
        { name: 'root/.npmrc', content: 'registry=https://example.invalid/\n' },
        { name: 'root/.ssh', content: 'not a directory' },
        { name: 'root/.aws/credentials', content: '[default]\n' },
      ]),
      { path: '/' },
    );
    const lures = await plantFileLures(c, '', 'h');
    const kinds = lures.map((l) => l.kind);
    expect(kinds).not.toContain('npmrc');
    expect(kinds).not.toContain('ssh-key');
    expect(kinds).not.toContain('aws-credentials');
    expect(kinds).toContain('git-credentials');
    expect((await readContainerFile(c, '/root/.npmrc'))?.toString()).toBe('registry=https://example.invalid/\n');
    expect((await readContainerFile(c, '/root/.ssh'))?.toString()).toBe('not a directory');
    expect((await readContainerFile(c, '/root/.aws/credentials'))?.toString()).toBe('[default]\n');
  });
});
