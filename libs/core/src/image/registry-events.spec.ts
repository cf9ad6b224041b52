import { RegistryEventError, isRepositoryName, parseRegistryEvents } from './registry-events.js';

const D = `sha256:${'a'.repeat(64)}`;
const ev = (target: Record<string, unknown>, action = 'push', host = 'reg.example:5000') => ({ action, target: { digest: D, repository: 'team/app', mediaType: 'application/vnd.oci.image.manifest.v1+json', tag: 'v1', ...target }, request: { host } });

describe('parseRegistryEvents: Distribution', () => {
  it('keeps tagged image-manifest pushes and says why the rest is ignored', () => {
    const { source, events } = parseRegistryEvents({
      events: [
        ev({}),
        ev({ mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json' }),
        ev({}, 'pull'),
        ev({ mediaType: 'application/octet-stream', tag: undefined }),
        ev({ tag: `sha256-${'b'.repeat(64)}.sig` }),
        ev({ tag: `sha256-${'b'.repeat(64)}.att` }),
        ev({ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' }),
        ev({ tag: undefined }),
        ev({ mediaType: 'application/vnd.in-toto+json' }),
      ],
    }, 100);
    expect(source).toBe('distribution');
    expect(events.map((e) => e.kind)).toEqual(['push', 'push', 'ignored', 'ignored', 'ignored', 'ignored', 'ignored', 'ignored', 'ignored']);
    expect(events[0]).toMatchObject({ registry: 'reg.example:5000', repository: 'team/app', digest: D, tag: 'v1' });
    const reasons = events.filter((e) => e.kind === 'ignored').map((e) => (e as { reason: string }).reason);
    expect(reasons).toEqual([
      'action "pull" is not a push',
      'media type application/octet-stream is not an image manifest (a blob or layer)',
      expect.stringMatching(/signature\/attestation attachment/),
      expect.stringMatching(/signature\/attestation attachment/),
      expect.stringMatching(/is a signature\/attestation/),
      expect.stringMatching(/pushed by digest only/),
      expect.stringMatching(/is a signature\/attestation/),
    ]);
  });

  it('takes the registry from request.host, else from target.url', () => {
    const { events } = parseRegistryEvents({ events: [{ action: 'push', target: { digest: D, repository: 'a/b', tag: 't', mediaType: 'application/vnd.docker.distribution.manifest.v2+json', url: 'http://Reg.Internal:5000/v2/a/b/manifests/sha256:aa' } }] }, 10);
    expect(events[0]).toMatchObject({ kind: 'push', registry: 'reg.internal:5000' });
  });

  it('refuses malformed events naming the field', () => {
    const bad: [unknown, string][] = [
      [[], 'body'],
      [{ events: {} }, 'events'],
      [{ events: [1] }, 'events[0]'],
      [{ events: [{ target: {} }] }, 'events[0].action'],
      [{ events: [{ action: 'push' }] }, 'events[0].target'],
      [{ events: [ev({ digest: 'sha256:xyz' })] }, 'events[0].target.digest'],
      [{ events: [ev({ repository: '../etc' })] }, 'events[0].target.repository'],
      [{ events: [ev({ tag: 'bad tag' })] }, 'events[0].target.tag'],
      [{ events: [ev({}, 'push', 'not a host')] }, 'events[0].request.host'],
      [{ events: [ev({}), ev({}), ev({})] }, 'events'],
    ];
    for (const [body, field] of bad) {
      let err: unknown;
      try {
        parseRegistryEvents(body, 2);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RegistryEventError);
      expect((err as RegistryEventError).field).toBe(field);
    }
  });

  it('repository names: lower-case components, linear on hostile input', () => {
    expect(isRepositoryName('team/sub_team/app.v2-x')).toBe(true);
    for (const bad of ['', 'Team/app', 'a//b', '/a', 'a/', 'a/-b', 'x'.repeat(256)]) expect(isRepositoryName(bad)).toBe(false);
    const start = Date.now();
    expect(isRepositoryName(`${'a-'.repeat(100)}!`)).toBe(false);
    expect(isRepositoryName(`${'a.'.repeat(120)}/`)).toBe(false);
    expect(Date.now() - start).toBeLessThan(50);
  });
});

describe('parseRegistryEvents: Harbor', () => {
  const harbor = (over: Record<string, unknown> = {}, resources: unknown[] = [{ digest: D, tag: '1.0', resource_url: 'harbor.example.com/library/app:1.0' }]) => ({
    type: 'PUSH_ARTIFACT', occur_at: 1, operator: 'admin', event_data: { resources, repository: { name: 'app', namespace: 'library', repo_full_name: 'library/app', repo_type: 'private' } }, ...over,
  });
  it('maps PUSH_ARTIFACT resources to pushes; other types are ignored', () => {
    expect(parseRegistryEvents(harbor(), 10)).toEqual({ source: 'harbor', events: [{ index: 0, kind: 'push', registry: 'harbor.example.com', repository: 'library/app', digest: D, tag: '1.0' }] });
    expect(parseRegistryEvents(harbor({ type: 'DELETE_ARTIFACT' }), 10).events[0]).toMatchObject({ kind: 'ignored' });
    expect(parseRegistryEvents(harbor({}, [{ digest: D, tag: `sha256-${'c'.repeat(64)}.sig`, resource_url: 'h.example/library/app:x' }]), 10).events[0]).toMatchObject({ kind: 'ignored' });
  });
  it('refuses malformed webhooks naming the field', () => {
    expect(() => parseRegistryEvents(harbor({ event_data: null }), 10)).toThrow('event_data: must be an object');
    expect(() => parseRegistryEvents(harbor({}, [{ digest: 'x', resource_url: 'h/a:b' }]), 10)).toThrow('event_data.resources[0].digest');
    expect(() => parseRegistryEvents(harbor({}, [{ digest: D, resource_url: 'https://h/a:b' }]), 10)).toThrow('event_data.resources[0].resource_url');
    expect(() => parseRegistryEvents(harbor({}, Array.from({ length: 11 }, () => ({}))), 10)).toThrow(/at most 10/);
  });
});
