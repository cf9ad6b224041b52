import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawEvent } from '../events/event.js';
import { StateTracker } from '../state/state-tracker.js';
import { createTraceeParser, openFlagNames, traceeSeverityPriority } from './tracee-parser.js';
import { parseText } from './trace-parser.js';

// Fixtures are written from Tracee's documented JSON formats (legacy trace.Event and v1beta1.Event),
// not captured (Tracee cannot run here): see __fixtures__/tracee/README.md.
const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`./__fixtures__/tracee/${name}`, import.meta.url)), 'utf8');
const parse = (text: string) => parseText(createTraceeParser, text);
const sandbox = { containerId: 'c', containerName: 'n', image: 'i', imageRepository: 'i', imageTag: 'latest', imageDigest: '', privileged: false, mounts: [] };

function track(events: RawEvent[]) {
  const t = new StateTracker({ sandbox });
  const shown = events.map((e) => t.push(e)).filter((c) => c !== undefined).map((c) => ({ ...c!.event, pname: c!.proc.parent?.name }));
  return { shown, summary: t.finish() };
}

describe('tracee helpers', () => {
  it('maps severities (legacy numbers, v1beta1 names) and numeric open flags', () => {
    expect([0, 1, 2, 3, 4, 'HIGH', 'critical', '2', undefined].map(traceeSeverityPriority)).toEqual(
      ['informational', 'notice', 'warning', 'error', 'critical', 'error', 'critical', 'warning', 'warning']);
    expect(openFlagNames(0o1101)).toBe('O_WRONLY|O_CREAT|O_TRUNC');
    expect(openFlagNames(0o2200000)).toBe('O_RDONLY|O_DIRECTORY|O_CLOEXEC');
  });
});

describe('tracee legacy shape', () => {
  const { events, stats } = parse(fixture('legacy.jsonl'));

  it('parses every line, header skipped', () => {
    expect(stats).toMatchObject({ unparsed: 0, lost: 0 });
    expect(stats.detail).toMatchObject({ legacy: 8, headerLines: 1, detections: 1 });
  });

  it('joins the execve entry with its sched_process_exec; forks carry the child host pid', () => {
    expect(events.map((e) => e.type)).toEqual(['execve', 'clone', 'execve', 'openat', 'connect', 'tracee_detection', 'procexit']);
    expect(events[0]).toMatchObject({ pid: 4741, res: 0, args: { filename: '/bin/sh', args: '-c cat /etc/shadow' }, env: ['PATH=/bin'] });
    expect(events[1]!.hints).toMatchObject({ childPid: 4750, childVpid: 8, cloneFlags: 'SIGCHLD' });
    expect(events[2]).toMatchObject({ pid: 4750, args: { filename: '/bin/cat' }, proc: { args: ['cat', '/etc/shadow'] } });
  });

  it('uses Falco argument names, fds, errno names and socket addresses', () => {
    expect(events[3]).toMatchObject({ res: 3, args: { name: '/etc/shadow', flags: 'O_RDONLY|O_LARGEFILE', dirfd: -100, fd: 3 }, fd: { num: 3, type: 'file', name: '/etc/shadow' } });
    expect(events[4]).toMatchObject({ res: 'ENETUNREACH', rawres: -101, args: { fd: 4, addr: '10.66.66.66:3333' }, hints: { ip: '10.66.66.66', port: 3333, family: 'AF_INET' } });
  });

  it('turns a signature into an alert with severity, MITRE id and description', () => {
    expect(events[5]!.hints).toMatchObject({ alert: 'Read sensitive file', alertPriority: 'error', alertSource: 'tracee' });
    expect(String(events[5]!.hints!.alertTags).split(',')).toEqual(expect.arrayContaining(['T1003.008', 'credential-access']));
    expect(events[5]!.args).toMatchObject({ signature: 'TRC-9001', description: 'A sensitive credentials file was read by a process.', path: '/etc/shadow' });
  });

  it('feeds the tracker: wrapper hidden until its exec, process tree, exit code', () => {
    const { shown, summary } = track(events);
    expect(summary.entrypoint).toMatchObject({ started: true, exe: '/bin/sh' });
    const open = shown.find((e) => e.type === 'openat')!;
    expect(open).toMatchObject({ proc: { name: 'cat', args: ['cat', '/etc/shadow'] }, ppid: 4741, pname: 'sh', fd: { name: '/etc/shadow' } });
    expect(summary.processes.find((p) => p.pid === 4750)).toMatchObject({ ppid: 4741, exitCode: 0 });
  });

  it('treats an exec entry never followed by sched_process_exec as failed once the trace reports them', () => {
    const lines = fixture('legacy.jsonl').split('\n');
    const execEntry = lines[1]!.replace('"timestamp":1714557600000000000', '"timestamp":1714557600000800000');
    const { events: ev } = parse([...lines.slice(0, 3), execEntry.replace('/bin/sh', '/nope'), lines[3]!].join('\n'));
    const failed = ev.filter((e) => e.type === 'execve')[1]!;
    expect(failed).toMatchObject({ res: '?', args: { filename: '/nope' } });
  });
});

describe('tracee v1beta1 shape', () => {
  const { events, stats } = parse(fixture('v1beta1.jsonl'));

  it('parses typed data values, RFC 3339 and {seconds,nanos} timestamps, returnValue entries', () => {
    expect(stats).toMatchObject({ unparsed: 0 });
    expect(stats.detail).toMatchObject({ v1beta1: 6, detections: 1 });
    expect(events.map((e) => e.type)).toEqual(['execve', 'memfd_create', 'socket', 'connect', 'tracee_detection', 'procexit']);
    expect(events[0]).toMatchObject({ ts: Date.parse('2024-05-01T10:00:00Z') * 1e6 + 100_000, pid: 5741, args: { filename: '/bin/sh', args: '-c memfd-loader' } });
    expect(events[1]).toMatchObject({ res: 3, args: { name: 'kworker', flags: 0 }, fd: { num: 3, type: 'memfd', name: 'memfd:kworker' } });
    expect(events[2]).toMatchObject({ res: 4, args: { domain: 'AF_INET', type: 'SOCK_STREAM', proto: 0 }, fd: { type: 'ipv4' }, hints: { l4proto: 'tcp' } });
    expect(events[3]).toMatchObject({ res: 'ENETUNREACH', args: { fd: 4, addr: '169.254.169.254:80' } });
    expect(events[5]).toMatchObject({ ts: 1714557600000600000, args: { ret: 0 } });
  });

  it('turns a detection (threat) into an alert', () => {
    expect(events[4]!.hints).toMatchObject({ alert: 'Fileless execution', alertPriority: 'error', alertTags: 'T1620,Reflective Code Loading,Defense Evasion' });
    expect(events[4]!.args).toMatchObject({ signature: 'TRC-105', pathname: 'memfd:kworker' });
  });

  it('tracker sees the connect on an ipv4 socket to the metadata address', () => {
    const { shown, summary } = track(events);
    expect(shown.find((e) => e.type === 'connect')).toMatchObject({ fd: { type: 'ipv4', name: '0.0.0.0:0->169.254.169.254:80' } });
    expect(summary.network).toEqual([expect.objectContaining({ syscall: 'connect', address: '169.254.169.254', port: 80, result: 'ENETUNREACH' })]);
  });

  it('counts lines of neither shape as unparsed', () => {
    const { stats: s } = parse('{"foo":1}\n[1,2]\n{"timestamp":"x","name":"openat","workload":{"process":{}}}');
    expect(s.unparsed).toBe(3);
  });
});
