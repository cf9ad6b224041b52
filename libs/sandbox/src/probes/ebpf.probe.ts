import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { access, open, rm, stat, writeFile } from 'node:fs/promises';
import {
  BT_DATA_CAP, BT_MAX_ARGS, BT_MAX_ENV, BT_STRLEN, BT_SYSCALLS, BT_TRACEPOINT_NAME, type BtArg, type BtSyscall,
} from '#analysis/probes/bpftrace-layout';
import { readLines } from '#analysis/probes/trace-parser';
import { COMPAT_SYSCALL } from '#analysis/events/event';
import { type PreparedProbe, type Probe, type ProbeSession, ProbeStartError, type ProbeStats, type ProbeTarget } from './probe.js';
import { buildNativeTracer } from './ebpf-native.js';
import { TraceBudget } from './trace-budget.js';
import { PROBE_UNAVAILABLE_FIELDS } from './probe-fields.js';
import { ensureTracefs } from './tracefs.js';

/**
 * The `ebpf` probe: a tracer on the host, scoped to the sandbox's cgroup (v2) and to the processes
 * of the entrypoint (the container's init, docker-init, is left out), attached while the entrypoint
 * wrapper is held. Two engines print the same records (libs/analysis/src/probes/README.md, bpftrace
 * section), read by one parser: `libbpf` (default; ebpf-native.ts: raw syscall tracepoints, arguments
 * from the saved registers at sys_exit, a BPF ring buffer drained in batches) and `bpftrace` (the
 * program below, EBPF_ENGINE=bpftrace). The bpftrace program: `syscalls:sys_enter_*` saves the
 * arguments per thread, `sys_exit_*` prints them with the result (user memory is read at exit, when
 * the kernel has faulted it in); `sched:sched_process_exec` prints the kernel's filename and the new
 * image's argv/envp (read from the new stack: after a successful execve the old pointers are gone);
 * `sched_process_fork` gives host child pids; `sched_process_exit` the wait status; `raw_syscalls`
 * catches the module syscalls that have no syscall tracepoint here. Output is bpftrace's JSON mode
 * (`-f json`): one object per line with every printf's text escaped, so a path holding a newline
 * cannot forge a record, and lost perf-buffer events arrive as `lost_events` objects.
 */

export interface EbpfProbeOptions {
  /**
   * `libbpf` (default): the compiled tracer of ebpf-native.ts (raw syscall tracepoints, BPF ring
   * buffer read in batches); `bpftrace`: the bpftrace program below (one perf-buffer wake-up per
   * record: ~4.75× on the syscall-heavy benchmark, kept for hosts without clang/libbpf-dev).
   * Both print the same records, read by one parser. The worker passes EBPF_ENGINE (validated in config.ts); default `libbpf`.
   */
  engine?: 'libbpf' | 'bpftrace';
  /** Where the libbpf engine's compiled tracer is cached (default $TMPDIR/quarantine-ebpf). */
  cacheDir?: string;
  binary?: string;
  /** Per-CPU perf ring buffer pages (BPFTRACE_PERF_RB_PAGES). Default 1024 (4 MiB per CPU). */
  perfPages?: number;
  /** Milliseconds to let the tracer drain its buffers after the sample ends, before SIGINT. Default 300 (bpftrace), 0 (libbpf). */
  drainMs?: number;
  /** How long to wait for bpftrace to exit after SIGINT before SIGKILL (it detaches every probe first). Default 30 s. */
  exitTimeoutMs?: number;
  /** Unified cgroup hierarchy mount (default: /sys/fs/cgroup/unified if present, else /sys/fs/cgroup). */
  cgroupRoot?: string;
  /** Also watch init_module/finit_module/delete_module through raw_syscalls (fires on every host syscall). Default true. */
  moduleSyscalls?: boolean;
  /**
   * libbpf engine: load the program while the sandbox is being created (`prepare`), so attaching
   * only hands the sandbox's cgroup to a loaded tracer. Default true (EBPF_PRELOAD).
   */
  preload?: boolean;
  /** Seconds a prepared tracer waits for its sandbox before it exits by itself. Default 120. */
  standbySeconds?: number;
}

