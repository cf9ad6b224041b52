import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawEvent } from '../events/event.js';
import { analyzeTrace } from '../pipeline/analyze-trace.js';
import { compileRules } from '../rules/index.js';
import { createFalcoParser, normalizePriority, splitTuple } from './falco-parser.js';
import { isoToNs } from './sensor-events.js';
import { parseText } from './trace-parser.js';

// Fixtures are written from Falco's documented JSON alert format, not captured (Falco cannot run
// here): see __fixtures__/falco/README.md.
const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`./__fixtures__/falco/${name}`, import.meta.url)), 'utf8');
const parse = (text: string) => parseText(createFalcoParser, text);
const real = (events: RawEvent[]) => events.filter((e) => e.hints?.inferred !== true);

describe('falco parser helpers', () => {
  it('reads ISO times to the nanosecond, with Z or an offset', () => {
    expect(isoToNs('2024-05-01T10:00:00.123456789Z')).toBe(Date.parse('2024-05-01T10:00:00Z') * 1e6 + 123456789);
    expect(isoToNs('2024-05-01T12:00:00.5+02:00')).toBe(Date.parse('2024-05-01T10:00:00Z') * 1e6 + 500_000_000);
    expect(isoToNs('yesterday')).toBeNaN();
  });
  it('maps Falco priorities (any case, Info) and splits socket tuples', () => {
    expect(['Critical', 'WARNING', 'Info', 'Informational', 'nonsense'].map(normalizePriority)).toEqual(['critical', 'warning', 'informational', 'informational', 'warning']);
    expect(splitTuple('172.17.0.2:40000->10.66.66.66:4444')).toEqual({ cip: '172.17.0.2', cport: 40000, sip: '10.66.66.66', sport: 4444 });
    expect(splitTuple('/etc/shadow')).toBeUndefined();
  });
});

describe('falco parser on documented-format alerts', () => {
  const { events, stats } = parse(fixture('revshell.jsonl'));

  it('turns each alert into one event carrying the alert, skips the header, counts junk', () => {
    expect(stats.detail.alerts).toBe(4);
    expect(stats.detail.headerLines).toBe(1);
    expect(stats.unparsed).toBe(1);
    expect(stats.unparsedSamples).toEqual(['not json at all']);
    const alerts = events.filter((e) => e.hints?.alert !== undefined);
    expect(alerts.map((e) => [e.type, e.hints!.alert, e.hints!.alertPriority])).toEqual([
      ['connect', 'Outbound connection to a rare port', 'notice'],
      ['dup2', 'Redirect STDOUT/STDIN to Network Connection in Container', 'warning'],
      ['execve', 'Terminal shell in container', 'notice'],
      ['openat', 'Read sensitive file untrusted', 'warning'],
    ]);
    expect(alerts.every((e) => e.source === 'falco' && e.hints!.alertSource === 'falco')).toBe(true);
    expect(alerts[3]!.hints!.alertTags).toBe('maturity_stable,host,container,filesystem,mitre_credential_access,T1555');
    expect(String(alerts[0]!.hints!.alertOutput)).toMatch(/^2024-05-01T10:00:00.1000+.*Notice/);
  });

  it('decodes times, results, sockets and fds from output_fields', () => {
    const [connect, dup2] = real(events);
    expect(connect).toMatchObject({ ts: 1714557600100000000, pid: 41230, tid: 41230, res: 'ENETUNREACH', rawres: -101, args: { fd: 3, addr: '10.66.66.66:4444' } });
    expect(connect!.hints).toMatchObject({ ip: '10.66.66.66', port: 4444 });
    expect(connect!.fd).toEqual({ num: 3, type: 'ipv4', name: '172.17.0.2:40000->10.66.66.66:4444' });
    expect(dup2).toMatchObject({ type: 'dup2', res: 0, args: { oldfd: 3, newfd: 0 } });
  });

  it('names processes the alerts never saw exec: parent and child inferred, real execs kept', () => {
    const inferred = events.filter((e) => e.hints?.inferred === true);
    // docker-init (parent of the first alert) and revshell itself; the real execve renames 41230 to sh.
    // The last alert has no proc.pid/proc.ppid (Falco's default outputs): its process and its parent
    // `sh -i` get synthetic pids, so that parent cannot be linked to pid 41230 (a stated limitation).
    expect(inferred.map((e) => [e.pid, e.args.filename, e.proc?.args])).toEqual([
      [41200, 'docker-init', ['docker-init']],
      [41230, '/revshell', ['/revshell']],
      [expect.any(Number), 'sh', ['sh', '-i']],
      [expect.any(Number), '/bin/cat', ['/bin/cat', '/etc/shadow']],
    ]);
    const exec = real(events).find((e) => e.type === 'execve')!;
    expect(exec).toMatchObject({ args: { filename: '/bin/sh', args: '-i' }, proc: { args: ['/bin/sh', '-i'] } });
    const open = real(events).find((e) => e.type === 'openat')!;
    expect(open.pid).toBeGreaterThanOrEqual(0x40000000); // no proc.pid in that alert: synthetic, stable pid
    expect(open.args).toMatchObject({ name: '/etc/shadow', flags: 'O_RDONLY', dirfd: -100 });
    expect(open.fd).toMatchObject({ type: 'file', name: '/etc/shadow' });
  });

  it('becomes findings through analyzeTrace: Falco\'s rules and ours, with a process tree', async () => {
    const dir = fileURLToPath(new URL('../../../../sandbox-profiles/rules/', import.meta.url));
    const rules = compileRules(readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => ({ name: f, text: readFileSync(dir + f, 'utf8') })));
    async function* lines() { for (const l of fixture('revshell.jsonl').split('\n')) yield l; }
    const out = await analyzeTrace({
      lines: lines(), createParser: createFalcoParser, rules,
      tracker: { sandbox: { containerId: 'c', containerName: 'n', image: 'i', imageRepository: 'i', imageTag: 'latest', imageDigest: '', privileged: false, mounts: [] } },
    });
    const names = out.findings.map((f) => f.rule);
    expect(names).toEqual(expect.arrayContaining(['Read sensitive file untrusted', 'Terminal shell in container', 'Redirect STDOUT/STDIN to Network Connection in Container']));
    // Our own rule sees the same openat of /etc/shadow.
    expect(names).toContain('Password Hash File Read');
    const falco = out.findings.find((f) => f.rule === 'Read sensitive file untrusted')!;
    expect(falco).toMatchObject({ priority: 'warning', count: 1 });
    expect(falco.tags).toEqual(expect.arrayContaining(['T1555', 'source:falco']));
    expect(falco.evidence[0]).toMatchObject({ type: 'openat', source: 'falco', fd: { name: '/etc/shadow' }, proc: { name: 'cat' } });
    expect(out.summary.entrypoint.started).toBe(true);
  });
});
