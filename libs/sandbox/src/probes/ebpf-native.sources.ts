/**
 * C sources of the `ebpf` probe's libbpf engine, compiled on the host at first use (clang for the
 * kernel program, cc + libbpf for the loader; see ebpf-native.ts). Kept as TypeScript strings so
 * the build ships them without an asset step; `String.raw` keeps every backslash as written.
 */

/** Types and constants shared by the kernel program and the loader. */
export const DESC_H = String.raw`/* Shared by the kernel program and the loader of Quarantine's ebpf probe (libbpf engine). */
#ifndef Q_DESC_H
#define Q_DESC_H
typedef unsigned long long u64; typedef long long s64; typedef unsigned int u32; typedef unsigned short u16; typedef unsigned char u8;
#define MAX_NR 512
/* Per-CPU record buffer (a per-CPU array value is at most 32 KiB). Slots start in its first half. */
#define SCRATCH 32768
#define SLOT_MAX 128
/* Paths and other strings: PATH_MAX, so a padded path (/./././…/etc/shadow) is read whole. */
#define STR_MAX 4096
/* argv and environment areas of an exec, each; longer ones are cut and reported cut. */
#define BLOB_MAX 12288
#define BLOB_MASK 16383
#define OFF_MASK ((SCRATCH / 2 - 1) & ~7)
#define RINGBUF_BYTES (16 << 20)
#define NX 10
struct qcfg { u64 wake; };
/* The sandbox in scope, written by the loader after load and attach (the pre-loaded standby mode):
 * cgroup 0 matches nothing. */
struct qscope { u64 cgroup; u64 exclude; };
/* Syscalls whose entry the program watches (exit, exit_group, execve, execveat, clone, clone3, fork, vfork). */
#define ENTER_NR_1 60
#define ENTER_NR_2 231
#define ENTER_NR_3 59
#define ENTER_NR_4 322
#define ENTER_NR_5 56
#define ENTER_NR_6 435
#define ENTER_NR_7 57
#define ENTER_NR_8 58
/* Syscall ABIs other than x86_64: i386 compat (int 0x80, user code segment 0x23) and x32 (nr | X32_BIT). */
#define USER32_CS 0x23
#define USER_CS 0x33
#define X32_BIT 0x40000000ull
#define ABI_I386 1
#define ABI_X32 2
/* The syscall set (every call of the scope, traced or not): numbers per ABI (x86_64, i386, x32), x32's
 * own calls reaching 547. Element abi * SET_NR + nr of the used map. */
#define SET_NR 1024
#define SET_ABIS 3
enum { K_NUM, K_STR, K_DATA, K_IOV, K_SOCK, K_PEER, K_MSGHDR, K_FDPAIR, K_OPENHOW, K_CLONE3 };
enum { W_U64, W_S32, W_U32, W_U16 };
enum { SUB_STR, SUB_DATA, SUB_SOCK, SUB_FILENAME, SUB_ARGV, SUB_ENV };
#define F_ENTER 1
#define F_NORETURN 2
#define F_EXEC 4
#define F_EXECAT 8
#define F_CLONE 16
#define F_CLONE3 32
#define F_FORK 64
#define F_VFORK 128
struct scarg { u8 kind, pos, lenpos, width; };
struct scdesc { u16 idx; u8 nargs; u8 flags; struct scarg a[6]; };
/* One ring buffer record: this header, then nslot slots (8-byte aligned). */
struct rec { u8 type; u8 nslot; u16 sc; u32 pid; u32 tid; u32 pad; u64 ts; s64 ret; u64 a[6]; u64 x[NX]; };
struct slot { u8 argi; u8 sub; u16 pad; u32 len; u8 b[]; };
#endif
`;

/** The kernel program: raw syscall tracepoints (arguments read from the saved user registers at
 * sys_exit) and the sched tracepoints, filtered by cgroup, writing records to a BPF ring buffer
 * without waking the reader per record. */