export interface BpftraceProgramOptions {
  /** Absolute path of the sandbox's cgroup directory (`/sys/fs/cgroup/unified/docker/<id>`). */
  cgroupDir: string;
  /** Host pid of the container's init, left out (docker-init); 0 to keep every process of the cgroup. */
  excludePid: number;
  /** Wall clock minus CLOCK_MONOTONIC, in ns, printed in the `B` record so the parser can give epoch timestamps. */
  epochOffsetNs: bigint;
  moduleSyscalls?: boolean;
}

const CLONE_FAMILY = new Set(['clone', 'clone3', 'fork', 'vfork']);

function quoteBt(s: string): string {
  if (/["\\\n]/.test(s)) throw new Error(`unsupported character in bpftrace string: ${JSON.stringify(s)}`);
  return `"${s}"`;
}

/** The bpftrace program text (bpftrace 0.17 syntax). Exported for tests and for the README. */
export function buildBpftraceProgram(o: BpftraceProgramOptions): string {
  const filter = `cgroup == cgroupid(${quoteBt(o.cgroupDir)})${o.excludePid > 0 ? ` && pid != ${o.excludePid}` : ''}`;
  const out: string[] = [];
  out.push(`BEGIN { printf("B\\t1\\t%lld\\t${o.epochOffsetNs.toString()}\\n", nsecs); }`);
  const raw: { sc: BtSyscall; idx: number }[] = [];
  BT_SYSCALLS.forEach((sc, i) => {
    const idx = i + 1;
    if (sc.rawNr !== undefined) {
      if (o.moduleSyscalls !== false) raw.push({ sc, idx });
      return;
    }
    const tp = BT_TRACEPOINT_NAME[sc.name] ?? sc.name;
    out.push(`tracepoint:syscalls:sys_enter_${tp} /${filter}/ {\n${enterBody(sc, idx, (f) => `args->${f}`)}\n}`);
    if (sc.noReturn) return;
    out.push(`tracepoint:syscalls:sys_exit_${tp} /${filter}/ {\n${exitBody(sc, idx)}\n}`);
  });
  if (raw.length > 0) {
    const ids = raw.map((r) => `args->id == ${r.sc.rawNr}`).join(' || ');
    const argExpr = (f: string): string => `args->args[${f.slice(3)}]`;
    out.push(`tracepoint:raw_syscalls:sys_enter /${filter} && (${ids})/ {\n${raw.map((r) => `  if (args->id == ${r.sc.rawNr}) {\n${enterBody(r.sc, r.idx, argExpr)}\n  }`).join('\n')}\n}`);
    out.push(`tracepoint:raw_syscalls:sys_exit /${filter} && (${ids})/ {\n${raw.map((r) => `  if (args->id == ${r.sc.rawNr}) {\n${exitBody(r.sc, r.idx)}\n  }`).join('\n')}\n}`);
  }
  const execveat = BT_SYSCALLS.findIndex((s) => s.name === 'execveat') + 1;
  out.push(`tracepoint:sched:sched_process_fork /${filter}/ {
  @child[tid] = args->child_pid;
  printf("F\\t%lld\\t%d\\t%d\\t%d\\t%llu\\n", nsecs, pid, tid, args->child_pid, @cf[tid]);
}`);
  // Four programs on sched_process_exec (each under the 512-byte BPF stack), run in this order;
  // they share the record's timestamp through @xt.
  out.push(`tracepoint:sched:sched_process_exec /${filter}/ {
  $o = args->old_pid; $t = @xt[$o]; if ($t == 0) { $t = nsecs; @xt[$o] = $t; }
  printf("S\\t%d\\t%lld\\tfilename\\t%s\\n", $o, $t, str(args->filename));
}`);
  out.push(`tracepoint:sched:sched_process_exec /${filter}/ {
  $o = args->old_pid; $t = @xt[$o];
  $sp = curtask->mm->start_stack; $argc = *(uint64*)uptr($sp); $p = $sp + 8; $i = (uint64)0;
  while ($i < $argc && $i < ${BT_MAX_ARGS}) { printf("S\\t%d\\t%lld\\targv\\t%s\\n", $o, $t, str(uptr(*(uint64*)uptr($p)))); $i += 1; $p += 8; }
}`);
  out.push(`tracepoint:sched:sched_process_exec /${filter}/ {
  $o = args->old_pid; $t = @xt[$o];
  $sp = curtask->mm->start_stack; $argc = *(uint64*)uptr($sp); $p = $sp + 8 * ($argc + 2); $n = (uint64)0;
  $e = *(uint64*)uptr($p);
  while ($e != 0 && $n < ${BT_MAX_ENV}) { printf("S\\t%d\\t%lld\\tenv\\t%s\\n", $o, $t, str(uptr($e))); $p += 8; $n += 1; $e = *(uint64*)uptr($p); }
  @xm[$o] = $e != 0 ? 1 : 0;
}`);
  out.push(`tracepoint:sched:sched_process_exec /${filter}/ {
  $o = args->old_pid; $t = @xt[$o]; $a = @a[$o];
  $argc = *(uint64*)uptr(curtask->mm->start_stack);
  printf("X\\t%lld\\t%d\\t%d\\t%d\\t%d\\t%llu\\t%llu\\t%llu\\n", $t, pid, $o, $a.0 == ${execveat} ? 1 : 0, (int32)$a.1, $a.3, $argc, @xm[$o]);
  delete(@a[$o]); delete(@xt[$o]); delete(@xm[$o]);
}`);
  out.push(`tracepoint:sched:sched_process_exit /${filter}/ {
  printf("Z\\t%lld\\t%d\\t%d\\t%d\\n", nsecs, pid, tid, curtask->exit_code);
  delete(@a[tid]); delete(@cf[tid]); delete(@child[tid]); delete(@xt[tid]); delete(@xm[tid]);
}`);
  out.push(`END { clear(@a); clear(@cf); clear(@child); clear(@xt); clear(@xm); printf("E\\t%lld\\n", nsecs); }`);
  return out.join('\n') + '\n';
}

/** Values saved at sys_enter: the table's fields and their length fields, in order (≤ 6). */
function savedFields(sc: BtSyscall): string[] {
  const fields: string[] = [];
  for (const arg of sc.args) {
    if (!fields.includes(arg.field)) fields.push(arg.field);
    if (arg.len !== undefined && !fields.includes(arg.len)) fields.push(arg.len);
  }
  if (fields.length > 6) throw new Error(`${sc.name}: more than 6 saved values`);
  return fields;
}

function enterBody(sc: BtSyscall, idx: number, expr: (field: string) => string): string {
  if (sc.noReturn) {
    const fmt = sc.args.map(() => '\\t%lld').join('');
    const vals = sc.args.map((x) => `, (int64)${expr(x.field)}`).join('');
    return `  printf("Y\\t${sc.name}\\t%lld\\t%d\\t%d\\t?${fmt}\\n", nsecs, pid, tid${vals});`;
  }
  const fields = savedFields(sc);
  const vals = fields.map((f) => {
    const arg = sc.args.find((x) => x.field === f);
    if (arg?.kind === 'clone3') return `*(uint64*)uptr(${expr(f)})`;
    return `(uint64)${expr(f)}`;
  });
  while (vals.length < 6) vals.push('(uint64)0');
  const lines = [`  @a[tid] = ((uint64)${idx}, ${vals.join(', ')});`];
  if (sc.name === 'clone') lines.push(`  @cf[tid] = (uint64)${expr('clone_flags')};`);
  if (sc.name === 'clone3') lines.push(`  @cf[tid] = *(uint64*)uptr(${expr('uargs')});`);
  if (sc.name === 'fork') lines.push('  @cf[tid] = (uint64)17;');
  if (sc.name === 'vfork') lines.push('  @cf[tid] = (uint64)0x4111;');
  // execveat's pathname is printed now, under the timestamp its exec or failure record will carry.
  if (sc.name === 'execveat') lines.push(`  $t = nsecs; @xt[tid] = $t; printf("S\\t%d\\t%lld\\tpathname\\t%s\\n", tid, $t, str(uptr(${expr('filename')})));`);
  return lines.join('\n');
}

function exitBody(sc: BtSyscall, idx: number): string {
  const fields = savedFields(sc);
  const v = (f: string): string => `$a.${fields.indexOf(f) + 1}`;
  const pre: string[] = [];
  const fmt: string[] = [];
  const vals: string[] = [];
  const sRec = (name: string, conv: string, value: string): string => `printf("S\\t%d\\t%lld\\t${name}\\t${conv}\\n", tid, $t, ${value});`;
  sc.args.forEach((arg: BtArg, k) => {
    const x = v(arg.field);
    const sock = (base: string, len: string, name: string): void => {
      pre.push(`$sa${k} = ${base}; $fam${k} = *(uint16*)uptr($sa${k});`);
      pre.push(`if ($fam${k} == 1) { if (*(uint8*)uptr($sa${k} + 2) == 0) { $l${k} = ${len}; if ($l${k} > 66) { $l${k} = 66; } if ($l${k} > 3) { ${sRec(`${name}.abstract`, '%r', `buf(uptr($sa${k} + 3), $l${k} - 3)`)} } } else { ${sRec(`${name}.path`, '%s', `str(uptr($sa${k} + 2))`)} } }`);
      fmt.push('%u', '%u', '%u', '%llx', '%llx');
      vals.push(`$fam${k}`, `*(uint16*)uptr($sa${k} + 2)`, `*(uint32*)uptr($sa${k} + 4)`, `*(uint64*)uptr($sa${k} + 8)`, `*(uint64*)uptr($sa${k} + 16)`);
    };
    const data = (base: string, len: string): void => {
      pre.push(`$n${k} = ${len}; if ($n${k} > ${BT_DATA_CAP}) { $n${k} = ${BT_DATA_CAP}; } if ($n${k} > 0) { ${sRec(arg.name, '%r', `buf(uptr(${base}), $n${k})`)} }`);
    };
    switch (arg.kind) {
      case 'str': if (sc.name === 'execveat') break; pre.push(sRec(arg.name, '%s', `str(uptr(${x}))`)); break;
      case 'data': data(x, v(arg.len!)); break;
      case 'iov': pre.push(`$iv${k} = ${x};`); data(`*(uint64*)uptr($iv${k})`, `*(uint64*)uptr($iv${k} + 8)`); break;
      case 'sockaddr': sock(x, v(arg.len!), arg.name); break;
      case 'peer': sock(`(args->ret >= 0 ? ${x} : 0)`, `*(uint32*)uptr(${v(arg.len!)})`, arg.name); break;
      case 'msghdr':
        pre.push(`$m${k} = ${x}; $iv${k} = *(uint64*)uptr($m${k} + 16);`);
        sock(`*(uint64*)uptr($m${k})`, `*(uint32*)uptr($m${k} + 8)`, arg.name);
        data(`*(uint64*)uptr($iv${k})`, `*(uint64*)uptr($iv${k} + 8)`);
        break;
      case 'fdpair': fmt.push('%d', '%d'); vals.push(`*(int32*)uptr(${x})`, `*(int32*)uptr(${x} + 4)`); break;
      case 'openhow': fmt.push('%llu', '%llu', '%llu'); vals.push(`*(uint64*)uptr(${x})`, `*(uint64*)uptr(${x} + 8)`, `*(uint64*)uptr(${x} + 16)`); break;
      case 'fd': fmt.push('%d'); vals.push(`(int32)${x}`); break;
      case 'int': fmt.push('%lld'); vals.push(`(int64)${x}`); break;
      default: fmt.push('%llu'); vals.push(x);
    }
  });
  if (CLONE_FAMILY.has(sc.name)) { fmt.push('%d'); vals.push('@child[tid]'); }
  const fmtText = fmt.map((f) => `\\t${f}`).join('');
  const valText = vals.map((x) => `, ${x}`).join('');
  const main = `printf("Y\\t${sc.name}\\t%lld\\t%d\\t%d\\t%lld${fmtText}\\n", $t, pid, tid, args->ret${valText});`;
  const orphan = `printf("Q\\t${sc.name}\\t%lld\\t%d\\t%d\\t%lld\\n", nsecs, pid, tid, args->ret);`;
  const cleanup = CLONE_FAMILY.has(sc.name) ? ' delete(@child[tid]); delete(@cf[tid]);' : sc.name === 'execveat' ? ' delete(@xt[tid]);' : '';
  const body = [sc.name === 'execveat' ? '$t = @xt[tid];' : '$t = nsecs;', ...pre, main].map((l) => `    ${l}`).join('\n');
  const matched = `  $a = @a[tid]; delete(@a[tid]);\n  if ($a.0 == ${idx}) {\n${body}\n  } else {\n    ${orphan}\n  }\n ${cleanup}`;
  // The child's side of clone/fork (returns 0) is not a call of its own: its first event carries the hints.
  if (CLONE_FAMILY.has(sc.name)) return `  if (args->ret != 0) {\n${matched}\n  }`;
  // A successful execve is reported by sched_process_exec (the old memory is gone by now).
  if (sc.name === 'execve' || sc.name === 'execveat') return `  if (args->ret < 0) {\n${matched}\n  } else { delete(@a[tid]);${cleanup} }`;
  return matched;
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

/** Wall clock minus CLOCK_MONOTONIC (bpftrace's nsecs), in ns. */
function epochOffsetNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
}

export class EbpfProbe implements Probe {
  readonly name = 'ebpf';
  readonly attachesToProcess = true;
  /**
   * Every field (probe-fields.ts; loginuid comes from the sandbox). Approximate: fd names of
   * descriptors inherited from before the trace (no /proc annotation: the tracker knows fds it saw
   * opened, and stdio as inherited); write buffers are captured up to 128 bytes. Strings: the
   * libbpf engine reads paths up to PATH_MAX and argv/env areas up to 12 KiB each, the bpftrace
   * engine 127 bytes and 20 entries; what either cuts is marked on the event (rules/truncation.ts).
   */
  readonly unavailableFields: ReadonlySet<string> = new Set(PROBE_UNAVAILABLE_FIELDS.ebpf);
  /**
   * The syscalls the program traces (BT_SYSCALLS), the process exits it reports, and (libbpf engine
   * only) 32-bit ABI use: under the bpftrace engine the ABI rule is reported probe-blind.
   */
  readonly eventTypes: ReadonlySet<string>;
  private readonly binary: string;
  readonly engine: 'libbpf' | 'bpftrace';
  private readonly perfPages: number;
  private readonly drainMs: number;
  private readonly exitTimeoutMs: number;

  constructor(private readonly options: EbpfProbeOptions = {}) {
    this.binary = options.binary ?? 'bpftrace';
    this.engine = options.engine ?? 'libbpf';
    this.eventTypes = new Set([...BT_SYSCALLS.map((sc) => sc.name), 'procexit', ...(this.engine === 'libbpf' ? [COMPAT_SYSCALL] : [])]);
    // bpftrace needs time to read its perf buffers before SIGINT; the libbpf tracer detaches, then
    // drains its ring buffer to the end on SIGINT (every record of an exited sample is already in it).
    this.drainMs = options.drainMs ?? (this.engine === 'libbpf' ? 0 : 300);
    this.perfPages = options.perfPages ?? 1024;
    this.exitTimeoutMs = options.exitTimeoutMs ?? 30_000;
  }

  /** The sandbox's cgroup directory and the pid left out (docker-init), checked. */
  async scopeOf(target: ProbeTarget): Promise<{ cgroupDir: string; excludePid: number }> {
    if (!target.hostPid) throw new ProbeStartError('ebpf needs the held entrypoint (sandbox created with hold)');
    if (!target.cgroupPath) throw new ProbeStartError('ebpf needs the sandbox cgroup v2 path');
    const root = this.options.cgroupRoot ?? ((await exists('/sys/fs/cgroup/unified/cgroup.procs')) ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup');
    const cgroupDir = `${root}${target.cgroupPath}`;
    if (/[\t\n]/.test(cgroupDir)) throw new ProbeStartError(`ebpf: unsupported cgroup path ${JSON.stringify(cgroupDir)}`);
    if (!(await exists(cgroupDir))) throw new ProbeStartError(`ebpf: cgroup ${cgroupDir} does not exist`);
    return { cgroupDir, excludePid: target.initPid !== target.hostPid ? target.initPid : 0 };
  }

  /**
   * The libbpf engine, pre-loaded (EBPF_PRELOAD, default on): the loader starts now, loads and
   * attaches the program with an empty scope (it matches nothing) and waits on stdin; `attach` writes
   * the sandbox's cgroup and excluded pid to it and resolves once the scope is set and the B record
   * written, so the first-syscall guarantee is the same as a tracer started for the sandbox. A
   * prepared tracer whose sandbox never comes is stopped by `discard`, by the end of its stdin (the
   * worker died) or by itself after `standbySeconds`. The bpftrace engine has nothing to prepare.
   */
  prepare(tracePath: string, opts: { budgetBytes: number }): PreparedProbe {
    if (this.engine !== 'libbpf' || this.options.preload === false) {
      return { attach: (target) => this.attach(target, tracePath, opts), discard: async () => undefined };
    }
    return new PreloadedTracer(this, tracePath, opts.budgetBytes, {
      cacheDir: this.options.cacheDir, drainMs: this.drainMs, exitTimeoutMs: this.exitTimeoutMs, standbySeconds: this.options.standbySeconds ?? 120,
    });
  }

  async attach(target: ProbeTarget, tracePath: string, opts: { budgetBytes: number }): Promise<ProbeSession> {
    const { cgroupDir, excludePid } = await this.scopeOf(target);
    if (this.engine === 'libbpf') return this.attachNative(cgroupDir, excludePid, tracePath, opts.budgetBytes);
    // bpftrace resolves `tracepoint:syscalls:*` through tracefs, which a freshly booted machine has not mounted.
    await ensureTracefs().catch((e: Error) => {
      throw new ProbeStartError(`ebpf (bpftrace engine): ${e.message}`);
    });
    const program = buildBpftraceProgram({
      cgroupDir,
      excludePid,
      epochOffsetNs: epochOffsetNs(),
      moduleSyscalls: this.options.moduleSyscalls,
    });
    const programPath = `${tracePath}.bt`;
    await writeFile(programPath, program, { mode: 0o600 });
    const fh = await open(tracePath, 'w', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(this.binary, ['-f', 'json', programPath], {
        stdio: ['ignore', fh.fd, 'pipe'],
        env: {
          ...process.env,
          BPFTRACE_STRLEN: String(BT_STRLEN),
          BPFTRACE_PERF_RB_PAGES: String(this.perfPages),
          BPFTRACE_MAP_KEYS_MAX: '65536',
          BPFTRACE_MAX_PROBES: '1024',
        },
      });
    } finally {
      await fh.close();
    }
    const session = new EbpfSession(child, tracePath, opts.budgetBytes, this.drainMs, this.exitTimeoutMs);
    try {
      await session.waitAttached(30_000);
    } catch (e) {
      await session.kill();
      throw e;
    } finally {
      await rm(programPath, { force: true });
    }
    return session;
  }

  private async attachNative(cgroupDir: string, excludePid: number, tracePath: string, budgetBytes: number): Promise<ProbeSession> {
    let tracer;
    try {
      tracer = await buildNativeTracer({ cacheDir: this.options.cacheDir });
    } catch (e) {
      throw new ProbeStartError((e as Error).message);
    }
    const fh = await open(tracePath, 'w', 0o600);
    let child: ChildProcess;
    try {
      // fd 3: the loader's status lines ("attached"), so nothing polls the trace file.
      child = spawn(tracer.loader, [tracer.object, cgroupDir, String(excludePid), epochOffsetNs().toString()], { stdio: ['ignore', fh.fd, 'pipe', 'pipe'] });
    } finally {
      await fh.close();
    }
    const session = new EbpfSession(child, tracePath, budgetBytes, this.drainMs, this.exitTimeoutMs, 'the ebpf tracer');
    try {
      await session.waitStatus('attached', 30_000);
    } catch (e) {
      await session.kill();
      throw e;
    }
    return session;
  }
}

class EbpfSession implements ProbeSession {
  private stderr = '';
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;
  private done = false;
  private readonly budget: TraceBudget;
  private spawnError?: Error;
  /** Status lines the libbpf loader wrote on fd 3 ("loaded", "attached"). */
  private readonly status = new Set<string>();
  private statusWaiters: (() => void)[] = [];

  constructor(
    private readonly child: ChildProcess,
    readonly tracePath: string,
    budgetBytes: number,
    private readonly drainMs: number,
    private readonly exitTimeoutMs: number,
    private readonly what = 'bpftrace',
  ) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (this.stderr.length < 16_384) this.stderr += d;
    });
    const statusPipe = child.stdio[3] as Readable | null | undefined;
    if (statusPipe) {
      let buf = '';
      statusPipe.setEncoding('utf8');
      statusPipe.on('data', (d: string) => {
        buf += d;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          if (this.status.size < 8) this.status.add(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
        if (buf.length > 256) buf = '';
        this.wakeStatusWaiters();
      });
      statusPipe.on('error', () => undefined);
    }
    this.exited = new Promise((resolve) => {
      child.once('error', (e) => { this.spawnError = e; this.done = true; resolve(); this.wakeStatusWaiters(); });
      child.once('exit', (code, sig) => { this.exitCode = code; this.exitSignal = sig; this.done = true; resolve(); this.wakeStatusWaiters(); });
    });
    this.budget = new TraceBudget(tracePath, budgetBytes);
  }

  onBudgetExceeded(cb: () => void): void {
    this.budget.onExceeded(cb);
  }

  private wakeStatusWaiters(): void {
    const w = this.statusWaiters;
    this.statusWaiters = [];
    for (const f of w) f();
  }

  /** Resolves once the libbpf loader reported `word` on its status pipe (no polling); throws if it exits first. */
  async waitStatus(word: 'loaded' | 'attached', timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const doing = word === 'loaded' ? 'loading its program' : 'attaching';
    for (;;) {
      if (this.status.has(word)) return;
      if (this.spawnError) throw new ProbeStartError(`${this.what} could not start: ${this.spawnError.message}`);
      if (this.done) throw new ProbeStartError(`${this.what} exited before ${doing} (code ${this.exitCode}${this.exitSignal ? `, ${this.exitSignal}` : ''}): ${this.errorText()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new ProbeStartError(`${this.what} did not finish ${doing} within ${timeoutMs} ms: ${this.errorText()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.statusWaiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Standby loader: hands it the sandbox's scope (one line on stdin). */
  sendScope(line: string): void {
    this.child.stdin?.on('error', () => undefined);
    this.child.stdin?.end(line);
  }

  /** Resolves once the BEGIN record is in the trace: bpftrace runs BEGIN after attaching every probe. */
  async waitAttached(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.spawnError) throw new ProbeStartError(`${this.what} could not start: ${this.spawnError.message}`);
      if (this.done) throw new ProbeStartError(`${this.what} exited before attaching (code ${this.exitCode}): ${this.errorText()}`);
      if (await this.sawBegin()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new ProbeStartError(`${this.what} did not attach within ${timeoutMs} ms: ${this.errorText()}`);
  }

  private async sawBegin(): Promise<boolean> {
    const fh = await open(this.tracePath, 'r').catch(() => undefined);
    if (!fh) return false;
    try {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead).toString('utf8').includes('"data": "B\\t1\\t');
    } finally {
      await fh.close();
    }
  }

  private errorText(): string {
    return this.stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('RLIMIT_MEMLOCK')).join('\n').trim().slice(0, 1000);
  }


  async kill(): Promise<void> {
    if (this.done) {
      this.budget.stop();
      return;
    }
    this.child.kill('SIGINT');
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, this.exitTimeoutMs))]);
    if (!this.done) this.child.kill('SIGKILL');
    await this.exited;
    this.budget.stop();
  }

  /**
   * The libbpf tracer finishes by itself, cleanly (detach, drain the ring buffer, END record, code 0),
   * when the sandbox's cgroup is removed: every process it could trace is gone, so the trace is
   * complete. This happens when the sandbox ends (window, kill) a little before stop() is called.
   */
  private endedWithSandbox(): boolean {
    return this.exitCode === 0 && !this.exitSignal && this.errorText().includes('removed; stopping');
  }

  /** The sample has ended: let bpftrace drain, SIGINT it (END prints `E`), SIGKILL if it hangs. */
  async stop(graceMs: number): Promise<ProbeStats> {
    let stopError: string | undefined;
    if (!this.done) {
      await new Promise((r) => setTimeout(r, this.drainMs));
      this.child.kill('SIGINT');
      // bpftrace detaches every probe before END runs: ~8 s for the ~170 probes on this VM.
      const waitMs = Math.max(graceMs, this.exitTimeoutMs);
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, waitMs))]);
      if (!this.done) {
        this.child.kill('SIGKILL');
        stopError = `${this.what} did not exit ${waitMs} ms after SIGINT; killed`;
        await this.exited;
      }
    } else if (!this.endedWithSandbox()) {
      stopError = `${this.what} exited before the sample ended (code ${this.exitCode}${this.exitSignal ? `, ${this.exitSignal}` : ''}): ${this.errorText()}`;
    }
    this.budget.stop();
    const scan = await scanTrace(this.tracePath);
    const size = (await stat(this.tracePath).catch(() => undefined))?.size ?? 0;
    if (!stopError && !scan.ended) stopError = `${this.what}: output has no END record`;
    if (!stopError && this.exitCode !== 0) stopError = `${this.what} exited with code ${this.exitCode}: ${this.errorText()}`;
    return {
      probe: 'ebpf',
      records: scan.records,
      bytes: size,
      lost: scan.lost,
      stopError,
      complete: stopError === undefined && !this.budget.exceeded,
      exitCode: this.exitCode,
      budgetExceeded: this.budget.exceeded,
    };
  }
}

