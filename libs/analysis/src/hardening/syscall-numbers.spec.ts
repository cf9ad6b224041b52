import { readFileSync } from 'node:fs';
import { I386_SYSCALL_BY_NR, X32_ONLY_SYSCALL_BY_NR, X86_64_SYSCALL_BY_NR, syscallName } from './syscall-numbers.js';
import { I386_SYSCALLS, X86_64_SYSCALLS } from './syscall-table.js';

const HEADERS = '/usr/include/x86_64-linux-gnu/asm';
const header = (name: string): Record<number, string> => Object.fromEntries(
  [...readFileSync(`${HEADERS}/${name}`, 'utf8').matchAll(/#define __NR_(\w+) (?:\(__X32_SYSCALL_BIT \+ )?(\d+)/g)].map((m) => [Number(m[2]), m[1]!]),
);

describe('syscall numbers', () => {
  it('name only calls the name tables know (so the profile generator keeps them)', () => {
    for (const n of Object.values(X86_64_SYSCALL_BY_NR)) expect(X86_64_SYSCALLS.has(n)).toBe(true);
    for (const n of Object.values(X32_ONLY_SYSCALL_BY_NR)) expect(X86_64_SYSCALLS.has(n)).toBe(true);
    for (const n of Object.values(I386_SYSCALL_BY_NR)) expect(I386_SYSCALLS.has(n)).toBe(true);
    expect(Object.keys(X86_64_SYSCALL_BY_NR)).toHaveLength(X86_64_SYSCALLS.size);
    expect(Object.keys(I386_SYSCALL_BY_NR)).toHaveLength(I386_SYSCALLS.size);
  });

  it('names a number per ABI: x32 shares x86_64 numbers below 512, i386 has its own', () => {
    expect(syscallName('x86_64', 79)).toBe('getcwd');
    expect(syscallName('x86_64', 99)).toBe('sysinfo');
    expect(syscallName('x32', 2)).toBe('open');
    expect(syscallName('x32', 512)).toBe('rt_sigaction');
    expect(syscallName('x86_64', 512)).toBeUndefined();
    expect(syscallName('i386', 5)).toBe('open');
    expect(syscallName('i386', 102)).toBe('socketcall');
    expect(syscallName('i386', 222)).toBeUndefined(); // a hole in the i386 table
    expect(syscallName('x86_64', 400)).toBeUndefined(); // between 334 and 424
  });

  it('match the UAPI headers (linux-libc-dev, a build dependency of the ebpf probe)', () => {
    expect(X86_64_SYSCALL_BY_NR).toEqual(header('unistd_64.h'));
    expect(I386_SYSCALL_BY_NR).toEqual(header('unistd_32.h'));
    expect(X32_ONLY_SYSCALL_BY_NR).toEqual(Object.fromEntries(Object.entries(header('unistd_x32.h')).filter(([nr]) => Number(nr) >= 512)));
  });
});
