import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRules } from '../rules/index.js';
import { makeContext } from '../rules/testing.js';
import { lureIndex } from './lure-index.js';

describe('lureIndex and fd.lure', () => {
  const lures = [
    { kind: 'aws-env', location: 'env:AWS_ACCESS_KEY_ID', secrets: ['AKIAAAAAAAAAAAAAAAAA'] },
    { kind: 'aws-credentials', location: '/root/.aws/credentials', secrets: ['x'] },
    { kind: 'k8s-token', location: '/var/run/secrets/kubernetes.io/serviceaccount/token', secrets: ['t'] },
  ];

  it('indexes file lures by path (and /var/run under /run too), never env lures', () => {
    const idx = lureIndex(lures);
    expect([...idx.entries()].sort()).toEqual([
      ['/root/.aws/credentials', 'aws-credentials'],
      ['/run/secrets/kubernetes.io/serviceaccount/token', 'k8s-token'],
      ['/var/run/secrets/kubernetes.io/serviceaccount/token', 'k8s-token'],
    ]);
    expect(lureIndex(undefined).size).toBe(0);
  });

  // The shipped rule files, as a profile loads them (rules/*.yaml in name order).
  const dir = join(process.cwd(), 'sandbox-profiles', 'rules');
  const set = compileRules(['lures.yaml', 'quarantine-rules.yaml'].map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') })));
  const open = (name: string, file: string, withLures = true) =>
    set
      .evaluate(
        makeContext({
          event: { type: 'openat', res: 3, rawres: 3, args: { name: file, flags: 'O_RDONLY' } },
          proc: { name },
          fd: { num: 3, type: 'file', name: file, nameraw: file },
          sandbox: withLures ? { lures: lureIndex(lures) } : {},
        }),
      )
      .map((m) => m.rule + (m.rule === 'Credential Lure Read' ? ` ${/lure=\S+ file=\S+/.exec(m.output)?.[0]}` : ''));

  it('a lure read by an unrelated program is a finding naming the lure; the owning tool and other files are not', () => {
    expect(set.report.filter((r) => r.status === 'error')).toEqual([]);
    expect(open('stealer', '/root/.aws/credentials')).toContain('Credential Lure Read lure=aws-credentials file=/root/.aws/credentials');
    expect(open('cat', '/run/secrets/kubernetes.io/serviceaccount/token')).toContain('Credential Lure Read lure=k8s-token file=/run/secrets/kubernetes.io/serviceaccount/token');
    expect(open('aws', '/root/.aws/credentials').filter((r) => r.startsWith('Credential Lure Read'))).toEqual([]);
    expect(open('stealer', '/root/.aws/config').filter((r) => r.startsWith('Credential Lure Read'))).toEqual([]);
    // A file the image shipped itself (no lure planted there) is not a lure.
    expect(open('stealer', '/root/.aws/credentials', false).filter((r) => r.startsWith('Credential Lure Read'))).toEqual([]);
  });
});