export const TRACE_BPF_C = String.raw`// Quarantine ebpf probe, kernel side (libbpf engine). See libs/sandbox/src/probes/ebpf-native.ts.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "desc.h"

char LICENSE[] SEC("license") = "GPL";

/* x86_64 struct pt_regs (arch/x86/include/asm/ptrace.h) */
struct qregs { u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss; };
struct mm_struct { unsigned long arg_start, arg_end, env_start, env_end, start_stack; } __attribute__((preserve_access_index));
struct thread_info { u32 status; } __attribute__((preserve_access_index));
struct task_struct { struct thread_info thread_info; struct mm_struct *mm; int exit_code; int pid; } __attribute__((preserve_access_index));
/* thread_info.status bit set while a task is in a compat (i386) syscall, e.g. int 0x80 from 64-bit code. */
#define TS_COMPAT 0x0002
struct linux_binprm { const char *filename; } __attribute__((preserve_access_index));

/* Set by the loader before the program is loaded (read-only data: the verifier folds it in). */
const volatile struct qcfg qcfg = {};
/* The scope: one array element (the verifier inlines the lookup into a load), set by the loader. */
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, struct qscope); } scope SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, MAX_NR); __type(key, u32); __type(value, struct scdesc); } scd SEC(".maps");
/* The same descriptions by i386 number (compat calls), and which 32-bit ABIs each process was seen using. */
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, MAX_NR); __type(key, u32); __type(value, struct scdesc); } scd32 SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 4096); __type(key, u32); __type(value, u8); } abiseen SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, u64); } lost SEC(".maps");
/* Which syscalls the scope used, by ABI and number (the loader prints it at the end: the C record).
 * A shared array (the verifier inlines the lookup): written once per syscall, read-only afterwards. */
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, SET_ABIS * SET_NR); __type(key, u32); __type(value, u32); } used SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, u8[SCRATCH]); } scratch SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, RINGBUF_BYTES); } rb SEC(".maps");
struct xsave { u64 ts; u64 at; u64 dirfd; u64 flags; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16384); __type(key, u32); __type(value, struct xsave); } xs SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16384); __type(key, u32); __type(value, u64); } cf SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16384); __type(key, u32); __type(value, u32); } child SEC(".maps");

static __always_inline int in_scope(u32 tgid) {
  u32 k = 0; struct qscope *s = bpf_map_lookup_elem(&scope, &k);
  if (!s || s->cgroup == 0 || bpf_get_current_cgroup_id() != s->cgroup) return 0;
  return !(s->exclude != 0 && s->exclude == tgid);
}

/* Marks syscall nr of ABI abi (0 x86_64, ABI_I386, ABI_X32) used. A load and a compare per call;
 * the store happens once per syscall number, so CPUs do not keep bouncing the cache line. */
static __always_inline void mark_used(u32 abi, u64 nr) {
  if (nr >= SET_NR) return;
  u32 k = abi * SET_NR + (u32)nr;
  u32 *v = bpf_map_lookup_elem(&used, &k);
  if (v && *v == 0) *v = 1;
}

static __always_inline void count_lost(void) {
  u32 k = 0; u64 *l = bpf_map_lookup_elem(&lost, &k);
  if (l) __sync_fetch_and_add(l, 1);
}

static __always_inline void submit(void *buf, u32 size) {
  u64 flags = BPF_RB_NO_WAKEUP;
  if (bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= qcfg.wake) flags = BPF_RB_FORCE_WAKEUP;
  size &= (SCRATCH - 1);
  if (size < sizeof(struct rec)) return;
  if (bpf_ringbuf_output(&rb, buf, size, flags) != 0) count_lost();
}

static __always_inline struct rec *begin(u8 type, u16 sc, u64 ts) {
  u32 k = 0; struct rec *r = bpf_map_lookup_elem(&scratch, &k);
  if (!r) return 0;
  u64 pt = bpf_get_current_pid_tgid();
  r->type = type; r->nslot = 0; r->sc = sc; r->pid = pt >> 32; r->tid = (u32)pt; r->ts = ts; r->ret = 0;
  #pragma unroll
  for (int i = 0; i < 6; i++) r->a[i] = 0;
  #pragma unroll
  for (int i = 0; i < NX; i++) r->x[i] = 0;
  return r;
}

/* Appends a slot (argument index, sub kind, bytes) at *off; user string when str, else raw bytes. */
static __always_inline u32 put(struct rec *r, u32 off, u8 argi, u8 sub, const void *p, long n, int str) {
  if (off > OFF_MASK) return off;
  u8 *base = (u8 *)r;
  struct slot *s = (struct slot *)(base + (off & OFF_MASK));
  long got;
  if (str) {
    got = bpf_probe_read_user_str(s->b, STR_MAX, p);
  } else {
    if (n <= 0) return off;
    if (n > SLOT_MAX) n = SLOT_MAX;
    got = bpf_probe_read_user(s->b, n & (SLOT_MAX * 2 - 1), p) == 0 ? n : 0;
  }
  if (got < 0) got = 0;
  s->argi = argi; s->sub = sub; s->len = got;
  r->nslot++;
  return off + sizeof(struct slot) + ((got + 7) & ~7);
}

/* Appends a large user blob (argv/env areas), up to BLOB_MAX bytes. */
static __always_inline u32 put_blob(struct rec *r, u32 off, u8 argi, u8 sub, const void *p, long n) {
  if (off > OFF_MASK) return off;
  u8 *base = (u8 *)r;
  struct slot *s = (struct slot *)(base + (off & OFF_MASK));
  if (n < 0) n = 0;
  if (n > BLOB_MAX) n = BLOB_MAX;
  long got = 0;
  if (n > 0 && bpf_probe_read_user(s->b, n & BLOB_MASK, p) == 0) got = n;
  s->argi = argi; s->sub = sub; s->len = got;
  r->nslot++;
  return off + sizeof(struct slot) + ((got + 7) & ~7);
}

static __always_inline u64 width(u64 v, u8 w) {
  switch (w) {
    case W_S32: return (u64)(s64)(int)v;
    case W_U32: return (u32)v;
    case W_U16: return (u16)v;
    default: return v;
  }
}

static __always_inline struct qregs *regs_of(struct bpf_raw_tracepoint_args *c, struct qregs *out) {
  if (bpf_probe_read_kernel(out, sizeof(*out), (void *)c->args[0]) != 0) return 0;
  return out;
}

SEC("raw_tracepoint/sys_enter")
int q_enter(struct bpf_raw_tracepoint_args *c) {
  u64 nr = c->args[1];
  /* Only these need their entry (exit, exec, clone family): a few compares for every other call. */
  if (nr != ENTER_NR_1 && nr != ENTER_NR_2 && nr != ENTER_NR_3 && nr != ENTER_NR_4 && nr != ENTER_NR_5 && nr != ENTER_NR_6
      && nr != ENTER_NR_7 && nr != ENTER_NR_8) return 0;
  u64 pt = bpf_get_current_pid_tgid();
  if (!in_scope(pt >> 32)) return 0;
  u32 nr32 = nr;
  struct scdesc *d = bpf_map_lookup_elem(&scd, &nr32);
  if (!d || !(d->flags & (F_ENTER))) return 0;
  struct qregs rg;
  if (!regs_of(c, &rg) || rg.cs != 0x33) return 0;
  /* exit and exit_group never reach sys_exit: the set gets them here. */
  if (d->flags & F_NORETURN) mark_used(0, nr);
  u32 tid = (u32)pt;
  u64 a0 = rg.di;
  if (d->flags & F_NORETURN) {
    struct rec *r = begin('N', d->idx, bpf_ktime_get_ns());
    if (!r) return 0;
    r->a[0] = width(a0, d->a[0].width);
    submit(r, sizeof(struct rec));
    return 0;
  }
  if (d->flags & F_EXEC) {
    struct xsave x = { .ts = bpf_ktime_get_ns(), .at = (d->flags & F_EXECAT) ? 1 : 0, .dirfd = (u64)(s64)(int)a0, .flags = (u32)rg.r8 };
    bpf_map_update_elem(&xs, &tid, &x, BPF_ANY);
    if (d->flags & F_EXECAT) {
      struct rec *r = begin('P', d->idx, x.ts);
      if (!r) return 0;
      u32 off = put(r, sizeof(struct rec), 1, SUB_STR, (void *)rg.si, 0, 1);
      submit(r, off);
    }
    return 0;
  }
  if (d->flags & F_CLONE) {
    u64 f = 0;
    if (d->flags & F_CLONE3) bpf_probe_read_user(&f, sizeof f, (void *)a0);
    else if (d->flags & F_FORK) f = 17;
    else if (d->flags & F_VFORK) f = 0x4111;
    else f = a0;
    bpf_map_update_elem(&cf, &tid, &f, BPF_ANY);
  }
  return 0;
}

static __always_inline u32 sockaddr(struct rec *r, u32 off, u8 i, u64 p, long len) {
  if (p == 0) return off;
  if (len > 110) len = 110;
  return put(r, off, i, SUB_SOCK, (void *)p, len, 0);
}

/* One pointer argument of a call (strings, buffers, socket addresses, …). A global function: the
 * verifier checks it once, not once per argument position (that made loading take ~2 s). */
struct qbuf { u8 b[SCRATCH]; };
__attribute__((noinline)) int q_arg(struct qbuf *buf, u64 offwhat, u64 v, u64 lenv, s64 ret) {
  u32 off = (u32)offwhat, what = offwhat >> 32;
  if (!buf) return off;
  struct rec *r = (struct rec *)buf;
  u32 kind = what & 0xff, i = (what >> 8) & 7;
  if (i >= 6) return off;
  switch (kind) {
    case K_STR:
      if (!(what >> 16)) off = put(r, off, i, SUB_STR, (void *)v, 0, 1);
      break;
    case K_DATA:
      off = put(r, off, i, SUB_DATA, (void *)v, (long)lenv, 0);
      break;
    case K_IOV: {
      u64 iov[2] = {0, 0};
      if (v && bpf_probe_read_user(iov, sizeof iov, (void *)v) == 0) off = put(r, off, i, SUB_DATA, (void *)iov[0], (long)iov[1], 0);
      break;
    }
    case K_SOCK:
      off = sockaddr(r, off, i, v, (long)(int)lenv);
      break;
    case K_PEER: {
      int l = 0;
      if (ret >= 0 && lenv && bpf_probe_read_user(&l, sizeof l, (void *)lenv) == 0) off = sockaddr(r, off, i, v, l);
      break;
    }
    case K_MSGHDR: {
      u64 m[3] = {0, 0, 0};
      if (v && bpf_probe_read_user(m, sizeof m, (void *)v) == 0) {
        off = sockaddr(r, off, i, m[0], (long)(u32)m[1]);
        u64 iov[2] = {0, 0};
        if (m[2] && bpf_probe_read_user(iov, sizeof iov, (void *)m[2]) == 0) off = put(r, off, i, SUB_DATA, (void *)iov[0], (long)iov[1], 0);
      }
      break;
    }
    case K_FDPAIR: {
      u64 fds = 0;
      if (v) bpf_probe_read_user(&fds, sizeof fds, (void *)v);
      r->x[i] = fds;
      break;
    }
    case K_OPENHOW: {
      u64 h[3] = {0, 0, 0};
      if (v) bpf_probe_read_user(h, sizeof h, (void *)v);
      r->x[6] = h[0]; r->x[7] = h[1]; r->x[8] = h[2];
      break;
    }
    case K_CLONE3: {
      u64 f = 0;
      if (v) bpf_probe_read_user(&f, sizeof f, (void *)v);
      r->x[i] = f;
      break;
    }
    default: break;
  }
  return off;
}

/* First call of a process through a 32-bit ABI: an 'A' record (once per process and ABI). */
static __always_inline void note_abi(u32 abi, u64 rawnr, u64 pt) {
  u32 tgid = pt >> 32;
  u8 *seen = bpf_map_lookup_elem(&abiseen, &tgid);
  if (seen && (*seen & abi)) return;
  u8 v = (seen ? *seen : 0) | abi;
  bpf_map_update_elem(&abiseen, &tgid, &v, BPF_ANY);
  struct rec *r = begin('A', 0, bpf_ktime_get_ns());
  if (!r) return;
  r->x[0] = rawnr; r->x[1] = abi;
  submit(r, sizeof(struct rec));
}

SEC("raw_tracepoint/sys_exit")
int q_exit(struct bpf_raw_tracepoint_args *c) {
  u64 pt = bpf_get_current_pid_tgid();
  if (!in_scope(pt >> 32)) return 0;
  struct qregs *ur = (struct qregs *)c->args[0];
  u64 head[3]; /* orig_ax, ip, cs */
  if (bpf_probe_read_kernel(head, sizeof head, &ur->orig_ax) != 0) return 0;
  u64 nr64 = head[0];
  u32 abi = 0;
  if (head[2] != USER_CS) {
    if (head[2] != USER32_CS) return 0;
    abi = ABI_I386; /* a 32-bit process */
  } else {
    /* int 0x80 from 64-bit code keeps the 64-bit code segment: the kernel marks the task TS_COMPAT. */
    /* A BTF pointer: a direct (fault-safe) load, no helper call on this every-syscall path. */
    struct task_struct *t = bpf_get_current_task_btf();
    if (t->thread_info.status & TS_COMPAT) abi = ABI_I386;
    else if ((s64)nr64 >= 0 && (nr64 & X32_BIT)) { abi = ABI_X32; nr64 &= ~X32_BIT; }
  }
  mark_used(abi, nr64);
  if (abi) note_abi(abi, head[0], pt);
  if (nr64 >= MAX_NR) return 0;
  u32 nr = nr64;
  struct scdesc *d;
  if (abi == ABI_I386) d = bpf_map_lookup_elem(&scd32, &nr);
  else d = bpf_map_lookup_elem(&scd, &nr);
  if (!d || d->idx == 0 || (d->flags & F_NORETURN)) return 0;
  u64 ra[11]; /* bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di */
  if (bpf_probe_read_kernel(ra, sizeof ra, &ur->bp) != 0) return 0;
  s64 ret = c->args[1];
  u32 tid = (u32)pt;
  if (d->flags & F_CLONE) {
    if (ret == 0) return 0; /* the child's side */
  }
  u64 ts = bpf_ktime_get_ns();
  if (d->flags & F_EXEC) {
    struct xsave *x = bpf_map_lookup_elem(&xs, &tid);
    u64 xts = x ? x->ts : ts;
    if (ret >= 0) return 0; /* sched_process_exec reported it */
    bpf_map_delete_elem(&xs, &tid);
    ts = (d->flags & F_EXECAT) ? xts : ts;
  }
  struct rec *r = begin('Y', d->idx, ts);
  if (!r) return 0;
  r->ret = ret;
  /* x86_64 and x32: di, si, dx, r10, r8, r9; i386: ebx, ecx, edx, esi, edi, ebp (32 bits each). */
  u64 av[6];
  if (abi == ABI_I386) {
    av[0] = (u32)ra[1]; av[1] = (u32)ra[7]; av[2] = (u32)ra[8]; av[3] = (u32)ra[9]; av[4] = (u32)ra[10]; av[5] = (u32)ra[0];
  } else {
    av[0] = ra[10]; av[1] = ra[9]; av[2] = ra[8]; av[3] = ra[3]; av[4] = ra[5]; av[5] = ra[4];
  }
  u32 off = sizeof(struct rec);
  u32 execat = (d->flags & F_EXECAT) != 0;
  #pragma unroll
  for (int i = 0; i < 6; i++) {
    if (i >= d->nargs) break;
    struct scarg a = d->a[i];
    u64 v = width(av[a.pos & 7], a.width);
    r->a[i] = v;
    if (a.kind != K_NUM) off = q_arg((struct qbuf *)r, off | ((u64)(a.kind | (i << 8) | (execat << 16)) << 32), v, a.lenpos < 6 ? av[a.lenpos & 7] : 0, ret);
  }
  if (d->flags & F_CLONE) {
    u32 *ch = bpf_map_lookup_elem(&child, &tid);
    r->x[9] = ch ? *ch : 0;
    bpf_map_delete_elem(&child, &tid);
    bpf_map_delete_elem(&cf, &tid);
  }
  submit(r, off);
  return 0;
}

/* sched raw tracepoints: (parent, child), (task, old_pid, bprm), (task) */
SEC("raw_tracepoint/sched_process_fork")
int q_fork(struct bpf_raw_tracepoint_args *c) {
  u64 pt = bpf_get_current_pid_tgid();
  if (!in_scope(pt >> 32)) return 0;
  u32 tid = (u32)pt;
  struct task_struct *chld = (struct task_struct *)c->args[1];
  u32 ch = BPF_CORE_READ(chld, pid);
  bpf_map_update_elem(&child, &tid, &ch, BPF_ANY);
  struct rec *r = begin('F', 0, bpf_ktime_get_ns());
  if (!r) return 0;
  u64 *f = bpf_map_lookup_elem(&cf, &tid);
  r->x[0] = ch; r->x[1] = f ? *f : 0;
  submit(r, sizeof(struct rec));
  return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int q_exec(struct bpf_raw_tracepoint_args *c) {
  u64 pt = bpf_get_current_pid_tgid();
  if (!in_scope(pt >> 32)) return 0;
  u32 old = (u32)c->args[1];
  struct linux_binprm *bprm = (struct linux_binprm *)c->args[2];
  struct xsave *x = bpf_map_lookup_elem(&xs, &old);
  struct rec *r = begin('X', 0, x ? x->ts : bpf_ktime_get_ns());
  if (!r) return 0;
  r->tid = old;
  if (x) { r->x[0] = x->at; r->x[1] = x->dirfd; r->x[2] = x->flags; }
  bpf_map_delete_elem(&xs, &old);
  u32 off = sizeof(struct rec);
  {
    struct slot *s = (struct slot *)((u8 *)r + off);
    long n = bpf_probe_read_kernel_str(s->b, STR_MAX, BPF_CORE_READ(bprm, filename));
    if (n < 0) n = 0;
    s->argi = 0; s->sub = SUB_FILENAME; s->len = n; r->nslot++;
    off += sizeof(struct slot) + ((n + 7) & ~7);
  }
  struct task_struct *t = (struct task_struct *)bpf_get_current_task();
  struct mm_struct *mm = BPF_CORE_READ(t, mm);
  u64 as = BPF_CORE_READ(mm, arg_start), ae = BPF_CORE_READ(mm, arg_end);
  u64 es = BPF_CORE_READ(mm, env_start), ee = BPF_CORE_READ(mm, env_end);
  u64 sp = BPF_CORE_READ(mm, start_stack);
  u64 argc = 0;
  bpf_probe_read_user(&argc, sizeof argc, (void *)sp);
  r->x[3] = argc;
  r->x[4] = ae - as; r->x[5] = ee - es;
  off = put_blob(r, off, 1, SUB_ARGV, (void *)as, (long)(ae - as));
  off = put_blob(r, off, 2, SUB_ENV, (void *)es, (long)(ee - es));
  submit(r, off);
  return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int q_pexit(struct bpf_raw_tracepoint_args *c) {
  u64 pt = bpf_get_current_pid_tgid();
  if (!in_scope(pt >> 32)) return 0;
  u32 tid = (u32)pt;
  struct task_struct *t = (struct task_struct *)bpf_get_current_task();
  struct rec *r = begin('Z', 0, bpf_ktime_get_ns());
  if (!r) return 0;
  r->x[0] = (u64)(s64)BPF_CORE_READ(t, exit_code);
  bpf_map_delete_elem(&xs, &tid); bpf_map_delete_elem(&cf, &tid); bpf_map_delete_elem(&child, &tid);
  if (tid == (u32)(pt >> 32)) bpf_map_delete_elem(&abiseen, &tid);
  submit(r, sizeof(struct rec));
  return 0;
}
`;

