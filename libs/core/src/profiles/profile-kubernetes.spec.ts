import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProfileError, loadProfiles, parseProfile } from './profile.js';

const dir = mkdtempSync(join(tmpdir(), 'q-prof-k8s-'));
mkdirSync(join(dir, 'rules'));
writeFileSync(join(dir, 'rules', 'a.yaml'), '- list: x\n  items: []\n');
const parse = (text: string) => parseProfile(join(dir, 'k.yaml'), `rules: [rules/a.yaml]\n${text}`, dir);

describe('runtime: kubernetes profiles', () => {
  it('parses the kubernetes block', () => {
    const p = parse(
      [
        'runtime: kubernetes',
        'probe: strace',
        'kubernetes:',
        '  runtimeClassName: gvisor',
        '  namespacePrefix: sbx',
        '  restricted: true',
        '  nodeSelector: {quarantine.io/pool: sandbox}',
        '  tolerations:',
        '    - {key: quarantine.io/sandbox, operator: Exists, effect: NoSchedule}',
        '    - {key: dedicated, value: sandbox, effect: NoExecute, tolerationSeconds: 60}',
      ].join('\n'),
    );
    expect(p.runtime).toBe('kubernetes');
    expect(p.kubernetes).toEqual({
      runtimeClassName: 'gvisor',
      namespacePrefix: 'sbx',
      restricted: true,
      nodeSelector: { 'quarantine.io/pool': 'sandbox' },
      tolerations: [
        { key: 'quarantine.io/sandbox', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'dedicated', operator: 'Equal', value: 'sandbox', effect: 'NoExecute', tolerationSeconds: 60 },
      ],
    });
    expect(parse('runtime: kubernetes\nprobe: falco\n').kubernetes).toEqual({});
    expect(parse('probe: strace\n').kubernetes).toBeUndefined();
  });

  it.each([
    ['runtime: kubernetes\nprobe: ebpf\n', 'probe'],
    ['runtime: runc\nkubernetes: {}\n', 'kubernetes'],
    ['runtime: kubernetes\nkubernetes: {runtimeClass: gvisor}\n', 'kubernetes.runtimeClass'],
    ['runtime: kubernetes\nkubernetes: {runtimeClassName: Gvisor_1}\n', 'kubernetes.runtimeClassName'],
    ['runtime: kubernetes\nkubernetes: {namespacePrefix: a-very-long-prefix-that-eats-the-id}\n', 'kubernetes.namespacePrefix'],
    ['runtime: kubernetes\nkubernetes: {nodeSelector: {pool: 3}}\n', 'kubernetes.nodeSelector.pool'],
    ['runtime: kubernetes\nkubernetes: {nodeSelector: [a]}\n', 'kubernetes.nodeSelector'],
    ['runtime: kubernetes\nkubernetes: {tolerations: [{key: a, effect: Sometimes}]}\n', 'kubernetes.tolerations[0].effect'],
    ['runtime: kubernetes\nkubernetes: {tolerations: [{operator: Equal}]}\n', 'kubernetes.tolerations[0].key'],
    ['runtime: kubernetes\nkubernetes: {tolerations: [{key: a, operator: Exists, value: b}]}\n', 'kubernetes.tolerations[0].value'],
    ['runtime: kubernetes\nkubernetes: {tolerations: [{key: a, tolerationSeconds: 5}]}\n', 'kubernetes.tolerations[0].tolerationSeconds'],
    ['runtime: kubernetes\nkubernetes: {tolerations: [{key: a, efect: NoSchedule}]}\n', 'kubernetes.tolerations[0].efect'],
    ['runtime: kubernetes\nkubernetes: {restricted: yes-please}\n', 'kubernetes.restricted'],
  ])('names the field for %j', (text, field) => {
    try {
      parse(text);
      throw new Error('expected a ProfileError');
    } catch (e) {
      expect(e).toBeInstanceOf(ProfileError);
      expect((e as ProfileError).field).toBe(field);
    }
  });

  it('the shipped kubernetes profile loads', () => {
    const p = loadProfiles(join(process.cwd(), 'sandbox-profiles')).get('kubernetes');
    expect(p).toMatchObject({ runtime: 'kubernetes', probe: 'strace', kubernetes: { namespacePrefix: 'qsbx' } });
  });
});
