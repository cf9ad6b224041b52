import { readFileSync } from 'node:fs';
import { BT_SYSCALL_PARAMS, BT_SYSCALLS, BT_TRACEPOINT_NAME } from '#analysis/probes/bpftrace-layout';
import { I386_HEADER_NAME, I386_SYSCALL_NR } from '#analysis/probes/i386-syscalls';
import { nativeTableHeader } from './ebpf-native.js';
import { TRACEFS, ensureTracefs } from './tracefs.js';

describe('libbpf engine syscall table', () => {
  const table = nativeTableHeader();
  it('has one row per traced syscall, arguments by ABI position and declared width', () => {
    expect(table).toContain(`#define NSYSCALLS ${BT_SYSCALLS.length}`);
    expect(table.match(/^ {2}\{\S+, "\w+", /gm)).toHaveLength(BT_SYSCALLS.length);
    // openat(dfd, filename, flags, mode): int → sign-extended 32 bits, umode_t → 16 bits.
    expect(table).toContain('{__NR_openat, "openat", 0, 4, {{"dirfd", K_NUM, \'d\', 0, 255, W_S32}, {"name", K_STR, \'u\', 1, 255, W_U64}, {"flags", K_NUM, \'u\', 2, 255, W_S32}, {"mode", K_NUM, \'u\', 3, 255, W_U16}}}');
    // connect(fd, uservaddr, addrlen): the address with its length argument.
    expect(table).toContain('{"addr", K_SOCK, \'u\', 1, 2, W_U64}');
    expect(table).toContain('{175, "init_module"');
    expect(table).toMatch(/"execveat", F_ENTER\|F_EXEC\|F_EXECAT/);
    expect(table).toMatch(/"exit_group", F_ENTER\|F_NORETURN/);
  });

  // The parameter lists were taken from this kernel's tracepoint formats (tracefs, which the perf and
  // ftrace probes need anyway): a kernel that lists them differently must fail here, not be misread.
  const tracefs = `${TRACEFS}/events/syscalls`;
  beforeAll(() => ensureTracefs());
  it('matches the kernel\'s syscall tracepoint formats', () => {
    for (const sc of BT_SYSCALLS) {
      if (sc.rawNr !== undefined) continue;
      const fmt = readFileSync(`${tracefs}/sys_enter_${BT_TRACEPOINT_NAME[sc.name] ?? sc.name}/format`, 'utf8');
      const fields = [...fmt.matchAll(/field:([^;]*);/g)].map((m) => m[1]!.trim()).slice(5).map((d) => /(\w+)$/.exec(d)![1]);
      expect([sc.name, fields]).toEqual([sc.name, BT_SYSCALL_PARAMS[sc.name]!.map((p) => p.slice(0, p.indexOf(':')))]);
    }
  });

  it('maps the i386 (int 0x80) numbers of the table\'s calls to their rows, checked against asm/unistd_32.h', () => {
    // linux-libc-dev, which libbpf-dev (scripts/host-deps.sh) depends on, installs the header.
    const h = readFileSync('/usr/include/x86_64-linux-gnu/asm/unistd_32.h', 'utf8');
    const nr = new Map([...h.matchAll(/#define __NR_(\w+) (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    for (const [name, n] of Object.entries(I386_SYSCALL_NR)) {
      expect([name, nr.get(I386_HEADER_NAME[name] ?? name)]).toEqual([name, n]);
      expect(BT_SYSCALLS.some((sc) => sc.name === name)).toBe(true);
    }
    const idx = (name: string) => BT_SYSCALLS.findIndex((sc) => sc.name === name) + 1;
    expect(table).toContain(`  {5, ${idx('open')}}, /* open */`);
    expect(table).toContain(`  {221, ${idx('fcntl')}}, /* fcntl */`);
    // Calls whose struct arguments hold pointers (laid out differently for 32-bit callers) are left out.
    for (const name of ['writev', 'pwritev', 'sendmsg']) expect(table).not.toContain(`/* ${name} */`);
  });
});