/** The loader: loads and scopes the program, prints every record as bpftrace's JSON printf lines. */
export const LOADER_C = String.raw`/* Quarantine ebpf probe, user side (libbpf engine): loads the kernel program, scopes it to one
 * cgroup, and writes each ring buffer record as the bpftrace program's printf records in
 * bpftrace's JSON output shape, so one parser reads both engines. Records are read in batches
 * (the kernel side does not wake this process per event). See libs/sandbox/src/probes/ebpf-native.ts. */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <sys/syscall.h>
#include "desc.h"
#include "table.h"

static volatile sig_atomic_t stopping;
static FILE *out;
static char line[1 << 17];
static size_t ll;
static unsigned long long records;

static void on_signal(int s) { (void)s; stopping = 1; }

static void raw(const char *s, size_t n) {
  if (ll + n >= sizeof line) n = sizeof line - ll - 1;
  memcpy(line + ll, s, n); ll += n;
}
static void lit(const char *s) { raw(s, strlen(s)); }
static void fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static void fmt(const char *f, ...) {
  va_list ap; va_start(ap, f);
  int n = vsnprintf(line + ll, sizeof line - ll, f, ap);
  va_end(ap);
  if (n > 0) ll += (size_t)n < sizeof line - ll ? (size_t)n : sizeof line - ll - 1;
}
/* One byte of a JSON string. */
static void jbyte(unsigned char c) {
  char b[8];
  switch (c) {
    case '"': lit("\\\""); return;
    case '\\': lit("\\\\"); return;
    case '\n': lit("\\n"); return;
    case '\t': lit("\\t"); return;
    case '\r': lit("\\r"); return;
    case '\b': lit("\\b"); return;
    case '\f': lit("\\f"); return;
    default:
      if (c < 0x20 || c >= 0x7f) { snprintf(b, sizeof b, "\\u%04x", c); lit(b); }
      else raw((const char *)&c, 1);
  }
}
/* %s: bytes up to NUL, at most n (a string slot holds at most STR_MAX bytes with its NUL). */
static void jstr(const u8 *p, size_t n) {
  for (size_t i = 0; i < n && p[i]; i++) jbyte(p[i]);
}
/* %r: printable bytes as they are, others as \xNN (then JSON-escaped). */
static void jhex(const u8 *p, size_t n) {
  char b[8];
  for (size_t i = 0; i < n; i++) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') jbyte(p[i]);
    else { snprintf(b, sizeof b, "\\x%02x", p[i]); for (char *q = b; *q; q++) jbyte((unsigned char)*q); }
  }
}
static void begin_rec(void) { ll = 0; lit("{\"type\": \"printf\", \"data\": \""); }
static void end_rec(void) { lit("\\n\"}\n"); fwrite(line, 1, ll, out); records++; }

struct slotref { const struct slot *s; };
static const struct slot *find(const struct rec *r, size_t size, u8 argi, u8 sub) {
  size_t off = sizeof *r;
  for (int k = 0; k < r->nslot && off + sizeof(struct slot) <= size; k++) {
    const struct slot *s = (const struct slot *)((const u8 *)r + off);
    if (off + sizeof *s + s->len > size) return NULL;
    if (s->argi == argi && s->sub == sub) return s;
    off += sizeof *s + ((s->len + 7) & ~7u);
  }
  return NULL;
}
static void srec(const struct rec *r, const char *key) {
  begin_rec(); fmt("S\\t%u\\t%llu\\t", r->tid, r->ts); lit(key); lit("\\t");
}

static const struct usc *by_idx(u16 idx) { return idx >= 1 && idx <= NSYSCALLS ? &TABLE[idx - 1] : NULL; }

static void sock_numbers(const struct rec *r, size_t size, int i, const char *name, char *nums, size_t cap) {
  u8 b[112]; memset(b, 0, sizeof b);
  const struct slot *s = find(r, size, (u8)i, SUB_SOCK);
  size_t n = s ? s->len : 0;
  if (n > 110) n = 110;
  if (s) memcpy(b, s->b, n);
  u16 fam = 0, port = 0; u32 w = 0; u64 h = 0, l = 0;
  memcpy(&fam, b, 2); memcpy(&port, b + 2, 2); memcpy(&w, b + 4, 4); memcpy(&h, b + 8, 8); memcpy(&l, b + 16, 8);
  if (n < 2) fam = 0;
  if (fam == 1 && n > 2) {
    char key[64];
    if (b[2] == 0) {
      size_t m = n < 66 ? n : 66;
      if (m > 3) { snprintf(key, sizeof key, "%s.abstract", name); srec(r, key); jhex(b + 3, m - 3); end_rec(); }
    } else { snprintf(key, sizeof key, "%s.path", name); srec(r, key); jstr(b + 2, n - 2); end_rec(); }
  }
  snprintf(nums, cap, "\\t%u\\t%u\\t%u\\t%llx\\t%llx", fam, port, w, (unsigned long long)h, (unsigned long long)l);
}

static void syscall_rec(const struct rec *r, size_t size) {
  const struct usc *sc = by_idx(r->sc);
  if (!sc) return;
  char nums[1024]; size_t nl = 0; nums[0] = 0;
#define NUM(...) nl += snprintf(nums + nl, sizeof nums - nl, __VA_ARGS__)
  for (int i = 0; i < sc->nargs; i++) {
    const struct uarg *a = &sc->a[i];
    const struct slot *s;
    switch (a->kind) {
      case K_STR:
        if (sc->flags & F_EXECAT) break;
        srec(r, a->name); s = find(r, size, (u8)i, SUB_STR); if (s) jstr(s->b, s->len); end_rec();
        break;
      case K_DATA: case K_IOV:
        s = find(r, size, (u8)i, SUB_DATA);
        if (s && s->len > 0) { srec(r, a->name); jhex(s->b, s->len); end_rec(); }
        break;
      case K_SOCK: case K_PEER: case K_MSGHDR: {
        char sn[160]; sock_numbers(r, size, i, a->name, sn, sizeof sn); NUM("%s", sn);
        if (a->kind == K_MSGHDR) { s = find(r, size, (u8)i, SUB_DATA); if (s && s->len > 0) { srec(r, "data"); jhex(s->b, s->len); end_rec(); } }
        break;
      }
      case K_FDPAIR: NUM("\\t%d\\t%d", (int)(u32)r->x[i], (int)(u32)(r->x[i] >> 32)); break;
      case K_OPENHOW: NUM("\\t%llu\\t%llu\\t%llu", r->x[6], r->x[7], r->x[8]); break;
      case K_CLONE3: NUM("\\t%llu", r->x[i]); break;
      default:
        if (a->fmt == 'd') NUM("\\t%d", (int)r->a[i]);
        else if (a->fmt == 'l') NUM("\\t%lld", (long long)r->a[i]);
        else NUM("\\t%llu", r->a[i]);
    }
  }
  if (sc->flags & F_CLONE) NUM("\\t%d", (int)r->x[9]);
  begin_rec(); fmt("Y\\t%s\\t%llu\\t%u\\t%u\\t%lld", sc->name, r->ts, r->pid, r->tid, r->ret); lit(nums); end_rec();
}

static void exec_rec(const struct rec *r, size_t size) {
  const struct slot *s = find(r, size, 0, SUB_FILENAME);
  srec(r, "filename"); if (s) jstr(s->b, s->len); end_rec();
  u64 argc = r->x[3];
  s = find(r, size, 1, SUB_ARGV);
  size_t off = 0, n = s ? s->len : 0;
  for (u64 k = 0; k < argc && k < MAX_ARGS && off < n; k++) {
    size_t e = off; while (e < n && s->b[e]) e++;
    if (e == n && r->x[4] > n) break; /* cut mid-string: printed argv count < argc tells the parser */
    srec(r, "argv"); jstr(s->b + off, e - off); end_rec();
    off = e + 1;
  }
  s = find(r, size, 2, SUB_ENV);
  off = 0; n = s ? s->len : 0;
  int envs = 0, cut = r->x[5] > n;
  while (off < n) {
    size_t e = off; while (e < n && s->b[e]) e++;
    if (e == n && e - off > 0 && r->x[5] > n) break; /* cut mid-string */
    if (envs == MAX_ENV) { cut = 1; break; }
    if (e > off) { srec(r, "env"); jstr(s->b + off, e - off); end_rec(); envs++; }
    off = e + 1;
  }
  begin_rec();
  fmt("X\\t%llu\\t%u\\t%u\\t%llu\\t%d\\t%llu\\t%llu\\t%d", r->ts, r->pid, r->tid, r->x[0], (int)r->x[1], r->x[2], argc, cut);
  end_rec();
}

static int on_record(void *ctx, void *data, size_t size) {
  (void)ctx;
  const struct rec *r = data;
  if (size < sizeof *r) return 0;
  switch (r->type) {
    case 'Y': syscall_rec(r, size); break;
    case 'N': {
      const struct usc *sc = by_idx(r->sc);
      if (sc) { begin_rec(); fmt("Y\\t%s\\t%llu\\t%u\\t%u\\t?\\t%lld", sc->name, r->ts, r->pid, r->tid, (long long)r->a[0]); end_rec(); }
      break;
    }
    case 'P': {
      const struct slot *s = find(r, size, 1, SUB_STR);
      srec(r, "pathname"); if (s) jstr(s->b, s->len); end_rec();
      break;
    }
    case 'F': begin_rec(); fmt("F\\t%llu\\t%u\\t%u\\t%d\\t%llu", r->ts, r->pid, r->tid, (int)r->x[0], r->x[1]); end_rec(); break;
    case 'X': exec_rec(r, size); break;
    case 'A': begin_rec(); fmt("A\\t%llu\\t%u\\t%u\\t%s\\t%llu", r->ts, r->pid, r->tid, r->x[1] == ABI_I386 ? "i386" : "x32", r->x[0]); end_rec(); break;
    case 'Z': begin_rec(); fmt("Z\\t%llu\\t%u\\t%u\\t%d", r->ts, r->pid, r->tid, (int)r->x[0]); end_rec(); break;
    default: break;
  }
  return 0;
}

/* The C record: every syscall number the scope used (kernel map, complete whatever the ring buffer
 * lost), per ABI: x86_64, i386 and x32 fields of comma-separated numbers, each below SET_NR. */
static int syscall_set(struct bpf_object *obj) {
  int fd = bpf_object__find_map_fd_by_name(obj, "used");
  if (fd < 0) { fprintf(stderr, "syscall set: no map\n"); return 1; }
  begin_rec(); lit("C");
  for (u32 abi = 0; abi < SET_ABIS; abi++) {
    lit("\\t");
    int first = 1;
    for (u32 nr = 0; nr < SET_NR; nr++) {
      u32 k = abi * SET_NR + nr, v = 0;
      if (bpf_map_lookup_elem(fd, &k, &v) != 0) { fprintf(stderr, "syscall set: %s\n", strerror(errno)); return 1; }
      if (v) { fmt(first ? "%u" : ",%u", nr); first = 0; }
    }
  }
  end_rec();
  return 0;
}

static u64 mono_ns(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
  return (u64)t.tv_sec * 1000000000ull + (u64)t.tv_nsec;
}

static int libbpf_quiet(enum libbpf_print_level l, const char *f, va_list ap) {
  return l == LIBBPF_WARN ? vfprintf(stderr, f, ap) : 0;
}

/* Status lines for the worker on fd 3, when it is a pipe it gave us: "loaded" once the program is
 * loaded and attached (standby mode), "attached" once the scope is set and the B record is out. */
static void status(const char *s) {
  if (fcntl(3, F_GETFD) == -1) return;
  ssize_t n = write(3, s, strlen(s)); (void)n;
}

/* Standby: waits (at most the given seconds) for one line "CGROUP_DIR<TAB>EXCLUDE_PID<TAB>EPOCH_OFFSET_NS"
 * on stdin. End of input means the worker gave up on this sandbox. */
static int read_scope(long seconds, char *buf, size_t cap) {
  size_t n = 0;
  u64 deadline = mono_ns() + (u64)seconds * 1000000000ull;
  while (!stopping) {
    u64 now = mono_ns();
    if (now >= deadline) return -ETIMEDOUT;
    struct pollfd p = { .fd = 0, .events = POLLIN };
    u64 left = (deadline - now) / 1000000ull + 1;
    int r = poll(&p, 1, left > 1000 ? 1000 : (int)left);
    if (r < 0) { if (errno == EINTR) continue; return -errno; }
    if (r == 0) continue;
    ssize_t got = read(0, buf + n, cap - 1 - n);
    if (got < 0) { if (errno == EINTR) continue; return -errno; }
    if (got == 0) return -EPIPE;
    n += (size_t)got; buf[n] = 0;
    char *nl = memchr(buf, '\n', n);
    if (nl) { *nl = 0; return 0; }
    if (n >= cap - 1) return -E2BIG;
  }
  return -EINTR;
}

int main(int argc, char **argv) {
  /* Direct: OBJECT CGROUP_DIR EXCLUDE_PID EPOCH_OFFSET_NS. Standby: OBJECT --standby SECONDS, the
   * program loaded and attached with an empty scope, the sandbox's scope read from stdin. */
  int standby = argc == 4 && strcmp(argv[2], "--standby") == 0;
  if (!standby && argc < 5) { fprintf(stderr, "usage: %s OBJECT CGROUP_DIR EXCLUDE_PID EPOCH_OFFSET_NS | %s OBJECT --standby SECONDS\n", argv[0], argv[0]); return 2; }
  /* Never outlive the worker that started us (a worker killed mid-analysis): SIGTERM when it dies. */
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return 1;
  signal(SIGINT, on_signal); signal(SIGTERM, on_signal); signal(SIGPIPE, SIG_IGN);
  struct stat st;
  static char scope_line[8192];
  const char *cgdir = NULL, *exclude_s = NULL, *epoch_s = NULL;
  if (!standby) {
    cgdir = argv[2]; exclude_s = argv[3]; epoch_s = argv[4];
    if (stat(cgdir, &st) != 0) { fprintf(stderr, "cgroup %s: %s\n", cgdir, strerror(errno)); return 1; }
  }
  out = stdout;
  setvbuf(out, NULL, _IOFBF, 1 << 20);
  libbpf_set_print(libbpf_quiet);
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj) { fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno)); return 1; }
  struct qcfg qc = { .wake = RINGBUF_BYTES / 4 };
  struct bpf_map *m, *ro = NULL;
  bpf_object__for_each_map(m, obj) {
    const char *nm = bpf_map__name(m);
    size_t l = strlen(nm);
    if (l >= 7 && strcmp(nm + l - 7, ".rodata") == 0) ro = m;
  }
  if (!ro || bpf_map__set_initial_value(ro, &qc, sizeof qc) != 0) { fprintf(stderr, "config: no .rodata of %zu bytes\n", sizeof qc); return 1; }
  if (bpf_object__load(obj) != 0) { fprintf(stderr, "load failed: %s\n", strerror(errno)); return 1; }
  int scd = bpf_object__find_map_fd_by_name(obj, "scd");
  int lostfd = bpf_object__find_map_fd_by_name(obj, "lost"), rbfd = bpf_object__find_map_fd_by_name(obj, "rb");
  u32 k;
  for (int i = 0; i < NSYSCALLS; i++) {
    const struct usc *u = &TABLE[i];
    struct scdesc d; memset(&d, 0, sizeof d);
    d.idx = (u16)(i + 1); d.nargs = u->nargs; d.flags = u->flags;
    for (int j = 0; j < u->nargs; j++) { d.a[j].kind = u->a[j].kind; d.a[j].pos = u->a[j].pos; d.a[j].lenpos = u->a[j].lenpos; d.a[j].width = u->a[j].width; }
    k = (u32)u->nr;
    if (k < MAX_NR && bpf_map_update_elem(scd, &k, &d, BPF_ANY) != 0) { fprintf(stderr, "table: %s\n", strerror(errno)); return 1; }
  }
  int scd32 = bpf_object__find_map_fd_by_name(obj, "scd32");
  for (size_t i = 0; i < NSYSCALLS32; i++) {
    const struct usc *u = by_idx(TABLE32[i].idx);
    if (!u) continue;
    struct scdesc d; memset(&d, 0, sizeof d);
    d.idx = TABLE32[i].idx; d.nargs = u->nargs; d.flags = u->flags;
    for (int j = 0; j < u->nargs; j++) { d.a[j].kind = u->a[j].kind; d.a[j].pos = u->a[j].pos; d.a[j].lenpos = u->a[j].lenpos; d.a[j].width = u->a[j].width; }
    k = (u32)TABLE32[i].nr32;
    if (k < MAX_NR && bpf_map_update_elem(scd32, &k, &d, BPF_ANY) != 0) { fprintf(stderr, "table32: %s\n", strerror(errno)); return 1; }
  }
  struct bpf_link *links[8]; int nl = 0;
  struct bpf_program *p;
  bpf_object__for_each_program(p, obj) {
    struct bpf_link *l = bpf_program__attach(p);
    if (!l) { fprintf(stderr, "attach %s: %s\n", bpf_program__name(p), strerror(errno)); return 1; }
    if (nl < 8) links[nl++] = l;
  }
  struct ring_buffer *rb = ring_buffer__new(rbfd, on_record, NULL, NULL);
  if (!rb) { fprintf(stderr, "ring buffer: %s\n", strerror(errno)); return 1; }
  if (standby) {
    status("loaded\n");
    int r = read_scope(strtol(argv[3], NULL, 10), scope_line, sizeof scope_line);
    if (r != 0) {
      fprintf(stderr, "standby ended without a sandbox: %s\n", r == -EPIPE ? "input closed" : r == -EINTR ? "stopped" : strerror(-r));
      return r == -EPIPE || r == -EINTR ? 0 : 3;
    }
    char *save = NULL;
    cgdir = strtok_r(scope_line, "\t", &save); exclude_s = strtok_r(NULL, "\t", &save); epoch_s = strtok_r(NULL, "\t", &save);
    if (!cgdir || !exclude_s || !epoch_s || strtok_r(NULL, "\t", &save)) { fprintf(stderr, "standby: malformed scope line\n"); return 2; }
    for (const char *q = epoch_s; *q; q++) if (!((*q >= '0' && *q <= '9') || (q == epoch_s && *q == '-'))) { fprintf(stderr, "standby: malformed epoch offset\n"); return 2; }
    if (stat(cgdir, &st) != 0) { fprintf(stderr, "cgroup %s: %s\n", cgdir, strerror(errno)); return 1; }
  }
  /* Scope: the excluded pid first, then the cgroup (a reader never sees the cgroup without it). */
  int scopefd = bpf_object__find_map_fd_by_name(obj, "scope");
  struct qscope qs = { .cgroup = 0, .exclude = strtoull(exclude_s, NULL, 10) };
  k = 0;
  if (scopefd < 0 || bpf_map_update_elem(scopefd, &k, &qs, BPF_ANY) != 0) { fprintf(stderr, "scope: %s\n", strerror(errno)); return 1; }
  qs.cgroup = st.st_ino;
  if (bpf_map_update_elem(scopefd, &k, &qs, BPF_ANY) != 0) { fprintf(stderr, "scope: %s\n", strerror(errno)); return 1; }
  begin_rec(); fmt("B\\t1\\t%llu\\t%s\\t%d", mono_ns(), epoch_s, STR_MAX); end_rec();
  fflush(out);
  status("attached\n");
  for (unsigned tick = 1; !stopping; tick++) {
    int n = ring_buffer__poll(rb, 100);
    if (n < 0 && n != -EINTR) { fprintf(stderr, "poll: %d\n", n); break; }
    if (fflush(out) != 0) return 1;
    /* The sandbox is gone (removed without stopping us): finish as if stopped. */
    if (tick % 10 == 0 && stat(cgdir, &st) != 0) { fprintf(stderr, "cgroup %s removed; stopping\n", cgdir); break; }
  }
  for (int i = 0; i < nl; i++) bpf_link__destroy(links[i]);
  ring_buffer__consume(rb);
  int ncpu = libbpf_num_possible_cpus();
  u64 lost = 0, per[1024];
  k = 0;
  if (ncpu > 0 && ncpu <= 1024 && bpf_map_lookup_elem(lostfd, &k, per) == 0) for (int i = 0; i < ncpu; i++) lost += per[i];
  if (lost > 0) fprintf(out, "{\"type\": \"lost_events\", \"data\": {\"events\": %llu}}\n", lost);
  if (syscall_set(obj) != 0) return 1;
  begin_rec(); fmt("E\\t%llu", mono_ns()); end_rec();
  if (fflush(out) != 0) return 1;
  ring_buffer__free(rb);
  bpf_object__close(obj);
  return 0;
}
`;
