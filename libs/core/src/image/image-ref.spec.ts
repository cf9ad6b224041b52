import { dockerRef, parseImageRef } from './image-ref.js';

describe('parseImageRef', () => {
  const D = `sha256:${'a'.repeat(64)}`;
  it.each([
    ['hello', { repository: 'hello', tag: undefined, registry: undefined }],
    ['quarantine-samples/hello:latest', { repository: 'quarantine-samples/hello', tag: 'latest' }],
    ['localhost:5000/team/app:1.2.3', { registry: 'localhost:5000', repository: 'team/app', tag: '1.2.3' }],
    ['registry.example.com/app', { registry: 'registry.example.com', repository: 'app' }],
    [`app@${D}`, { repository: 'app', digest: D, tag: undefined }],
    [`app:v1@${D}`, { repository: 'app', digest: D, tag: 'v1' }],
    ['a__b/c-d.e:TAG_1', { repository: 'a__b/c-d.e', tag: 'TAG_1' }],
  ])('parses %s', (input, expected) => {
    expect(parseImageRef(input)).toMatchObject(expected);
  });

  it.each([
    ['', /empty/],
    ['Hello', /lower-case/],
    ['a b', /whitespace/],
    ['app@sha256:abc', /digest/],
    ['app:-bad', /tag/],
    ['app/', /lower-case/],
    ['/app', /lower-case/],
    ['a'.repeat(600), /512/],
    ['registry.local:65536/app', /port 65536; a port is 1 to 65535/],
    ['registry.local:99999/team/app:1', /port 99999/],
    ['localhost:0/app', /port 0/],
    ['localhost:08080/app', /port 08080/],
  ])('rejects %s', (input, msg) => {
    expect(() => parseImageRef(input)).toThrow(msg);
  });

  it('rejects non-strings', () => {
    expect(() => parseImageRef(42)).toThrow(/string/);
  });

  it('names the reference Docker resolves locally', () => {
    expect(dockerRef(parseImageRef('hello'))).toBe('hello:latest');
    expect(dockerRef(parseImageRef(`hello@${D}`))).toBe(`hello@${D}`);
    expect(dockerRef(parseImageRef('localhost:5000/x:1'))).toBe('localhost:5000/x:1');
  });

  it('accepts every real port', () => {
    expect(parseImageRef('registry.local:65535/app').registry).toBe('registry.local:65535');
    expect(parseImageRef('localhost:1/app').registry).toBe('localhost:1');
  });
});