/** A libbpf tracer loaded before its sandbox exists (EbpfProbe.prepare). */
class PreloadedTracer implements PreparedProbe {
  private readonly ready: Promise<EbpfSession>;
  private state: 'waiting' | 'attaching' | 'attached' | 'discarded' = 'waiting';

  constructor(
    private readonly probe: EbpfProbe,
    private readonly tracePath: string,
    private readonly budgetBytes: number,
    private readonly o: { cacheDir?: string; drainMs: number; exitTimeoutMs: number; standbySeconds: number },
  ) {
    this.ready = this.load();
    this.ready.catch(() => undefined);
  }

  private async load(): Promise<EbpfSession> {
    let tracer;
    try {
      tracer = await buildNativeTracer({ cacheDir: this.o.cacheDir });
    } catch (e) {
      throw new ProbeStartError((e as Error).message);
    }
    if (this.state === 'discarded') throw new ProbeStartError('the prepared ebpf tracer was discarded');
    const fh = await open(this.tracePath, 'w', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(tracer.loader, [tracer.object, '--standby', String(this.o.standbySeconds)], { stdio: ['pipe', fh.fd, 'pipe', 'pipe'] });
    } finally {
      await fh.close();
    }
    const session = new EbpfSession(child, this.tracePath, this.budgetBytes, this.o.drainMs, this.o.exitTimeoutMs, 'the ebpf tracer');
    try {
      await session.waitStatus('loaded', 30_000);
    } catch (e) {
      await session.kill();
      throw e;
    }
    return session;
  }

  async attach(target: ProbeTarget): Promise<ProbeSession> {
    if (this.state !== 'waiting') throw new ProbeStartError(`the prepared ebpf tracer is ${this.state === 'discarded' ? 'discarded' : 'already attached'}`);
    this.state = 'attaching';
    let session: EbpfSession | undefined;
    try {
      const { cgroupDir, excludePid } = await this.probe.scopeOf(target);
      session = await this.ready;
      session.sendScope(`${cgroupDir}\t${excludePid}\t${epochOffsetNs().toString()}\n`);
      await session.waitStatus('attached', 30_000);
    } catch (e) {
      this.state = 'waiting';
      await this.discard();
      throw e;
    }
    this.state = 'attached';
    return session;
  }

  async discard(): Promise<void> {
    if (this.state === 'attached' || this.state === 'discarded') return;
    this.state = 'discarded';
    const session = await this.ready.catch(() => undefined);
    await session?.kill();
    await rm(this.tracePath, { force: true });
  }
}

/** Counts printf records and the events bpftrace reports lost (`lost_events` objects) in a JSON trace. */
export async function scanTrace(path: string): Promise<{ records: number; lost: number; ended: boolean }> {
  let records = 0;
  let lost = 0;
  let ended = false;
  const stream = createReadStream(path);
  try {
    for await (const line of readLines(stream)) {
      if (line.startsWith('{"type": "printf"')) {
        records++;
        if (line.startsWith('{"type": "printf", "data": "E\\t')) ended = true;
      } else if (line.startsWith('{"type": "lost_events"')) {
        const m = /"events":\s*(\d+)/.exec(line);
        lost += m ? Number(m[1]) : 1;
      }
    }
  } catch {
    // missing trace: zero records
  }
  return { records, lost, ended };
}
